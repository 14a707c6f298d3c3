import {
  PARAM_CHARS,
  PASSWORD_CHARS,
  TOKEN_CHARS,
  URIC_CHARS,
  URI_HEADER_CHARS,
  USER_CHARS,
  allInTable,
  inTable,
  isHex,
  parseDigits,
} from './chars';
import { scanHost } from './host';

/** URI schemes sipreg understands (RFC 3261 §19.1, RFC 3966). */
export type UriScheme = 'sip' | 'sips' | 'tel';

/** A parsed SIP, SIPS or tel URI (RFC 3261 §19.1.1, RFC 3966 §3). */
export interface SipUri {
  /** Scheme, lower-cased. */
  readonly scheme: UriScheme;
  /** User part as written (escapes kept); for `tel:` the telephone-subscriber number. */
  readonly user?: string;
  /** Password as written, when the userinfo has a `:`. */
  readonly password?: string;
  /** Host lower-cased; IPv6 references keep their brackets; empty for `tel:`. */
  readonly host: string;
  readonly port?: number;
  /** URI parameters, names lower-cased, values as written; `null` for a parameter without value. */
  readonly params: Readonly<Record<string, string | null>>;
  /** URI headers (`?name=value&...`) in order, as written. */
  readonly headers: readonly (readonly [string, string])[];
}

/** Characters of a tel URI number (RFC 3966 §3 global/local-number digits and visual separators). */
function isTelChar(c: number): boolean {
  return (
    isHex(c) ||
    c === 0x2b || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29 || c === 0x2a || c === 0x23 ||
    c === 0x70 || c === 0x77
  );
}

/** True when `s[a, b)` is non-empty, uses only `table` characters and every `%` starts an `escaped` (RFC 3261 §25.1). */
function validRun(s: string, a: number, b: number, table: Uint8Array, allowEmpty: boolean): boolean {
  if (a === b) return allowEmpty;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!inTable(table, c)) return false;
    if (c === 0x25 && !(i + 2 < b && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false;
  }
  return true;
}

/**
 * Index of the first character at or after `i` (before `n`) that is not a `paramchar`
 * (RFC 3261 §25.1), or `n`; -1 when a `%` there does not start an `escaped`. One pass that
 * both finds the end of a URI parameter name or value and validates it.
 */
function endOfParamRun(s: string, i: number, n: number): number {
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || PARAM_CHARS[c] !== 1) return i;
    if (c === 0x25 && !(i + 2 < n && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return -1;
  }
  return n;
}

function schemeOf(s: string, start: number, colon: number): UriScheme | undefined {
  const len = colon - start;
  if (len !== 3 && len !== 4) return undefined;
  const a = s.charCodeAt(start) | 0x20;
  const b = s.charCodeAt(start + 1) | 0x20;
  const c = s.charCodeAt(start + 2) | 0x20;
  if (len === 3) {
    if (a === 0x73 && b === 0x69 && c === 0x70) return 'sip';
    return a === 0x74 && b === 0x65 && c === 0x6c ? 'tel' : undefined;
  }
  return a === 0x73 && b === 0x69 && c === 0x70 && (s.charCodeAt(start + 3) | 0x20) === 0x73 ? 'sips' : undefined;
}

/** The mutable shape {@link scanUri} fills in when asked to build. */
type UriBuilder = { -readonly [K in keyof SipUri]: SipUri[K] } & {
  params: Record<string, string | null>;
  headers: (readonly [string, string])[];
};

/** True when `s[a, b)` equals the lower-case literal `lit` case-insensitively. */
function nameIs(s: string, a: number, b: number, lit: string): boolean {
  if (b - a !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if ((s.charCodeAt(a + i) | 0x20) !== lit.charCodeAt(i)) return false;
  return true;
}

/**
 * The URI parameters with their own syntax (RFC 3261 §19.1.1, §25.1): `transport`, `user` and
 * `method` take a token, `ttl` 1-3 digits up to 255, `maddr` a host, `lr` no value.
 * `v < 0` means the parameter has no value; the value is `s[v, end)`.
 */
function knownParamValid(s: string, a: number, b: number, v: number, end: number): boolean {
  if (nameIs(s, a, b, 'lr')) return v < 0;
  if (v < 0) return true;
  if (nameIs(s, a, b, 'transport') || nameIs(s, a, b, 'user') || nameIs(s, a, b, 'method')) return allInTable(TOKEN_CHARS, s, v, end);
  if (nameIs(s, a, b, 'ttl')) {
    const ttl = parseDigits(s.slice(v, end), 3);
    return ttl >= 0 && ttl <= 255;
  }
  if (nameIs(s, a, b, 'maddr')) return scanHost(s, v, end) === end;
  return true;
}

/** Scans `;name[=value]` URI parameters and `?h=v&...` headers from `s[i]` to the end. */
function scanTail(s: string, i: number, n: number, tel: boolean, out: UriBuilder | undefined): boolean {
  while (i < n && s.charCodeAt(i) === 0x3b) {
    let j = endOfParamRun(s, i + 1, n);
    if (j === i + 1 || (j < n && s.charCodeAt(j) !== 0x3b && s.charCodeAt(j) !== 0x3d && s.charCodeAt(j) !== 0x3f)) return false;
    const nameEnd = j;
    let v = -1;
    if (j < n && s.charCodeAt(j) === 0x3d) {
      v = j + 1;
      j = endOfParamRun(s, v, n);
      if (j === v || (j < n && s.charCodeAt(j) !== 0x3b && s.charCodeAt(j) !== 0x3f)) return false;
    }
    if (!knownParamValid(s, i + 1, nameEnd, v, j)) return false;
    if (out !== undefined) out.params[s.slice(i + 1, nameEnd).toLowerCase()] = v < 0 ? null : s.slice(v, j);
    i = j;
  }
  if (i === n) return true;
  if (tel || s.charCodeAt(i) !== 0x3f) return false;
  while (i < n) {
    let amp = s.indexOf('&', i + 1);
    if (amp < 0 || amp > n) amp = n;
    const eq = s.indexOf('=', i + 1);
    if (eq < 0 || eq > amp) return false;
    if (!validRun(s, i + 1, eq, URI_HEADER_CHARS, false) || !validRun(s, eq + 1, amp, URI_HEADER_CHARS, true)) return false;
    if (out !== undefined) out.headers.push([s.slice(i + 1, eq), s.slice(eq + 1, amp)]);
    i = amp;
  }
  return true;
}

/** Scans host[:port] at `s[i]`; returns the index after them, or -1. */
function scanHostPort(s: string, i: number, n: number, out: UriBuilder | undefined): number {
  const start = i;
  i = scanHost(s, i, n);
  if (i < 0) return -1;
  if (out !== undefined) out.host = s.slice(start, i).toLowerCase();
  if (i < n && s.charCodeAt(i) === 0x3a) {
    const p = ++i;
    let port = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      port = port * 10 + d;
    }
    if (i === p || i - p > 5 || port > 65535) return -1;
    if (out !== undefined) out.port = port;
  }
  return i;
}

/** Validates a sip/sips/tel URI whose scheme ends at `colon`, filling `out` when given. */
function scanUri(s: string, scheme: UriScheme, colon: number, n: number, out: UriBuilder | undefined): boolean {
  let i = colon + 1;
  if (scheme === 'tel') {
    while (i < n && isTelChar(s.charCodeAt(i))) i++;
    if (i === colon + 1) return false;
    if (out !== undefined) out.user = s.slice(colon + 1, i);
    return scanTail(s, i, n, true, out);
  }
  let at = s.indexOf('@', i);
  if (at >= n) at = -1;
  if (at >= 0) {
    let pw = s.indexOf(':', i);
    if (pw < 0 || pw > at) pw = at;
    if (!validRun(s, i, pw, USER_CHARS, false)) return false;
    if (pw < at && !validRun(s, pw + 1, at, PASSWORD_CHARS, true)) return false;
    if (out !== undefined) {
      out.user = s.slice(i, pw);
      if (pw < at) out.password = s.slice(pw + 1, at);
    }
    i = at + 1;
  }
  i = scanHostPort(s, i, n, out);
  return i >= 0 && scanTail(s, i, n, false, out);
}

/**
 * Parses a `sip:`, `sips:` (RFC 3261 §19.1.1, §25.1) or `tel:` (RFC 3966 §3) URI.
 * Strict: anything outside the ABNF character sets (white space, unescaped `<`, a bad `%`
 * escape) makes it fail.
 *
 * @returns the parsed URI, or `undefined` for another scheme or a syntax error.
 */
export function parseUri(s: string): SipUri | undefined {
  const colon = s.indexOf(':');
  const scheme = colon < 0 ? undefined : schemeOf(s, 0, colon);
  if (scheme === undefined) return undefined;
  const out: UriBuilder = { scheme, host: '', params: {}, headers: [] };
  return scanUri(s, scheme, colon, s.length, out) ? out : undefined;
}

/** Formats a {@link SipUri} back to text (RFC 3261 §19.1.1); `parseUri(formatUri(u))` equals `u`. */
export function formatUri(u: SipUri): string {
  let s = u.scheme + ':';
  if (u.scheme === 'tel') s += u.user ?? '';
  else {
    if (u.user !== undefined) s += u.user + (u.password !== undefined ? ':' + u.password : '') + '@';
    s += u.host;
    if (u.port !== undefined) s += ':' + u.port;
  }
  for (const name in u.params) {
    const v = u.params[name];
    s += v === null ? ';' + name : ';' + name + '=' + v;
  }
  for (let i = 0; i < u.headers.length; i++) s += (i === 0 ? '?' : '&') + u.headers[i][0] + '=' + u.headers[i][1];
  return s;
}

/** Decodes `%HH` escapes so that escaped and unescaped forms compare equal (RFC 3261 §19.1.4). */
function unescape(s: string | undefined): string | undefined {
  if (s === undefined || s.indexOf('%') < 0) return s;
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function lower(v: string | null | undefined): string | null | undefined {
  return typeof v === 'string' ? unescape(v)!.toLowerCase() : v;
}

/** Parameters that must appear in both URIs to match (RFC 3261 §19.1.4). */
const MUST_MATCH_PARAMS: readonly string[] = ['user', 'ttl', 'method', 'maddr', 'transport'];

/** Removes tel visual separators (RFC 3966 §5.1.1) and lower-cases hex digits. */
function telDigits(s: string | undefined): string {
  return (s ?? '').replace(/[-.()]/g, '').toLowerCase();
}

function sameUserPart(a: SipUri, b: SipUri): boolean {
  if (a.scheme === 'tel') return telDigits(a.user) === telDigits(b.user);
  return unescape(a.user) === unescape(b.user) && unescape(a.password) === unescape(b.password);
}

function sameParams(a: SipUri, b: SipUri): boolean {
  for (const name of MUST_MATCH_PARAMS) if (lower(a.params[name]) !== lower(b.params[name])) return false;
  for (const name in a.params) {
    if (name in b.params && lower(a.params[name]) !== lower(b.params[name])) return false;
  }
  return true;
}

function sameHeaders(a: SipUri, b: SipUri): boolean {
  if (a.headers.length !== b.headers.length) return false;
  const key = (h: readonly [string, string]): string => h[0].toLowerCase() + '=' + unescape(h[1]);
  const bs = b.headers.map(key).sort();
  return a.headers.map(key).sort().every((k, i) => k === bs[i]);
}

/**
 * URI equality per RFC 3261 §19.1.4: same scheme; user and password compared case-sensitively
 * after unescaping; host case-insensitive; ports must both be absent or equal; `user`, `ttl`,
 * `method`, `maddr` and `transport` must match when either side has them, other parameters only
 * when both have them; URI headers must all match. Text that does not parse compares exactly.
 */
export function uriEquals(a: string | SipUri, b: string | SipUri): boolean {
  const ua = typeof a === 'string' ? parseUri(a) : a;
  const ub = typeof b === 'string' ? parseUri(b) : b;
  if (ua === undefined || ub === undefined) return ua === ub && a === b;
  return (
    ua.scheme === ub.scheme &&
    ua.host === ub.host &&
    ua.port === ub.port &&
    sameUserPart(ua, ub) &&
    sameParams(ua, ub) &&
    sameHeaders(ua, ub)
  );
}

/**
 * True when `s` is acceptable as a URI in a Request-Line or a name-addr: a `sip:`/`sips:`/`tel:`
 * URI that {@link parseUri} accepts, or any other `absoluteURI` (RFC 3261 §25.1: scheme, `:`,
 * then characters without white space, controls, `<`, `>` or `"`). Other schemes are
 * syntactically valid; rejecting them (416) is the application's decision (RFC 4475 §3.3.2).
 */
export function isValidUriText(s: string, start = 0, end = s.length): boolean {
  let colon = s.indexOf(':', start);
  if (colon >= end) colon = -1;
  if (colon <= start || colon === end - 1) return false;
  const c0 = s.charCodeAt(start) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return false;
  for (let i = start + 1; i < colon; i++) {
    const c = s.charCodeAt(i);
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  }
  const scheme = schemeOf(s, start, colon);
  if (scheme !== undefined) return scanUri(s, scheme, colon, end, undefined);
  return validRun(s, colon + 1, end, URIC_CHARS, false);
}
