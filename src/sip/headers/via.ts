import type { ViaValue } from '../message';
import { TOKEN_CHARS, inTable, isHex, isWsp, parseDigits, skipWsp } from '../chars';
import { parseParams } from './params';

/** Index after `SIP/2.0/` at `s[i]` (case-insensitive, white space allowed around `/`), or -1. */
function afterProtocol(s: string, i: number): number {
  if ((s.charCodeAt(i) | 0x20) !== 0x73 || (s.charCodeAt(i + 1) | 0x20) !== 0x69 || (s.charCodeAt(i + 2) | 0x20) !== 0x70) return -1;
  i = skipWsp(s, i + 3);
  if (s.charCodeAt(i) !== 0x2f) return -1;
  i = skipWsp(s, i + 1);
  if (s.charCodeAt(i) !== 0x32 || s.charCodeAt(i + 1) !== 0x2e || s.charCodeAt(i + 2) !== 0x30) return -1;
  i = skipWsp(s, i + 3);
  if (s.charCodeAt(i) !== 0x2f) return -1;
  return skipWsp(s, i + 1);
}

function isHostChar(c: number): boolean {
  const l = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (l >= 0x61 && l <= 0x7a) || c === 0x2d || c === 0x2e;
}

/**
 * Parses one Via value (RFC 3261 §20.42, §25.1 `via-parm`): `SIP/2.0/UDP host[:port];params`.
 * The transport is upper-cased, the host kept as written, `rport` decoded per RFC 3581 §3.
 *
 * @param raw - one trimmed element of the Via header value.
 * @returns the value, or `undefined` on a syntax error or a SIP version other than 2.0.
 */
export function parseVia(raw: string): ViaValue | undefined {
  const n = raw.length;
  let i = afterProtocol(raw, 0);
  if (i < 0) return undefined;
  const tStart = i;
  while (i < n && inTable(TOKEN_CHARS, raw.charCodeAt(i))) i++;
  if (i === tStart || i === n || !isWsp(raw.charCodeAt(i))) return undefined;
  const transport = raw.slice(tStart, i).toUpperCase();
  i = skipWsp(raw, i);
  const hStart = i;
  if (raw.charCodeAt(i) === 0x5b) {
    i = raw.indexOf(']', i);
    if (i < 0) return undefined;
    for (let j = hStart + 1; j < i; j++) {
      const c = raw.charCodeAt(j);
      if (!(isHex(c) || c === 0x3a || c === 0x2e)) return undefined;
    }
    i++;
  } else {
    while (i < n && isHostChar(raw.charCodeAt(i))) i++;
  }
  if (i === hStart) return undefined;
  const host = raw.slice(hStart, i);
  let port: number | undefined;
  i = skipWsp(raw, i);
  if (raw.charCodeAt(i) === 0x3a) {
    i = skipWsp(raw, i + 1);
    const pStart = i;
    while (i < n && raw.charCodeAt(i) >= 0x30 && raw.charCodeAt(i) <= 0x39) i++;
    port = parseDigits(raw.slice(pStart, i), 5);
    if (port < 0 || port > 65535) return undefined;
  }
  const params = parseParams(raw, i);
  if (params === undefined) return undefined;
  const via: { -readonly [K in keyof ViaValue]: ViaValue[K] } = { raw, transport, host };
  if (port !== undefined) via.port = port;
  const branch = params.branch;
  if (branch !== undefined) {
    if (branch === null) return undefined;
    via.branch = branch;
  }
  const received = params.received;
  if (received !== undefined) {
    if (received === null) return undefined;
    via.received = received;
  }
  const rport = params.rport;
  if (rport !== undefined) {
    if (rport === null) via.rport = true;
    else {
      const p = parseDigits(rport, 5);
      if (p < 0 || p > 65535) return undefined;
      via.rport = p;
    }
  }
  return via;
}
