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

/**
 * The canonical address-of-record `user@domain` of a SIP URI (RFC 3261 §10.3 step 5):
 * escapes in the user part resolved (§19.1.4), the domain lower-cased with `realmPrefix`
 * stripped, the user lower-cased unless `caseSensitive`, lengths checked against the
 * OpenSIPS `max_username_len`, `max_domain_len` and `max_aor_len` limits.
 */
export function toAor(uri: string, rules: AorRules): Result<string, RegError> {
  const parsed = parseUri(uri);
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
