import { parseUri } from '../sip/uri';
import type { Result } from '../errors/result';
import { err, ok } from '../errors/result';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';

/** The AOR rules of {@link ResolvedRegistrarOptions} that {@link toAor} applies. */
export interface AorRules {
  readonly realmPrefix: string;
  readonly caseSensitive: boolean;
  readonly maxUsernameLen: number;
  readonly maxDomainLen: number;
  readonly maxAorLen: number;
  readonly domains: readonly string[];
}

function unescapeUser(user: string): string | undefined {
  if (!user.includes('%')) return user;
  try {
    return decodeURIComponent(user);
  } catch {
    return undefined;
  }
}

/** Scheme, user part, host and port of a SIP URI: what AORs and NAT detection need. */
export interface UriParts {
  readonly scheme: string;
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

/**
 * Fast path for the common `sip:user@host[:port][;params]` shape: one scan, no parameter
 * objects. Anything else (IPv6 references, passwords, URI headers, unusual characters) goes to
 * the full {@link parseUri}. Both agree on syntactically valid URIs (a property test checks
 * it); received messages have their URIs validated by the parser already.
 */
export function uriParts(uri: string): UriParts | undefined {
  const n = uri.length;
  let i = 0;
  let scheme: string;
  if (uri.startsWith('sip:')) { scheme = 'sip'; i = 4; } else if (uri.startsWith('sips:')) { scheme = 'sips'; i = 5; } else return fullParts(uri);
  const at = uri.indexOf('@', i);
  let hostStart = i;
  let user: string | undefined;
  if (at >= 0) {
    for (let k = i; k < at; k++) if (!isPlainUserChar(uri.charCodeAt(k))) return fullParts(uri);
    user = uri.slice(i, at);
    hostStart = at + 1;
  }
  let j = hostStart;
  for (; j < n; j++) {
    const c = uri.charCodeAt(j);
    if (c === 58 /* : */ || c === 59 /* ; */) break;
    if (!isPlainHostChar(c)) return fullParts(uri);
  }
  if (j === hostStart) return undefined;
  let port: number | undefined;
  if (j < n && uri.charCodeAt(j) === 58) {
    const semi = uri.indexOf(';', j);
    const end = semi < 0 ? n : semi;
    if (end === j + 1 || end - j > 6) return fullParts(uri);
    port = 0;
    for (let k = j + 1; k < end; k++) {
      const c = uri.charCodeAt(k);
      if (c < 48 || c > 57) return fullParts(uri);
      port = port * 10 + c - 48;
    }
    if (port > 65535) return fullParts(uri);
  }
  for (let k = j; k < n; k++) if (uri.charCodeAt(k) === 63 /* ? */) return fullParts(uri);
  return { scheme, user, host: uri.slice(hostStart, j), port };
}

function fullParts(uri: string): UriParts | undefined {
  return parseUri(uri);
}

// Character classes of the fast paths, bits of CHAR_CLASS.
/** Unreserved and user-unreserved characters plus `%` (RFC 3261 §25.1), without `: @ ; ? /`. */
const USER = 1;
/** Host name and IPv4 characters (RFC 3261 §25.1 hostname / IPv4address). */
const HOST = 2;
/** A user character that an AOR keeps as is when user parts are case-insensitive: no `%`, no upper case. */
const CANONICAL_USER = 4;
/** A user character that an AOR keeps as is when user parts are case-sensitive: no `%`. */
const CANONICAL_CASED_USER = 8;
/** A host character that an AOR keeps as is: no upper case. */
const CANONICAL_HOST = 16;

/** Character class bits of each ASCII code unit. */
const CHAR_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  const mark = (chars: string, bits: number): void => {
    for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] |= bits;
  };
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const upper = lower.toUpperCase();
  const digits = '0123456789';
  mark(`${lower}${digits}-._~!*'()&=+$,`, USER | CANONICAL_USER | CANONICAL_CASED_USER);
  mark(upper, USER | CANONICAL_CASED_USER | HOST);
  mark('%', USER);
  mark(`${lower}${digits}-.`, HOST | CANONICAL_HOST);
  return t;
})();

const charClass = (c: number): number => (c < 128 ? CHAR_CLASS[c] : 0);

function isPlainUserChar(c: number): boolean {
  return (charClass(c) & USER) !== 0;
}

function isPlainHostChar(c: number): boolean {
  return (charClass(c) & HOST) !== 0;
}

/**
 * A SIP URI for an AOR given either way: `sip:bob@example.com` as is, `bob@example.com` as
 * `sip:bob@example.com`.
 */
export function asAorUri(uriOrAor: string): string {
  const colon = uriOrAor.indexOf(':');
  const at = uriOrAor.indexOf('@');
  return colon > 0 && (at < 0 || colon < at) ? uriOrAor : `sip:${uriOrAor}`;
}

/**
 * The canonical address-of-record `user@domain` of a SIP URI (RFC 3261 §10.3 step 5):
 * escapes in the user part resolved (§19.1.4), the domain lower-cased with `realmPrefix`
 * stripped, the user lower-cased unless `caseSensitive`, lengths checked against the
 * OpenSIPS `max_username_len`, `max_domain_len` and `max_aor_len` limits.
 */
export function toAor(uri: string, rules: AorRules): Result<string, RegError> {
  const plain = plainAor(uri, rules);
  if (plain !== undefined) return ok(plain);
  const parsed = uriParts(uri);
  if (parsed === undefined || (parsed.scheme !== 'sip' && parsed.scheme !== 'sips')) {
    return err(regError('aor-parse', undefined, `Cannot use '${uri}' as an address-of-record`));
  }
  if (parsed.user === undefined || parsed.user === '') return err(regError('to-user'));
  let user = unescapeUser(parsed.user);
  if (user === undefined) return err(regError('aor-parse', undefined, 'Bad escape in the user part'));
  if (!rules.caseSensitive) user = user.toLowerCase();
  let domain = parsed.host.toLowerCase();
  const prefix = rules.realmPrefix;
  if (prefix !== '' && domain.length > prefix.length && domain.startsWith(prefix.toLowerCase())) {
    domain = domain.slice(prefix.length);
  }
  if (user.length > rules.maxUsernameLen || domain.length > rules.maxDomainLen) return err(regError('aor-too-long'));
  if (user.length + 1 + domain.length > rules.maxAorLen) return err(regError('aor-too-long'));
  if (rules.domains.length > 0 && !rules.domains.includes(domain)) return err(regError('domain-not-served'));
  return ok(joinAor(user, domain));
}

/**
 * `user@domain` as one flat string of its own. Joined, not concatenated or sliced: `a + b` is a
 * V8 rope (cons string) that stays a 32-byte wrapper around its flattened text in every store
 * key, and a slice keeps its parent alive and compares slowly with a store's flat keys (about
 * 300 ns more per lookup among a million AORs).
 */
function joinAor(user: string, domain: string): string {
  return [user, domain].join('@');
}

/**
 * {@link toAor} of the common shape, `sip:user@host[;params]` already canonical (see
 * {@link plainAorEnd}) and within the rules, in one scan; undefined for anything else.
 */
function plainAor(uri: string, rules: AorRules): string | undefined {
  const start = schemeLength(uri);
  if (start === 0 || rules.realmPrefix !== '') return undefined;
  const end = plainEndWithin(uri, start, rules);
  if (end < 0) return undefined;
  const at = uri.indexOf('@', start);
  const domain = uri.slice(at + 1, end);
  if (rules.domains.length > 0 && !rules.domains.includes(domain)) return undefined;
  return joinAor(uri.slice(start, at), domain);
}

/** Length of the `sip:` or `sips:` scheme at the start of `uri`, 0 when neither. */
export const schemeLength = (uri: string): number => (uri.startsWith('sip:') ? 4 : uri.startsWith('sips:') ? 5 : 0);

/**
 * End of the AOR a query names in `uriOrAor` from `start` ({@link schemeLength}) when it has the
 * common shape, a lower-case `[sip:]user@domain[;params]` without escapes within the length
 * rules, with no realm prefix or domain list to apply: the AOR is then the text from `start` to
 * the end, as is. -1 for anything else ({@link queryAor} decides those).
 */
export function plainQueryEnd(uriOrAor: string, start: number, rules: AorRules): number {
  return rules.realmPrefix !== '' || rules.domains.length > 0 ? -1 : plainEndWithin(uriOrAor, start, rules);
}

/** {@link plainAorEnd}, and -1 also when the user, domain or AOR is longer than the rules allow. */
function plainEndWithin(uri: string, start: number, rules: AorRules): number {
  const end = plainAorEnd(uri, start, rules.caseSensitive);
  if (end < 0) return -1;
  const at = uri.indexOf('@', start);
  if (at - start > rules.maxUsernameLen || end - at - 1 > rules.maxDomainLen || end - start > rules.maxAorLen) return -1;
  return end;
}

/**
 * The AOR a query names (lookup, `is_registered` ...), as a SIP URI or as `user@domain`:
 * `toAor(asAorUri(uriOrAor), rules)`, undefined when that fails. The common shape
 * ({@link plainQueryEnd}) is answered with one scan and one flat copy (or the input itself).
 */
export function queryAor(uriOrAor: string, rules: AorRules): string | undefined {
  const start = schemeLength(uriOrAor);
  const end = plainQueryEnd(uriOrAor, start, rules);
  if (end < 0) {
    const r = toAor(asAorUri(uriOrAor), rules);
    return r.ok ? r.value : undefined;
  }
  if (start === 0 && end === uriOrAor.length) return uriOrAor;
  const at = uriOrAor.indexOf('@', start);
  return joinAor(uriOrAor.slice(start, at), uriOrAor.slice(at + 1, end));
}

/**
 * End of `user@host` in `uri` from `start` when that is already a canonical AOR (plain user
 * characters without escapes, lower-case unless `caseSensitive`; a lower-case host name or
 * IPv4 address; then the end or parameters without headers), else -1.
 */
function plainAorEnd(uri: string, start: number, caseSensitive: boolean): number {
  const n = uri.length;
  const userClass = caseSensitive ? CANONICAL_CASED_USER : CANONICAL_USER;
  let i = start;
  for (; i < n; i++) {
    const c = uri.charCodeAt(i);
    if (c === 64 /* @ */) break;
    if ((charClass(c) & userClass) === 0) return -1;
  }
  if (i === start || i === n) return -1;
  let end = i + 1;
  for (; end < n; end++) {
    const c = uri.charCodeAt(end);
    if (c === 59 /* ; */) break;
    if ((charClass(c) & CANONICAL_HOST) === 0) return -1;
  }
  if (end === i + 1 || uri.indexOf('?', end) >= 0) return -1;
  return end;
}
