import { ConfigError } from '../errors/sdk-error';
import { integerOption } from '../errors/integer-option';
import { systemClock, type Clock } from '../ports/clock';
import { silentLogger, type Logger } from '../ports/logger';
import type { Source, Transport } from '../ports/transport';
import type { Registrar } from '../registrar/registrar';
import type { SipRequest } from '../sip/message';
import type { MaybePromise } from '../ports/location-store';
import type { AuthIdentity, Authenticator } from '../auth/authenticator';
import { systemResolver, type SipResolver } from '../sip/request-destination';
import { parseUri } from '../sip/uri';

/**
 * Options of {@link createReginfo}: the OpenSIPS `pua_reginfo` module parameters in camelCase
 * with the module's defaults, plus the notifier side OpenSIPS leaves to its presence module.
 */
export interface ReginfoOptions {
  /** The location the reg-event works on (`ul_domain`): its changes are published and notified, NOTIFYs are applied to it. */
  readonly registrar: Registrar;
  /** Sends PUBLISH, SUBSCRIBE and NOTIFY as client transactions, and the replies to SUBSCRIBE and NOTIFY. */
  readonly transport: Transport;
  /**
   * `server_address`: the SIP URI of this server (`sip:reginfo@192.0.2.1:5060`), the From and
   * Contact of its SUBSCRIBEs and the Contact of its NOTIFYs: where the other side sends its
   * NOTIFYs and in-dialog requests.
   */
  readonly serverAddress: string;
  /** `outbound_proxy`: a SIP URI every PUBLISH and out-of-dialog SUBSCRIBE goes through (loose `Route`). @defaultValue none */
  readonly outboundProxy?: string;
  /** `default_domain`: the domain added to an AOR or identity given without one (`update('alice')`). @defaultValue none */
  readonly defaultDomain?: string;
  /**
   * `publish_reginfo`: send a PUBLISH (RFC 3903, Event: reg) for every change of a binding, to the
   * AOR through `outboundProxy` (else to the AOR's domain, RFC 3263). @defaultValue true
   */
  readonly publish?: boolean;
  /** Expires of the PUBLISHes (s); refreshed before they run out (RFC 3903 §4.1). @defaultValue 3600 */
  readonly publishExpiresSec?: number;
  /**
   * `ul_identities_key`: publish an AOR only once {@link Reginfo.setIdentities} gave it its public
   * identities (e.g. from a `P-Associated-URI`), one `<registration>` per identity. @defaultValue false
   */
  readonly useIdentities?: boolean;
  /** Answer SUBSCRIBE Event: reg with a full NOTIFY, then a partial NOTIFY on every change (RFC 3680 §4). @defaultValue true */
  readonly notifier?: boolean;
  /** Subscription length when a SUBSCRIBE has no `Expires` (RFC 3680 §4.4). @defaultValue 3761 */
  readonly defaultSubscribeExpiresSec?: number;
  /** Longest subscription granted (s); longer requests are shortened. @defaultValue 7200 */
  readonly maxSubscribeExpiresSec?: number;
  /** Shortest subscription accepted (s); shorter (but not 0) gets 423 with Min-Expires (RFC 6665 §4.2.1.1). @defaultValue 60 */
  readonly minSubscribeExpiresSec?: number;
  /**
   * Authenticates every SUBSCRIBE the notifier gets, refreshes and unsubscribes included, before
   * anything else is looked at (RFC 3680 §4.6: subscriptions to registration state "SHOULD be
   * authenticated and authorized before approval"; RFC 3261 §22): one without valid credentials
   * gets the authenticator's answer (401 with `WWW-Authenticate`, 400, or 503 when its credential
   * store is away). Then {@link authorize} decides, or without it the identity may watch only an
   * AOR it may use (its own `username@realm` or an alias), else 403: authenticate, then
   * (`authorize` ?? may-use). A refresh must come from the identity that subscribed. Credentials
   * that did not verify emit `authFailed` on the {@link Reginfo}, for a ban to count. Give it
   * `createDigestAuthenticator(...)`. @defaultValue undefined: SUBSCRIBEs are not authenticated
   */
  readonly auth?: Authenticator;
  /**
   * Whether a watcher may subscribe to an AOR (RFC 3680 §4.6 leaves the authorization policy to
   * the administrator); `identity` is who {@link auth} authenticated. False answers 403.
   * @defaultValue with `auth`, an identity may watch the AORs it may use (RFC 3680 §4.6 recommends
   * letting users watch their own registration state); without `auth`, every watcher is allowed
   */
  readonly authorize?: (request: SipRequest, source: Source, aor: string, identity?: AuthIdentity) => MaybePromise<boolean>;
  /** Largest reginfo body accepted in a NOTIFY (bytes); larger ones are refused. @defaultValue 65536 */
  readonly maxBodyBytes?: number;
  /** First step of the RFC 5626 §4.5 backoff before subscribing again after a failure (s). @defaultValue 30 */
  readonly retryBaseSec?: number;
  /** Longest wait before subscribing again (s). @defaultValue 1800 */
  readonly retryMaxSec?: number;
  /** Longest wait of {@link Reginfo.close} for the answers to its final NOTIFYs and unSUBSCRIBEs (ms). @defaultValue 1000 */
  readonly closeTimeoutMs?: number;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** @defaultValue silent */
  readonly logger?: Logger;
  /** DNS for SIP URIs (RFC 3263 without NAPTR) and the random numbers of tags and Call-IDs. @defaultValue the system's */
  readonly resolver?: SipResolver;
}

/** {@link ReginfoOptions} with every default applied, frozen. */
export interface ResolvedReginfoOptions {
  readonly registrar: Registrar;
  readonly transport: Transport;
  readonly serverAddress: string;
  readonly outboundProxy: string | undefined;
  readonly defaultDomain: string | undefined;
  readonly publish: boolean;
  readonly publishExpiresSec: number;
  readonly useIdentities: boolean;
  readonly notifier: boolean;
  readonly defaultSubscribeExpiresSec: number;
  readonly maxSubscribeExpiresSec: number;
  readonly minSubscribeExpiresSec: number;
  readonly auth: Authenticator | undefined;
  /** Undefined: the default policy (see {@link ReginfoOptions.authorize}). */
  readonly authorize: ((request: SipRequest, source: Source, aor: string, identity?: AuthIdentity) => MaybePromise<boolean>) | undefined;
  readonly maxBodyBytes: number;
  readonly retryBaseSec: number;
  readonly retryMaxSec: number;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly resolver: SipResolver;
}

const integer = (name: string, value: number | undefined, fallback: number, min: number, max?: number): number =>
  integerOption('ReginfoOptions', name, value, fallback, min, max);

function sipUri(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const u = parseUri(value);
  if (u === undefined || u.scheme === 'tel') throw new ConfigError(`ReginfoOptions.${name} must be a sip: or sips: URI such as 'sip:reginfo@192.0.2.1:5060', got '${value}'`);
  return value;
}

/** The ports of {@link ReginfoOptions}: the parts that exist only once a registrar and sockets are up. */
type ReginfoPorts = 'registrar' | 'transport';

/**
 * Check and freeze the options.
 * @throws {@link ConfigError} for a missing registrar, transport or `serverAddress`, a URI that
 *   does not parse, or a number out of range.
 */
export function resolveReginfoOptions(options: ReginfoOptions): ResolvedReginfoOptions {
  if (options?.registrar === undefined) throw new ConfigError('createReginfo needs options.registrar (the registrar whose location it publishes and updates)');
  if (options.transport === undefined) throw new ConfigError('createReginfo needs options.transport');
  return Object.freeze({ ...resolveReginfoSettings(options), registrar: options.registrar, transport: options.transport });
}

/**
 * Check the options that are values, not ports: what a command line can check before it opens a
 * store or a socket.
 * @throws {@link ConfigError} as {@link resolveReginfoOptions} does, but for the ports.
 */
export function resolveReginfoSettings(options: Omit<ReginfoOptions, ReginfoPorts>): Omit<ResolvedReginfoOptions, ReginfoPorts> {
  const serverAddress = sipUri('serverAddress', options.serverAddress);
  if (serverAddress === undefined) throw new ConfigError("createReginfo needs options.serverAddress (server_address), e.g. 'sip:reginfo@192.0.2.1:5060'");
  const minSubscribeExpiresSec = integer('minSubscribeExpiresSec', options.minSubscribeExpiresSec, 60, 1);
  const maxSubscribeExpiresSec = integer('maxSubscribeExpiresSec', options.maxSubscribeExpiresSec, 7200, minSubscribeExpiresSec);
  const domain = options.defaultDomain;
  if (options.auth !== undefined && typeof options.auth.authenticate !== 'function') {
    throw new ConfigError('ReginfoOptions.auth must have an authenticate(request, kind, source) method: give it createDigestAuthenticator({ credentials })');
  }
  if (domain !== undefined && !/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(domain)) {
    throw new ConfigError(`ReginfoOptions.defaultDomain must be a host name such as 'example.com', got '${domain}'`);
  }
  return {
    serverAddress,
    outboundProxy: sipUri('outboundProxy', options.outboundProxy),
    defaultDomain: domain,
    publish: options.publish ?? true,
    publishExpiresSec: integer('publishExpiresSec', options.publishExpiresSec, 3600, 60),
    useIdentities: options.useIdentities ?? false,
    notifier: options.notifier ?? true,
    defaultSubscribeExpiresSec: integer('defaultSubscribeExpiresSec', options.defaultSubscribeExpiresSec, 3761, minSubscribeExpiresSec, maxSubscribeExpiresSec),
    maxSubscribeExpiresSec,
    minSubscribeExpiresSec,
    auth: options.auth,
    authorize: options.authorize,
    maxBodyBytes: integer('maxBodyBytes', options.maxBodyBytes, 65536, 256),
    retryBaseSec: integer('retryBaseSec', options.retryBaseSec, 30, 1),
    retryMaxSec: integer('retryMaxSec', options.retryMaxSec, 1800, 1),
    closeTimeoutMs: integer('closeTimeoutMs', options.closeTimeoutMs, 1000, 0),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    resolver: options.resolver ?? systemResolver,
  };
}
