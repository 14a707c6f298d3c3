import { isHex } from './chars';

function isAlpha(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `IPv4address` (RFC 3261 §25.1): four dec-octets 0-255 without leading zeros. */
function isIPv4(s: string, a: number, b: number): boolean {
  let octets = 0;
  let i = a;
  while (i <= b) {
    const start = i;
    let v = 0;
    for (; i < b; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 0x30)) return false;
    octets++;
    if (i === b) break;
    if (s.charCodeAt(i) !== 0x2e) return false;
    i++;
  }
  return octets === 4;
}

/** `IPv6address` inside brackets (RFC 3261 §25.1, RFC 4291 §2.2): hex groups, at most one `::`, optional IPv4 tail. */
function isIPv6(s: string, a: number, b: number): boolean {
  let groups = 0;
  let doubleColon = false;
  let i = a;
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    doubleColon = true;
    i += 2;
    if (i === b) return true;
  }
  while (i < b) {
    const start = i;
    while (i < b && isHex(s.charCodeAt(i))) i++;
    if (i < b && s.charCodeAt(i) === 0x2e) {
      if (!isIPv4(s, start, b)) return false;
      groups += 2;
      i = b;
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === b) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (doubleColon) return false;
      doubleColon = true;
      i++;
      if (i === b) break;
    } else if (i === b) return false;
  }
  return doubleColon ? groups <= 7 : groups === 8;
}

/**
 * Scans a `host` (RFC 3261 §25.1: `hostname` — dot-separated labels of alphanumerics and
 * inner `-`, the top label starting with a letter —, `IPv4address` or `IPv6reference`) starting
 * at `s[i]`, not beyond `n`. A trailing dot is not accepted (SIP.js rejects it too).
 *
 * @returns the index just after the host, or -1 when no valid host starts there.
 */
export function scanHost(s: string, i: number, n = s.length): number {
  if (i < n && s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i + 1);
    return close > i + 1 && close < n && isIPv6(s, i + 1, close) ? close + 1 : -1;
  }
  let j = i;
  let labelStart = i;
  let alpha = false;
  let wellFormed = true;
  let prev = 0;
  for (; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x2e) {
      if (j === labelStart || prev === 0x2d) wellFormed = false;
      labelStart = j + 1;
    } else if (c === 0x2d) {
      if (j === labelStart) wellFormed = false;
      alpha = true;
    } else if (isAlpha(c)) alpha = true;
    else if (!isDigit(c)) break;
    prev = c;
  }
  if (j === i) return -1;
  if (!alpha) return isIPv4(s, i, j) ? j : -1;
  const topOk = labelStart < j && isAlpha(s.charCodeAt(labelStart)) && prev !== 0x2d;
  return wellFormed && topOk ? j : -1;
}

/** True when `s` is exactly an IPv4 address, an IPv6 address or an IPv6 reference (RFC 3261 §25.1, as in Via `received`). */
export function isIpAddress(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (s.charCodeAt(0) === 0x5b) return scanHost(s, 0) === n;
  return s.indexOf(':') >= 0 ? isIPv6(s, 0, n) : isIPv4(s, 0, n);
}
