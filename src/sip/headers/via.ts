import type { ViaValue } from '../message';
import { TOKEN_CHARS, allInTable, inTable, isWsp, parseDigits, skipWsp } from '../chars';
import { isIpAddress, scanHost } from '../host';
import type { ParamCursor } from './params';
import { paramCursor, readParam } from './params';

/** Index after `SIP/2.0/` at `s[i]` (case-insensitive, white space allowed around `/`) before `n`, or -1. */
function afterProtocol(s: string, i: number, n: number): number {
  if (i + 3 > n || (s.charCodeAt(i) | 0x20) !== 0x73 || (s.charCodeAt(i + 1) | 0x20) !== 0x69 || (s.charCodeAt(i + 2) | 0x20) !== 0x70) return -1;
  i = skipWsp(s, i + 3, n);
  if (i >= n || s.charCodeAt(i) !== 0x2f) return -1;
  i = skipWsp(s, i + 1, n);
  if (i + 3 > n || s.charCodeAt(i) !== 0x32 || s.charCodeAt(i + 1) !== 0x2e || s.charCodeAt(i + 2) !== 0x30) return -1;
  i = skipWsp(s, i + 3, n);
  if (i >= n || s.charCodeAt(i) !== 0x2f) return -1;
  return skipWsp(s, i + 1, n);
}

/** Transport tokens of RFC 3261 §20.42, RFC 7118 and RFC 4168, upper-cased. */
const TRANSPORTS: readonly string[] = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];

/** The {@link TRANSPORTS} entry equal to `s[a, b)` case-insensitively, without allocating. */
function knownTransport(s: string, a: number, b: number): string | undefined {
  outer: for (const t of TRANSPORTS) {
    if (t.length !== b - a) continue;
    for (let i = 0; i < t.length; i++) if ((s.charCodeAt(a + i) & 0xdf) !== t.charCodeAt(i)) continue outer;
    return t;
  }
  return undefined;
}

/**
 * The Via parameters with their own syntax (RFC 3261 §20.42, §25.1 `via-params`; RFC 3581 §3):
 * `branch` a token, `received` an IP address, `rport` optional port digits, `ttl` 0-255,
 * `maddr` a host.
 */
function viaParamValid(name: string, value: string | null): boolean {
  switch (name) {
    case 'branch': {
      if (value === null) return false;
      const c = value.charCodeAt(0);
      // readParam read an unquoted, unbracketed value as a token already
      return (c !== 0x22 && c !== 0x5b) || allInTable(TOKEN_CHARS, value);
    }
    case 'received':
      return value !== null && isIpAddress(value);
    case 'rport': {
      if (value === null) return true;
      const port = parseDigits(value, 5);
      return port >= 0 && port <= 65535;
    }
    case 'ttl': {
      const ttl = value === null ? -1 : parseDigits(value, 3);
      return ttl >= 0 && ttl <= 255;
    }
    default:
      return value !== null && scanHost(value, 0) === value.length;
  }
}

/**
 * True for a port a response can be sent to: 1-65535. RFC 3261 §25.1 `port` is any `1*DIGIT`,
 * but a sent-by port is where §18.2.2 sends the response, and 0 or more than 65535 names no
 * socket; a request with such a Via is answered 400.
 */
export function isSentByPort(port: number): boolean {
  return port >= 1 && port <= 65535;
}

/** The value of the parameter `c` just read, or null when it has none. */
function paramValue(s: string, c: ParamCursor): string | null {
  return c.valueStart < 0 ? null : s.slice(c.valueStart, c.valueEnd);
}

/**
 * Parses one Via value (RFC 3261 §20.42, §25.1 `via-parm`): `SIP/2.0/UDP host[:port];params`.
 * The transport is upper-cased, the host kept as written, `rport` decoded per RFC 3581 §3.
 *
 * @param raw - one trimmed element of the Via header value.
 * @returns the value, or `undefined` on a syntax error, a sent-by port outside 1-65535
 *   ({@link isSentByPort}) or a SIP version other than 2.0.
 */
export function parseVia(raw: string): ViaValue | undefined {
  return parseViaIn(raw, 0, raw.length);
}

/** {@link parseVia} of the element `text[start, n)`, read in place (only the fields are cut out). */
export function parseViaIn(text: string, start: number, n: number): ViaValue | undefined {
  let i = afterProtocol(text, start, n);
  if (i < 0) return undefined;
  const tStart = i;
  while (i < n && inTable(TOKEN_CHARS, text.charCodeAt(i))) i++;
  if (i === tStart || i === n || !isWsp(text.charCodeAt(i))) return undefined;
  const transport = knownTransport(text, tStart, i) ?? text.slice(tStart, i).toUpperCase();
  i = skipWsp(text, i, n);
  const hStart = i;
  i = scanHost(text, i, n);
  if (i < 0) return undefined;
  const host = text.slice(hStart, i);
  let port: number | undefined;
  i = skipWsp(text, i, n);
  if (i < n && text.charCodeAt(i) === 0x3a) {
    i = skipWsp(text, i + 1, n);
    const pStart = i;
    port = 0;
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      port = port * 10 + d;
    }
    if (i === pStart || i - pStart > 5 || !isSentByPort(port)) return undefined;
  }
  let branch: string | null | undefined;
  let received: string | null | undefined;
  let rport: string | null | undefined;
  let ttl: string | null | undefined;
  let maddr: string | null | undefined;
  const c = paramCursor(text, i, n);
  while (c.i < n) {
    if (!readParam(text, c)) return undefined;
    switch (c.name) {
      case 'branch':
        branch = paramValue(text, c);
        break;
      case 'received':
        received = paramValue(text, c);
        break;
      case 'rport':
        rport = paramValue(text, c);
        break;
      case 'ttl':
        ttl = paramValue(text, c);
        break;
      case 'maddr':
        maddr = paramValue(text, c);
        break;
    }
  }
  if (branch !== undefined && !viaParamValid('branch', branch)) return undefined;
  if (received !== undefined && !viaParamValid('received', received)) return undefined;
  if (rport !== undefined && !viaParamValid('rport', rport)) return undefined;
  if (ttl !== undefined && !viaParamValid('ttl', ttl)) return undefined;
  if (maddr !== undefined && !viaParamValid('maddr', maddr)) return undefined;
  const raw = start === 0 && n === text.length ? text : text.slice(start, n);
  const via: { -readonly [K in keyof ViaValue]: ViaValue[K] } = { raw, transport, host };
  if (port !== undefined) via.port = port;
  if (branch != null) via.branch = branch;
  if (received != null) via.received = received;
  if (rport !== undefined) via.rport = rport === null ? true : parseDigits(rport, 5);
  return via;
}
