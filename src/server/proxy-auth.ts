import type { Authenticator, AuthOutcome } from '../auth/authenticator';
import { identityMayUse } from '../auth/identity-may-use';
import { parseCredentials } from '../auth/parse-credentials';
import { ConfigError } from '../errors/sdk-error';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import type { MaybePromise } from '../ports/location-store';
import type { Source } from '../ports/transport';
import { toAor } from '../registrar/aor';
import type { AorRules } from '../registrar/aor';
import { andThen, rethrow } from '../registrar/maybe-promise';
import type { SipRequest } from '../sip/message';

/**
 * Proxy authentication of the registrar server (RFC 3261 §22.3; OpenSIPS `proxy_authorize()`
 * with `db_check_from`, the CLI's `--auth-methods INVITE,MESSAGE`): out-of-dialog requests of
 * these methods from a domain the registrar serves are challenged with 407, and forwarded only
 * when the authenticated identity may use the From AOR.
 */
export interface ProxyAuthOptions {
  /** Checks the `Proxy-Authorization` credentials (kind `proxy`); give it `createDigestAuthenticator(...)`. */
  readonly authenticator: Authenticator;
  /**
   * The methods challenged, upper-cased when read. Not ACK nor CANCEL, which cannot be
   * resubmitted with credentials (RFC 3261 §22.1), nor REGISTER, which the registrar
   * authenticates itself ({@link RegistrarOptions.auth}).
   */
  readonly methods: readonly string[];
}

/** What {@link ProxyAuthorizer} decided for a request that is subject to proxy authentication. */
export type ProxyAuthVerdict =
  | {
    readonly ok: true;
    /**
     * The `Proxy-Authorization` values to forward: those for other realms. The ones for our
     * realm are consumed (RFC 3261 §22.3, §20.28: a value "MUST NOT be consumed by any proxy
     * whose realm does not match"; the one whose realm does consumes it, as OpenSIPS
     * `consume_credentials()`), so the callee never sees the caller's digest response.
     */
    readonly forwardedCredentials: readonly string[];
  }
  | {
    readonly ok: false;
    /** The reply: the authenticator's (407, 400, 503) or 403 `auth-forbidden` for a foreign From. */
    readonly error: RegError;
    /** Credentials were given and did not verify: what a ban counts. */
    readonly failed: boolean;
  };

/** Authenticates a request; undefined when it is not subject to proxy authentication. */
export type ProxyAuthorizer = (request: SipRequest, source: Source) => MaybePromise<ProxyAuthVerdict> | undefined;

const UNCHALLENGEABLE = new Set(['ACK', 'CANCEL', 'REGISTER']);

/**
 * Upper-cased, checked {@link ProxyAuthOptions.methods} (RFC 3261 §22.1: not ACK nor CANCEL, nor
 * REGISTER), for a command line to check before it opens anything. @throws {@link ConfigError}
 */
export function challengedMethods(methods: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(methods) || methods.length === 0) {
    throw new ConfigError('RegistrarServerOptions.proxyAuth.methods must list the methods to challenge, e.g. [\'INVITE\', \'MESSAGE\']');
  }
  const out = new Set<string>();
  for (const m of methods) {
    const method = String(m).trim().toUpperCase();
    if (UNCHALLENGEABLE.has(method)) {
      throw new ConfigError(method === 'REGISTER'
        ? 'RegistrarServerOptions.proxyAuth.methods must not list REGISTER: give the registrar auth (RegistrarOptions.auth) instead'
        : `RegistrarServerOptions.proxyAuth.methods must not list ${method}: it cannot be resubmitted with credentials (RFC 3261 §22.1)`);
    }
    if (method === '') throw new ConfigError('RegistrarServerOptions.proxyAuth.methods has an empty method name');
    out.add(method);
  }
  return out;
}

/** The `Proxy-Authorization` values of `request` that are not for `realm`. */
function otherRealms(request: SipRequest, realm: string): readonly string[] {
  const values = request.headerAll('Proxy-Authorization');
  const kept: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const parsed = parseCredentials(values[i]);
    if (parsed === undefined || !parsed.ok || parsed.value.realm.toLowerCase() !== realm.toLowerCase()) kept.push(values[i]);
  }
  return kept;
}

/**
 * The proxy authentication step of the registrar server: `undefined` for a request it does not
 * apply to (another method, an in-dialog request, a From domain the registrar does not serve
 * when it serves a list), else the verdict. With an empty `domains` list every request of the
 * methods is challenged: the registrar then serves any domain, so any From may be ours.
 * @throws {@link ConfigError} for bad {@link ProxyAuthOptions.methods}.
 */
export function createProxyAuthorizer(options: ProxyAuthOptions, rules: AorRules): ProxyAuthorizer {
  const methods = challengedMethods(options.methods);
  const { authenticator } = options;
  if (typeof authenticator?.authenticate !== 'function') {
    throw new ConfigError('RegistrarServerOptions.proxyAuth.authenticator must have an authenticate(request, kind, source) method: give it createDigestAuthenticator({ credentials })');
  }
  return (request, source) => {
    if (!methods.has(request.method) || request.to.params.tag !== undefined) return undefined;
    const from = toAor(request.from.uri, rules);
    if (!from.ok && from.error.code === 'domain-not-served') return undefined;
    return andThen(authenticator.authenticate(request, 'proxy', source), (outcome: AuthOutcome): ProxyAuthVerdict => {
      if (!outcome.ok) return outcome;
      if (!from.ok || !identityMayUse(outcome.identity, from.value, rules.caseSensitive)) return { ok: false, error: regError('auth-forbidden'), failed: false };
      return { ok: true, forwardedCredentials: otherRealms(request, outcome.identity.realm) };
    }, rethrow);
  };
}
