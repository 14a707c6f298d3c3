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

/** User part and host of a SIP URI, the only parts an AOR needs. */
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

/** Unreserved and user-unreserved characters plus `%` (RFC 3261 §25.1), without `: @ ; ? /`. */
function isPlainUserChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)
    || c === 45 || c === 46 || c === 95 || c === 126 || c === 33 || c === 42 || c === 39 || c === 40 || c === 41
    || c === 38 || c === 61 || c === 43 || c === 36 || c === 44 || c === 37;
}

/** Host name and IPv4 characters (RFC 3261 §25.1 hostname / IPv4address). */
function isPlainHostChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46;
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
  const aor = `${user}@${domain}`;
  if (aor.length > rules.maxAorLen) return err(regError('aor-too-long'));
  if (rules.domains.length > 0 && !rules.domains.includes(domain)) return err(regError('domain-not-served'));
  return ok(aor);
}
