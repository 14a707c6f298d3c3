import { randomBytes } from 'node:crypto';
import type { CredentialStore, DigestAlgorithm, StoredCredentials } from '../ports/credential-store';
import type { MaybePromise } from '../ports/location-store';
import type { Source } from '../ports/transport';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import { StoreError } from '../errors/sdk-error';
import type { Result } from '../errors/result';
import { andThen } from '../registrar/maybe-promise';
import { uriParts } from '../registrar/aor';
import { ownedCopy } from '../sip/byte-text';
import type { SipRequest } from '../sip/message';
import type { AuthIdentity, AuthKind, AuthOutcome, Authenticator } from './authenticator';
import { computeHa1s } from './compute-ha1s';
import type { DigestAuthOptions, ResolvedDigestAuthOptions } from './digest-auth-options';
import { resolveDigestAuthOptions } from './digest-auth-options';
import { DigestChallenger } from './digest-challenger';
import { digestHash } from './digest-hash';
import type { NonceOrigin } from './nonce-counts';
import { NonceCounts } from './nonce-counts';
import { IssuedNonceCounts } from './issued-nonce-counts';
import type { NonceId, NonceVerdict } from './nonce-signer';
import { NonceSigner } from './nonce-signer';
import type { ParsedCredentials } from './parse-credentials';
import { parseCredentials } from './parse-credentials';
import { parseAlgorithm } from './parse-algorithm';
import { digestHa2, verifyResponse } from './verify-response';

/** Server-side digest authentication (RFC 3261 §22, RFC 7616, RFC 8760); see {@link createDigestAuthenticator}. */
export interface DigestAuthenticator extends Authenticator {
  /**
   * The 401 (`www`) or 407 (`proxy`) refusal with fresh challenges for `request` (RFC 3261 §22.1),
   * `stale=true` when asked (RFC 7616 §3.3). `source` binds the nonce when
   * {@link DigestAuthOptions.nonceBindsSource} is set. A 400 when no realm can be named: no fixed
   * realm and neither the To/From URI nor the Request-URI has a host.
   */
  challenge(request: SipRequest, kind: AuthKind, stale?: boolean, source?: Source): RegError;
}

/** Nonces of another signer stay in their count table a little longer than they live, for the clock skew the signer allows. */
const COUNT_TTL_SLACK_MS = 5000;
/** The table of another signer's nonces holds a sixteenth of `nonceCountCapacity`, at least this many. */
const MIN_FOREIGN_NONCES = 1024;

/** The last HA2 of qop `auth` or none (the same for both), with what it was computed from. */
interface Ha2Memo {
  readonly algorithm: DigestAlgorithm;
  readonly method: string;
  readonly uri: string;
  readonly ha2: string;
}

const sameRealm = (a: string, b: string): boolean => a === b || (a.length === b.length && a.toLowerCase() === b.toLowerCase());

/**
 * A digest authenticator (RFC 3261 §22; RFC 7616; RFC 8760; OpenSIPS `www_authorize` /
 * `proxy_authorize`, Kamailio `auth_check`), stateless but for the nonce counts:
 *
 * - no credentials for the realm (none, another realm, another scheme): a challenge;
 * - malformed credentials, a qop, algorithm or RFC 2069 form not offered, qop without cnonce or
 *   nc, a `uri` that is not the Request-URI (§22.4): 400 `auth-malformed` naming the fault;
 * - a nonce not signed here (or for another source when bound): a challenge. The HMAC of a
 *   nonce runs until its first accepted count; its counts then keep the realm, source and issue
 *   time the HMAC vouched for, and the following requests check only those and its expiry;
 * - an unknown user, no HA1 for the algorithm, a wrong response: a challenge, `failed: true`
 *   (what a ban counts); the response is computed for unknown users too, against timing oracles;
 * - a right response on an expired nonce or a replayed nonce count: a challenge with
 *   `stale=true` (RFC 7616 §3.3), `failed: false`;
 * - a credential store failure: 503 `credentials-unavailable` with `Retry-After` when the
 *   `StoreError` is transient, else 500 `credentials-failure`.
 *
 * Synchronous when the credential store answers synchronously. Nothing read from the store is
 * cached: a changed password applies to the next request.
 * @throws {@link ConfigError} for bad options (see {@link resolveDigestAuthOptions}).
 */
export function createDigestAuthenticator(options: DigestAuthOptions): DigestAuthenticator {
  return new DigestAuth(resolveDigestAuthOptions(options));
}

class DigestAuth implements DigestAuthenticator {
  readonly #o: ResolvedDigestAuthOptions;
  readonly #store: CredentialStore;
  readonly #nonces: NonceSigner;
  /** The counts of the nonces signed here; undefined without `nonceCount`. */
  readonly #issued: IssuedNonceCounts | undefined;
  /** The counts of nonces another signer with the same secret issued (another node, an earlier run); created on the first. */
  #foreign: NonceCounts | undefined;
  readonly #challenger: DigestChallenger;
  /** HA1s of no subscriber, verified against when there is none, so an unknown user costs what a known one does. */
  readonly #decoyHa1s: Readonly<Record<DigestAlgorithm, string>>;
  readonly #unavailable: RegError;
  readonly #failure: RegError;
  /** The realm of the last request (lower case, an owned copy): the next one is most likely in the same domain. */
  #lastRealm: string | undefined;
  /** The REGISTERs of a domain share method and Request-URI (RFC 3261 §10.2), hence HA2 (no secret in it). */
  #lastHa2: Ha2Memo | undefined;

  constructor(o: ResolvedDigestAuthOptions) {
    this.#o = o;
    this.#store = o.credentials;
    this.#nonces = new NonceSigner(o.secrets, o.nonceExpire, o.clock);
    this.#issued = o.nonceCount ? new IssuedNonceCounts(o.nonceCountCapacity, this.#nonces) : undefined;
    this.#challenger = new DigestChallenger(o.algorithms, o.qop, o.userhash);
    this.#decoyHa1s = computeHa1s('', '', randomBytes(16).toString('hex'));
    this.#unavailable = regError('credentials-unavailable', o.retryAfter > 0 ? [['Retry-After', String(o.retryAfter)]] : undefined);
    this.#failure = regError('credentials-failure');
  }

  challenge(request: SipRequest, kind: AuthKind, stale = false, source?: Source): RegError {
    const realm = this.#realmOf(request);
    return realm === undefined ? noRealm() : this.#challenge(kind, realm, stale, source);
  }

  authenticate(request: SipRequest, kind: AuthKind, source?: Source): MaybePromise<AuthOutcome> {
    const realm = this.#realmOf(request);
    if (realm === undefined) return { ok: false, error: noRealm(), failed: false };
    const found = credentialsFor(request, kind, realm);
    if (found === undefined) return this.#refuse(kind, realm, false, source, false);
    if (!found.ok) return malformed(found.error);
    const credentials = found.value;
    const fault = this.#fault(request, credentials);
    if (fault !== undefined) return malformed(fault);
    const address = this.#boundAddress(source);
    const id = this.#nonces.read(credentials.nonce);
    if (id === undefined) return this.#refuse(kind, realm, false, source, false);
    const own = this.#issued === undefined || this.#issued.owns(id);
    const counted = own ? undefined : this.#foreign?.find(credentials.nonce, realm, address);
    const known = own ? this.#issued !== undefined && this.#issued.find(id, realm, address) : counted !== undefined;
    const verdict = this.#nonces.freshness(known ? id.issuedMs : this.#nonces.signedAt(credentials.nonce, realm, address));
    if (verdict === 'invalid') return this.#refuse(kind, realm, false, source, false);
    const algorithm = parseAlgorithm(credentials.algorithm)!.algorithm;
    let stored: MaybePromise<StoredCredentials | undefined>;
    try {
      if (!credentials.userhash) stored = this.#store.lookup(credentials.username, realm);
      else if (this.#store.lookupByUserhash !== undefined) stored = this.#store.lookupByUserhash(credentials.username, realm, algorithm);
      else return this.#refuse(kind, realm, false, source, false);
    } catch (e) {
      return this.#storeFailed(e);
    }
    // The counts found are used as they are only in this synchronous turn; after an await, looked up again.
    const origin = stored instanceof Promise ? undefined : counted;
    return andThen(stored, (s) => this.#decide(request, kind, realm, source, credentials, algorithm, verdict, id, origin, s), (e) => this.#storeFailed(e));
  }

  /**
   * The verdict once the subscriber (or none) is known; `verdict` on the nonce `id`, whose counts
   * in the table of another signer's nonces are `counted` when found in this synchronous turn.
   */
  #decide(
    request: SipRequest, kind: AuthKind, realm: string, source: Source | undefined, credentials: ParsedCredentials,
    algorithm: DigestAlgorithm, verdict: NonceVerdict, id: NonceId, counted: NonceOrigin | undefined, stored: StoredCredentials | undefined,
  ): AuthOutcome {
    const ha1 = this.#ha1(stored, credentials, algorithm, realm);
    const qop = (credentials.qop ?? '') as 'auth' | 'auth-int' | '';
    const { method } = request;
    const uri = credentials.uri;
    const right = verifyResponse({
      algorithm, sess: false, ha1: ha1 ?? this.#decoyHa1s[algorithm], nonce: credentials.nonce, qop,
      nc: credentials.ncValue ?? '', cnonce: credentials.cnonce ?? '', method, uri, ha2: this.#ha2(algorithm, qop, method, uri, request.body),
    }, credentials.response);
    if (ha1 === undefined || !right) return this.#refuse(kind, realm, false, source, true);
    if (verdict === 'expired') return this.#refuse(kind, realm, true, source, false);
    // Only a nonce whose signature was checked (here or before its first count) gets counts.
    if (credentials.nc !== undefined && !this.#count(credentials.nonce, id, credentials.nc, realm, this.#boundAddress(source), counted)) {
      return this.#refuse(kind, realm, true, source, false);
    }
    const identity: AuthIdentity = stored!.aliases === undefined
      ? { username: stored!.username, realm }
      : { username: stored!.username, realm, aliases: stored!.aliases };
    return { ok: true, identity };
  }

  /**
   * Record nonce count `nc` of a nonce whose signature was checked: true unless it is a replay
   * (or a nonce of this signer too old to be tracked). A nonce signed here is counted in the table
   * of issued nonces; one another signer with the same secret issued, in the table of those
   * (`counted`: its counts when found in the same synchronous turn). Always true without `nonceCount`.
   */
  #count(nonce: string, id: NonceId, nc: number, realm: string, address: string | undefined, counted: NonceOrigin | undefined): boolean {
    const issued = this.#issued;
    if (issued === undefined) return true;
    if (issued.owns(id)) return issued.accept(id, nc, realm, address);
    const o = this.#o;
    this.#foreign ??= new NonceCounts(Math.max(MIN_FOREIGN_NONCES, o.nonceCountCapacity >>> 4), o.nonceExpire * 1000 + COUNT_TTL_SLACK_MS, o.clock);
    return this.#foreign.accept(nonce, nc, counted ?? { realm, address, issuedMs: id.issuedMs });
  }

  /** {@link digestHa2}, reused from the last request when it had the same algorithm, method and uri (`auth-int` signs each body). */
  #ha2(algorithm: DigestAlgorithm, qop: 'auth' | 'auth-int' | '', method: string, uri: string, body: Uint8Array): string {
    if (qop === 'auth-int') return digestHa2({ algorithm, qop, method, uri, body });
    const last = this.#lastHa2;
    if (last !== undefined && last.algorithm === algorithm && last.method === method && last.uri === uri) return last.ha2;
    const ha2 = digestHa2({ algorithm, qop, method, uri });
    this.#lastHa2 = { algorithm, method, uri, ha2 };
    return ha2;
  }

  /**
   * The subscriber's HA1 for `algorithm` (RFC 7616 §3.4.2): the stored one, or computed from the
   * stored password with `calculateHa1` (then hashed for an unknown user too, for equal timing).
   */
  #ha1(stored: StoredCredentials | undefined, credentials: ParsedCredentials, algorithm: DigestAlgorithm, realm: string): string | undefined {
    if (!this.#o.calculateHa1) return stored?.ha1?.[algorithm];
    const password = stored?.password;
    const ha1 = digestHash(algorithm, `${stored?.username ?? credentials.username}:${realm}:${password ?? ''}`);
    return password === undefined ? undefined : ha1;
  }

  /** Why credentials for our realm cannot be checked (RFC 3261 §22.4, RFC 7616 §3.4), or undefined. */
  #fault(request: SipRequest, c: ParsedCredentials): string | undefined {
    const o = this.#o;
    const name = parseAlgorithm(c.algorithm);
    if (name === undefined || name.sess || !o.algorithms.includes(name.algorithm)) {
      return `algorithm=${c.algorithm} was not offered (offered: ${o.algorithms.join(', ')})`;
    }
    if (c.qop === undefined) {
      if (o.qop.length > 0) return `qop missing: the challenge offered qop="${o.qop.join(',')}"`;
    } else {
      if (!(o.qop as readonly string[]).includes(c.qop)) return `qop=${c.qop} was not offered (offered: ${o.qop.length > 0 ? o.qop.join(', ') : 'none, RFC 2069'})`;
      if (c.cnonce === undefined) return `qop=${c.qop} without cnonce`;
      if (c.nc === undefined) return `qop=${c.qop} without nc`;
    }
    if (c.uri.trim() !== request.uri.trim()) return `uri="${c.uri}" is not the Request-URI ${request.uri} (RFC 3261 §22.4)`;
    return undefined;
  }

  /** The source address a nonce is bound to, when bound (a request without a source: the empty address). */
  #boundAddress(source: Source | undefined): string | undefined {
    return this.#o.nonceBindsSource ? (source?.address ?? '') : undefined;
  }

  #challenge(kind: AuthKind, realm: string, stale: boolean, source: Source | undefined): RegError {
    const address = this.#boundAddress(source);
    const nonce = this.#nonces.sign(realm, address);
    this.#issued?.issued(this.#nonces.read(nonce)!, realm, address);
    return this.#challenger.challenge(kind, realm, nonce, stale);
  }

  #refuse(kind: AuthKind, realm: string, stale: boolean, source: Source | undefined, failed: boolean): AuthOutcome {
    return { ok: false, error: this.#challenge(kind, realm, stale, source), failed };
  }

  #storeFailed(e: unknown): AuthOutcome {
    const transient = e instanceof StoreError && e.transient;
    this.#o.logger.warn({ err: e, transient }, 'credential store failed; request refused');
    return { ok: false, error: transient ? this.#unavailable : this.#failure, failed: false };
  }

  /** The fixed realm, else the To domain of a REGISTER or the From domain of another request, else the Request-URI's host (RFC 3261 §22.1). */
  #realmOf(request: SipRequest): string | undefined {
    if (this.#o.realm !== undefined) return this.#o.realm;
    const uri = request.method === 'REGISTER' ? request.to.uri : request.from.uri;
    // The URIs of a domain end in `@` and its host: the last realm again, without parsing the URI.
    const last = this.#lastRealm;
    if (last !== undefined && uri.length > last.length && uri.charCodeAt(uri.length - last.length - 1) === 0x40 && uri.endsWith(last)) return last;
    const host = uriParts(uri)?.host || uriParts(request.uri)?.host;
    if (!host) return undefined;
    return (this.#lastRealm = ownedCopy(host.toLowerCase()));
  }
}

/** The refusal of credentials that cannot be checked. */
function malformed(detail: string): AuthOutcome {
  return { ok: false, error: regError('auth-malformed', undefined, `Malformed digest credentials: ${detail}`), failed: false };
}

function noRealm(): RegError {
  return regError('auth-malformed', undefined, 'No realm to challenge with: neither the To/From URI nor the Request-URI has a host; set DigestAuthOptions.realm');
}

/**
 * The credentials for `realm` among the request's `Authorization` (`www`) or
 * `Proxy-Authorization` (`proxy`) lines (RFC 3261 §22.4: one per realm): the first digest line
 * whose realm is ours; else a malformed digest line's fault; else undefined.
 */
function credentialsFor(request: SipRequest, kind: AuthKind, realm: string): Result<ParsedCredentials, string> | undefined {
  const values = request.headerAll(kind === 'www' ? 'Authorization' : 'Proxy-Authorization');
  let fault: Result<ParsedCredentials, string> | undefined;
  for (let i = 0; i < values.length; i++) {
    const parsed = parseCredentials(values[i]);
    if (parsed === undefined) continue;
    if (!parsed.ok) fault ??= parsed;
    else if (sameRealm(parsed.value.realm, realm)) return parsed;
  }
  return fault;
}
