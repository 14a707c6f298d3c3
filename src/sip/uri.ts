import { PARAM_CHARS, PASSWORD_CHARS, URI_HEADER_CHARS, USER_CHARS, inTable, isHex } from './chars';

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

function schemeOf(s: string, colon: number): UriScheme | undefined {
  const scheme = s.slice(0, colon).toLowerCase();
  return scheme === 'sip' || scheme === 'sips' || scheme === 'tel' ? scheme : undefined;
}

/** Parses `;name[=value]` URI parameters and `?h=v&...` headers from `s[i]`; undefined on error. */
function parseTail(s: string, i: number, telParams: boolean): Pick<SipUri, 'params' | 'headers'> | undefined {
  const n = s.length;
  const params: Record<string, string | null> = {};
  while (i < n && s.charCodeAt(i) === 0x3b) {
    let j = i + 1;
    while (j < n && s.charCodeAt(j) !== 0x3b && s.charCodeAt(j) !== 0x3d && s.charCodeAt(j) !== 0x3f) j++;
    if (!validRun(s, i + 1, j, PARAM_CHARS, false)) return undefined;
    const name = s.slice(i + 1, j).toLowerCase();
    let value: string | null = null;
    if (j < n && s.charCodeAt(j) === 0x3d) {
      const v = j + 1;
      j = v;
      while (j < n && s.charCodeAt(j) !== 0x3b && s.charCodeAt(j) !== 0x3f) j++;
      if (!validRun(s, v, j, PARAM_CHARS, false)) return undefined;
      value = s.slice(v, j);
    }
    params[name] = value;
    i = j;
  }
  const headers: [string, string][] = [];
  if (i < n) {
    if (telParams || s.charCodeAt(i) !== 0x3f) return undefined;
    for (const pair of s.slice(i + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      if (!validRun(pair, 0, eq, URI_HEADER_CHARS, false) || !validRun(pair, eq + 1, pair.length, URI_HEADER_CHARS, true)) return undefined;
      headers.push([pair.slice(0, eq), pair.slice(eq + 1)]);
    }
  }
  return { params, headers };
}

/** Parses host[:port] at `s[i]`; returns the host, port and the index after them. */
function parseHostPort(s: string, i: number): { host: string; port?: number; end: number } | undefined {
  const n = s.length;
  const start = i;
  if (i < n && s.charCodeAt(i) === 0x5b) {
    while (i < n && s.charCodeAt(i) !== 0x5d) {
      const c = s.charCodeAt(i);
      if (i > start && !(isHex(c) || c === 0x3a || c === 0x2e)) return undefined;
      i++;
    }
    if (i === n || i - start < 3) return undefined;
    i++;
  } else {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d || c === 0x2e)) break;
      i++;
    }
    if (i === start) return undefined;
  }
  const host = s.slice(start, i).toLowerCase();
  if (i < n && s.charCodeAt(i) === 0x3a) {
    const p = ++i;
    let port = 0;
    while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) port = port * 10 + s.charCodeAt(i++) - 0x30;
    if (i === p || i - p > 5 || port > 65535) return undefined;
    return { host, port, end: i };
  }
  return { host, end: i };
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
  if (colon < 3) return undefined;
  const scheme = schemeOf(s, colon);
  if (scheme === undefined) return undefined;
  const n = s.length;
  if (scheme === 'tel') {
    let i = colon + 1;
    while (i < n && isTelChar(s.charCodeAt(i))) i++;
    if (i === colon + 1) return undefined;
    const tail = parseTail(s, i, true);
    return tail && { scheme, user: s.slice(colon + 1, i), host: '', ...tail };
  }
  let i = colon + 1;
  let user: string | undefined;
  let password: string | undefined;
  const at = s.indexOf('@', i);
  if (at >= 0) {
    let pw = s.indexOf(':', i);
    if (pw < 0 || pw > at) pw = at;
    if (!validRun(s, i, pw, USER_CHARS, false)) return undefined;
    user = s.slice(i, pw);
    if (pw < at) {
      if (!validRun(s, pw + 1, at, PASSWORD_CHARS, true)) return undefined;
      password = s.slice(pw + 1, at);
    }
    i = at + 1;
  }
  const hp = parseHostPort(s, i);
  if (hp === undefined) return undefined;
  const tail = parseTail(s, hp.end, false);
  if (tail === undefined) return undefined;
  const uri: { -readonly [K in keyof SipUri]: SipUri[K] } = { scheme, host: hp.host, ...tail };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hp.port !== undefined) uri.port = hp.port;
  return uri;
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
export function isValidUriText(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon <= 0 || colon === s.length - 1) return false;
  const c0 = s.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return false;
  for (let i = 1; i < colon; i++) {
    const c = s.charCodeAt(i);
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  }
  if (schemeOf(s, colon) !== undefined) return parseUri(s) !== undefined;
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x22) return false;
  }
  return true;
}
