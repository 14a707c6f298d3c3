import type { MaybePromise } from '../ports/location-store';
import type { Source } from '../ports/transport';
import type { RegError } from '../errors/reg-error';
import type { SipRequest } from '../sip/message';

/**
 * Who a request was authenticated as (RFC 3261 §22): the digest username and realm, and the
 * further AORs the credential store lets this subscriber use.
 */
export interface AuthIdentity {
  readonly username: string;
  readonly realm: string;
  /** Further AORs as `user@domain` (OpenSIPS `dbaliases`). */
  readonly aliases?: readonly string[];
}

/**
 * Which challenge a request gets (RFC 3261 §22.1): `www` for a UAS (registrar, notifier: 401 with
 * `WWW-Authenticate`, credentials in `Authorization`), `proxy` for a proxy (407 with
 * `Proxy-Authenticate`, credentials in `Proxy-Authorization`).
 */
export type AuthKind = 'www' | 'proxy';

/** The outcome of {@link Authenticator.authenticate}: never thrown, a value. */
export type AuthOutcome =
  | { readonly ok: true; readonly identity: AuthIdentity }
  | {
    readonly ok: false;
    /** The reply: 401/407 with fresh challenges, 400 for malformed credentials, 500/503 when the credential store failed. */
    readonly error: RegError;
    /**
     * True when the request carried credentials for this realm that did not verify (wrong
     * password, unknown user): what a ban counts. False for a first request without
     * credentials, an expired nonce (`stale=true`), a replayed nonce count or a store failure.
     */
    readonly failed: boolean;
  };

/** Authenticates requests (server-side digest, or anything with the same contract). */
export interface Authenticator {
  /**
   * Check the request's credentials (RFC 3261 §22.2, §22.3). Synchronous when the credential
   * store is (memory): the registrar's hot path takes no promise then.
   */
  authenticate(request: SipRequest, kind: AuthKind, source?: Source): MaybePromise<AuthOutcome>;
}
