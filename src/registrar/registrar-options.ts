import type { Clock } from '../ports/clock';
import type { LocationStore } from '../ports/location-store';
import type { Logger } from '../ports/logger';
import type { Endpoint } from '../ports/transport';
import { systemClock } from '../ports/clock';
import { silentLogger } from '../ports/logger';
import { ConfigError } from '../errors/sdk-error';
import { MemoryLocationStore } from '../stores/memory-location-store';
import type { SaveOptions } from './save-options';
import type { LookupOptions } from './lookup-options';
import type { GruuOptions, ResolvedGruuOptions } from '../features/gruu/gruu-options';
import { resolveGruuOptions } from '../features/gruu/gruu-options';
import type { OutboundOptions, ResolvedOutboundOptions } from '../features/outbound/outbound-options';
import { resolveOutboundOptions } from '../features/outbound/outbound-options';
import type { PushOptions, ResolvedPushOptions } from '../features/push/push-options';
import { resolvePushOptions } from '../features/push/push-options';
import type { PushNotifier } from '../features/push/push-notifier';
import type { Authenticator } from '../auth/authenticator';
import type { SipResolver } from '../sip/request-destination';
import { systemResolver } from '../sip/request-destination';

/**
 * How the registrar decides a binding's `received` address (RFC 3261 §18.2.1, RFC 3581), where
 * lookups send requests instead of the Contact. A Contact's target is its `maddr` parameter when
 * it has one, else its host (RFC 3261 §19.1.1): a Contact naming a third party either way is
 * reached at the source of its REGISTER under `nat` and `always`.
 */
export type ReceivedMode =
  /**
   * Only an explicit {@link SaveOptions.received} (OpenSIPS `received_avp` set by nathelper):
   * Contacts are trusted as given, `maddr` like a host, because the source may be a proxy in
   * front rather than the UA. For registrars behind such a proxy; one facing UAs directly uses
   * `nat` or `always`, or Contacts naming third parties are reached there.
   */
  | 'explicit'
  /** Also when the Contact's target (`maddr`, else host) and port differ from the packet source (NAT detected). */
  | 'nat'
  /** Always the packet source. */
  | 'always';

/**
 * Options of {@link createRegistrar}: the OpenSIPS registrar module parameters, camel-cased,
 * with the same defaults, plus the ports. Resolved once at construction into a frozen object.
 */
export interface RegistrarOptions {
  /** Where bindings live. @defaultValue a new `MemoryLocationStore` */
  store?: LocationStore;
  /** Time source. @defaultValue the system clock */
  clock?: Clock;
  /** @defaultValue a silent logger */
  logger?: Logger;
  /**
   * DNS for {@link Registrar.remove} by next hop: host names are resolved to their address
   * (RFC 3263 §4.2) to compare with the bindings'. @defaultValue the system DNS (`systemResolver`)
   */
  resolver?: SipResolver;
  /** Lifetime when neither the Contact nor the request says (s). @defaultValue 3600 */
  defaultExpires?: number;
  /** Shorter non-zero lifetimes are raised to this (s); 0 disables. @defaultValue 60 */
  minExpires?: number;
  /** Longer lifetimes are lowered to this (s); 0 disables. @defaultValue 0 */
  maxExpires?: number;
  /**
   * What to do with a non-zero lifetime below `minExpires`: `'clamp'` raises it (OpenSIPS),
   * `'reject'` answers `423 Interval Too Brief` with `Min-Expires` (RFC 3261 §10.3 step 7,
   * Kamailio `min_expires_mode`). @defaultValue 'clamp'
   */
  minExpiresMode?: 'clamp' | 'reject';
  /**
   * q for Contacts without one, in thousandths (380 = 0.38); -1 = unspecified: not echoed in the
   * 200 and ordered after every explicit q, 0 included (RFC 3261 §16.6 step 10 leaves a missing q
   * to the proxy). OpenSIPS's manual says "Default value is 0", but its code starts unspecified:
   * `qvalue_t default_q = Q_UNSPECIFIED;` in modules/registrar/reg_mod.c, with
   * `#define Q_UNSPECIFIED ((qvalue_t)-1)` in qvalue.h, and usrloc's `mem_insert_ucontact` orders
   * by `ptr->q < c->q`; sipreg follows the code. Set 0 for the manual's behaviour.
   * @defaultValue -1
   */
  defaultQ?: number;
  /** Prefix stripped from the AOR's domain (`"sip."`). @defaultValue '' */
  realmPrefix?: string;
  /** Compare the user part of AORs case-sensitively (RFC 3261 §19.1.4). @defaultValue true */
  caseSensitive?: boolean;
  /** Name of the Contact parameter carrying `received` in the 200. @defaultValue 'received' */
  receivedParam?: string;
  /** How `received` is decided. @defaultValue 'explicit' */
  receivedMode?: ReceivedMode;
  /** Bindings per AOR; 0 = unlimited. @defaultValue 0 */
  maxContacts?: number;
  /** @defaultValue 64 */
  maxUsernameLen?: number;
  /** @defaultValue 64 */
  maxDomainLen?: number;
  /** @defaultValue 256 */
  maxAorLen?: number;
  /** Longest Contact URI accepted. @defaultValue 255 */
  maxContactLen?: number;
  /** `Retry-After` seconds on 5xx replies; 0 = none. @defaultValue 0 */
  retryAfter?: number;
  /** Header read by the `socketHeader` save flag (OpenSIPS `sock_hdr_name`). @defaultValue undefined */
  sockHdrName?: string;
  /**
   * The sockets this server listens on, asked at each save with the `socketHeader` flag: the
   * `sockHdrName` header's `proto:host:port` is stored only when it is one of them, else the
   * socket the REGISTER came in on (OpenSIPS `get_sock_hdr()` ignores a non-local socket). Give it
   * `() => transport.endpoints()`. @defaultValue undefined: the header is stored as given
   */
  localSockets?: () => readonly Endpoint[];
  /** Domains served; an AOR in another domain gets 404 (RFC 3261 §10.3 step 3). Empty = any. @defaultValue [] */
  domains?: readonly string[];
  /**
   * A REGISTER with the same Call-ID and CSeq as the binding, within this window, is a
   * retransmission: answered with the current bindings, not applied again (OpenSIPS usrloc
   * `cseq_delay`). @defaultValue 20
   */
  cseqDelay?: number;
  /** Option tags the registrar accepts in `Require` (others get 420). @defaultValue [] */
  supportedExtensions?: readonly string[];
  /** Compare-and-set attempts before answering 500. @defaultValue 16 */
  maxCommitAttempts?: number;
  /** How often expired bindings are purged (ms); 0 disables the timer. @defaultValue 10000 */
  purgeIntervalMs?: number;
  /**
   * Whether this node currently holds a cluster sharing tag (OpenSIPS clusterer `shtag`), for
   * bindings saved with an `ownershipTag`: on several nodes sharing one store, only the owner of
   * a binding's tag purges it when it expires, so only that node emits `expired` for it (and a
   * mid-registrar there de-registers it upstream). Bindings without a tag are purged by any node;
   * the store's compare-and-set lets exactly one commit each removal. Give it
   * `RedisSharingTags.isActive` from `sipreg/stores/redis`. @defaultValue every tag is active here
   */
  isTagActive?: (ownershipTag: string) => boolean;
  /** AORs purged per batch. @defaultValue 1000 */
  purgeBatch?: number;
  /** Save options applied when a call gives none (OpenSIPS script flags). @defaultValue {} */
  defaultSaveOptions?: SaveOptions;
  /** Lookup options applied when a call gives none. @defaultValue {} */
  defaultLookupOptions?: LookupOptions;
  /** `Service-Route` values added to every 200 to a REGISTER (RFC 3608). @defaultValue [] */
  serviceRoute?: readonly string[];
  /** GRUUs (RFC 5627; OpenSIPS `disable_gruu`, `gruu_secret`). @defaultValue disabled */
  gruu?: GruuOptions;
  /** SIP Outbound flows (RFC 5626). @defaultValue enabled, no Flow-Timer */
  outbound?: OutboundOptions;
  /** Push notifications (RFC 8599; OpenSIPS `pn_*`). @defaultValue disabled */
  push?: PushOptions;
  /**
   * Sends the push notifications (APNs, FCM, WebPush are the host's). Without one, pushes are
   * only the `contact-refresh` events. @defaultValue undefined
   */
  pushNotifier?: PushNotifier;
  /**
   * Authenticates every REGISTER before its AOR is loaded (RFC 3261 §10.3 step 2, §22; OpenSIPS
   * `www_authorize()` before `save()`): a request without valid credentials gets the
   * authenticator's answer (401 with `WWW-Authenticate`, 400, or 503 when its credential store is
   * away) and changes nothing — a `Contact: *` or a de-registration as much as any other. A save
   * given {@link SaveOptions.identity} (authenticated by the host) skips it. Give it
   * `createDigestAuthenticator(...)`. @defaultValue undefined: no authentication
   */
  auth?: Authenticator;
  /**
   * With an authenticated identity, the AOR must be one it may use, else 403 (RFC 3261 §10.3
   * step 3: "the registrar ... determines if the authenticated user is authorized to modify
   * registrations for this address-of-record"; OpenSIPS auth_db `db_check_to`, Kamailio
   * `auth_check`): its own `username@realm` or one of its aliases. @defaultValue true
   */
  checkTo?: boolean;
}

/** {@link RegistrarOptions} with every default applied. */
export type ResolvedRegistrarOptions = Readonly<
  Required<Omit<RegistrarOptions, 'sockHdrName' | 'localSockets' | 'gruu' | 'outbound' | 'push' | 'pushNotifier' | 'auth'>> & {
    sockHdrName: string | undefined;
    localSockets: (() => readonly Endpoint[]) | undefined;
    gruu: ResolvedGruuOptions;
    outbound: ResolvedOutboundOptions;
    push: ResolvedPushOptions;
    pushNotifier: PushNotifier | undefined;
    auth: Authenticator | undefined;
  }
>;

const everyTagActive = (): boolean => true;

/** The Retry-After of a 503 for a store that is away: `retryAfter`, or 5 s when that is 0 (none). */
export const storeRetryAfterSec = (options: ResolvedRegistrarOptions): number => (options.retryAfter > 0 ? options.retryAfter : 5);

const nonNegativeIntegers = [
  'defaultExpires', 'minExpires', 'maxExpires', 'maxContacts', 'maxUsernameLen', 'maxDomainLen',
  'maxAorLen', 'maxContactLen', 'retryAfter', 'cseqDelay', 'purgeIntervalMs',
] as const;

/** Apply defaults and validate; throws {@link ConfigError} naming the bad option. */
export function resolveRegistrarOptions(options: RegistrarOptions = {}): ResolvedRegistrarOptions {
  const resolved = {
    store: options.store ?? new MemoryLocationStore(),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    resolver: options.resolver ?? systemResolver,
    defaultExpires: options.defaultExpires ?? 3600,
    minExpires: options.minExpires ?? 60,
    maxExpires: options.maxExpires ?? 0,
    minExpiresMode: options.minExpiresMode ?? 'clamp',
    defaultQ: options.defaultQ ?? -1,
    realmPrefix: options.realmPrefix ?? '',
    caseSensitive: options.caseSensitive ?? true,
    receivedParam: options.receivedParam ?? 'received',
    receivedMode: options.receivedMode ?? 'explicit',
    maxContacts: options.maxContacts ?? 0,
    maxUsernameLen: options.maxUsernameLen ?? 64,
    maxDomainLen: options.maxDomainLen ?? 64,
    maxAorLen: options.maxAorLen ?? 256,
    maxContactLen: options.maxContactLen ?? 255,
    retryAfter: options.retryAfter ?? 0,
    sockHdrName: options.sockHdrName,
    localSockets: options.localSockets,
    domains: Object.freeze((options.domains ?? []).map((d) => d.toLowerCase())),
    cseqDelay: options.cseqDelay ?? 20,
    supportedExtensions: Object.freeze((options.supportedExtensions ?? []).map((t) => t.toLowerCase())),
    maxCommitAttempts: options.maxCommitAttempts ?? 16,
    purgeIntervalMs: options.purgeIntervalMs ?? 10_000,
    purgeBatch: options.purgeBatch ?? 1000,
    isTagActive: options.isTagActive ?? everyTagActive,
    defaultSaveOptions: Object.freeze({ ...options.defaultSaveOptions }),
    defaultLookupOptions: Object.freeze({ ...options.defaultLookupOptions }),
    serviceRoute: Object.freeze([...(options.serviceRoute ?? [])]),
    gruu: resolveGruuOptions(options.gruu),
    outbound: resolveOutboundOptions(options.outbound),
    push: resolvePushOptions(options.push),
    pushNotifier: options.pushNotifier,
    auth: options.auth,
    checkTo: options.checkTo ?? true,
  };
  for (const key of nonNegativeIntegers) {
    const v = resolved[key];
    if (!Number.isInteger(v) || v < 0) throw new ConfigError(`RegistrarOptions.${key} must be a non-negative integer, got ${String(v)}`);
  }
  if (resolved.maxExpires !== 0 && resolved.maxExpires < resolved.minExpires) {
    throw new ConfigError(`RegistrarOptions.maxExpires (${resolved.maxExpires}) is below minExpires (${resolved.minExpires}); raise it or set 0 to disable`);
  }
  if (!Number.isInteger(resolved.defaultQ) || resolved.defaultQ < -1 || resolved.defaultQ > 1000) {
    throw new ConfigError(`RegistrarOptions.defaultQ must be -1 (unspecified) or 0..1000 thousandths, got ${resolved.defaultQ}`);
  }
  if (!Number.isInteger(resolved.maxCommitAttempts) || resolved.maxCommitAttempts < 1) {
    throw new ConfigError(`RegistrarOptions.maxCommitAttempts must be >= 1, got ${resolved.maxCommitAttempts}`);
  }
  if (!Number.isInteger(resolved.purgeBatch) || resolved.purgeBatch < 1) {
    throw new ConfigError(`RegistrarOptions.purgeBatch must be >= 1, got ${resolved.purgeBatch}`);
  }
  if (resolved.minExpiresMode !== 'clamp' && resolved.minExpiresMode !== 'reject') {
    throw new ConfigError(`RegistrarOptions.minExpiresMode must be 'clamp' or 'reject', got ${String(resolved.minExpiresMode)}`);
  }
  if (resolved.auth !== undefined && typeof resolved.auth.authenticate !== 'function') {
    throw new ConfigError('RegistrarOptions.auth must have an authenticate(request, kind, source) method: give it createDigestAuthenticator({ credentials })');
  }
  if (!['explicit', 'nat', 'always'].includes(resolved.receivedMode)) {
    throw new ConfigError(`RegistrarOptions.receivedMode must be 'explicit', 'nat' or 'always', got ${String(resolved.receivedMode)}`);
  }
  return Object.freeze(resolved);
}
