import { ConfigError } from '../errors/sdk-error';
import type { Endpoint, Transport } from '../ports/transport';
import type { RegistrarOptions } from '../registrar/registrar-options';
import type { SaveOptions } from '../registrar/save-options';
import type { DigestCredentials } from '../sip/digest';
import type { Authenticator } from '../auth/authenticator';
import type { ForwardTarget } from '../proxy/stateless-proxy';

/**
 * How the mid-registrar stands between the phones and the main registrar (OpenSIPS
 * `mid_registrar` `mode` 0, 1, 2):
 * - `'mirror'`: every REGISTER is forwarded with its Contacts rewritten to point here; the
 *   lifetimes are the main registrar's.
 * - `'throttle-contact'`: per Contact, forwarded with `outgoingExpires` when new, de-registering
 *   or when the main registrar's binding is about to run out; other refreshes are answered here.
 * - `'throttle-aor'`: per AOR, the main registrar holds one Contact pointing here for all of the
 *   AOR's devices; refreshes are answered here.
 */
export type MidRegistrarMode = 'mirror' | 'throttle-contact' | 'throttle-aor';

/**
 * Where the contact id goes in a forwarded Contact (OpenSIPS `contact_id_insertion`):
 * `'ct-param'` appends `;ctid=<id>`, `'ct-username'` replaces the user part with the id.
 */
export type ContactIdInsertion = 'ct-param' | 'ct-username';

/** The host's credentials for the main registrar's digest challenges (RFC 3261 §22), per AOR and realm. */
export type CredentialsProvider = (aor: string, realm: string) => DigestCredentials | undefined;

/** The address this mid-registrar advertises in forwarded Contacts (`host:port` of a listening socket). */
export interface AdvertisedAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Options of {@link MidRegistrar}: the OpenSIPS `mid_registrar` module parameters in camelCase,
 * with its defaults (which differ from the registrar's for `minExpires` and `maxExpires`), plus
 * every {@link RegistrarOptions} field for the bindings kept here, and the upstream wiring.
 */
export interface MidRegistrarOptions extends RegistrarOptions {
  /** @defaultValue 'mirror' */
  mode?: MidRegistrarMode;
  /**
   * The main registrar REGISTERs are forwarded to. Over TLS its certificate must name `address`,
   * or `serverName` when given (also sent as SNI, RFC 5922 §7.2); a host's `outboundProxy` to it
   * passes the same `serverName` in its {@link ForwardTarget}.
   */
  upstream: Endpoint;
  /** Request-URI of mid-registrar's own REGISTERs (de-registrations). @defaultValue `sip:<upstream address>:<port>` */
  upstreamUri?: string;
  /** host:port put into forwarded Contacts and Via. @defaultValue the transport's first endpoint */
  advertised?: AdvertisedAddress;
  /** Sends the de-REGISTERs of vanished phones (and forwards in {@link MidRegistrar.process}). */
  transport?: Transport;
  /** Credentials for challenged de-REGISTERs. @defaultValue none: a challenged de-REGISTER fails */
  credentials?: CredentialsProvider;
  /** @defaultValue 'ct-param' */
  contactIdInsertion?: ContactIdInsertion;
  /** URI parameter carrying the contact id. @defaultValue 'ctid' */
  contactIdParam?: string;
  /** What stands for `@` in the AOR-throttling Contact's user part. @defaultValue '%40' */
  atEscapeStr?: string;
  /** Lifetime asked of the main registrar in the throttling modes (s). @defaultValue 3600 */
  outgoingExpires?: number;
  /**
   * Up to ± this many seconds on lifetimes, to spread a fleet's refreshes (OpenSIPS
   * `expires_max_deviation`): each lifetime asked upstream gets a random deviation, and in the
   * throttling modes each phone's granted lifetime its own deviation, the same on every refresh
   * of its Contact (in mirror mode the phone gets the main registrar's, asked with the
   * deviation). Never below 1 s; the upstream lifetime still covers the phone's. 0 = none.
   * @defaultValue 0
   */
  expiresMaxDeviation?: number;
  /**
   * Appended to every Contact URI forwarded (`;transport=tls`, OpenSIPS `extra_contact_params_avp`);
   * a REGISTER's own `MidSaveOptions.extraContactParams` replaces it. @defaultValue ''
   */
  extraContactParams?: string;
  /** How long a forwarded REGISTER or de-REGISTER may wait for the main registrar (ms). @defaultValue 32000 */
  upstreamTimeoutMs?: number;
  /**
   * Authenticate every REGISTER here, in all three modes, before it is absorbed or forwarded
   * (RFC 3261 §10.3 step 2, §22; OpenSIPS `www_authorize()` before `mid_registrar_save()`): one
   * without valid credentials gets this authenticator's answer from the mid-registrar (401 with
   * `WWW-Authenticate`, 400, or 503 when its credential store is away) and goes nowhere. A
   * REGISTER given {@link SaveOptions.identity} (authenticated by the host) skips it. The
   * forwarded REGISTER keeps the phone's credentials. The main registrar should trust the
   * mid-registrar, or challenge in another realm: its challenge is relayed to the phone as without
   * `auth`, and the phone's next REGISTER carries credentials for both realms (RFC 3261 §22.3). A
   * challenge in the same realm cannot work: the phone would answer one nonce of the two.
   * Give it `createDigestAuthenticator(...)`.
   * @defaultValue undefined: the main registrar authenticates; the throttling modes then answer a
   * REGISTER here only with the Call-ID and From tag the main registrar last accepted for the binding
   */
  auth?: Authenticator;
  /**
   * With an authenticated identity ({@link auth} or {@link SaveOptions.identity}), the AOR must be
   * one it may use (its own `username@realm` or an alias), else 403 before anything is forwarded
   * (RFC 3261 §10.3 step 3; OpenSIPS auth_db `db_check_to`). @defaultValue true
   */
  checkTo?: boolean;
}

/** {@link MidRegistrarOptions} resolved: the mid-registrar's own fields with defaults applied. */
export interface ResolvedMidOptions {
  readonly mode: MidRegistrarMode;
  readonly upstream: Endpoint;
  readonly upstreamUri: string;
  readonly advertised: AdvertisedAddress | undefined;
  readonly transport: Transport | undefined;
  readonly credentials: CredentialsProvider | undefined;
  readonly contactIdInsertion: ContactIdInsertion;
  readonly contactIdParam: string;
  readonly atEscapeStr: string;
  readonly outgoingExpires: number;
  readonly expiresMaxDeviation: number;
  readonly extraContactParams: string;
  readonly upstreamTimeoutMs: number;
  readonly auth: Authenticator | undefined;
  readonly checkTo: boolean;
}

const MODES: readonly MidRegistrarMode[] = ['mirror', 'throttle-contact', 'throttle-aor'];

/**
 * The mid-registrar's own options with defaults, and the options of the registrar that keeps
 * its bindings: the seed's defaults (`minExpires` 10, `maxExpires` 3600) and a purge every
 * second, so that a vanished phone is de-registered upstream within a second of expiring (a
 * longer `purgeIntervalMs` delays it as much; 0 is refused when throttling). That registrar gets
 * neither `auth` nor `checkTo`: the mid-registrar runs both before it forwards.
 * Throws {@link ConfigError} naming the bad option.
 */
export function resolveMidOptions(options: MidRegistrarOptions): { mid: ResolvedMidOptions; registrar: RegistrarOptions } {
  const {
    mode, upstream, upstreamUri, advertised, transport, credentials, contactIdInsertion, contactIdParam,
    atEscapeStr, outgoingExpires, expiresMaxDeviation, extraContactParams, upstreamTimeoutMs, auth, checkTo, ...registrar
  } = options;
  if (upstream === undefined || typeof upstream.address !== 'string' || !Number.isInteger(upstream.port)) {
    throw new ConfigError('MidRegistrarOptions.upstream must be the main registrar endpoint, e.g. { protocol: "udp", address: "10.0.0.3", port: 5060 }');
  }
  const mid: ResolvedMidOptions = Object.freeze({
    mode: mode ?? 'mirror',
    upstream,
    upstreamUri: upstreamUri ?? `sip:${upstream.address.includes(':') ? `[${upstream.address}]` : upstream.address}:${upstream.port}${upstream.protocol === 'udp' ? '' : `;transport=${upstream.protocol}`}`,
    advertised,
    transport,
    credentials,
    contactIdInsertion: contactIdInsertion ?? 'ct-param',
    contactIdParam: (contactIdParam ?? 'ctid').toLowerCase(),
    atEscapeStr: atEscapeStr ?? '%40',
    outgoingExpires: outgoingExpires ?? 3600,
    expiresMaxDeviation: expiresMaxDeviation ?? 0,
    extraContactParams: extraContactParams ?? '',
    upstreamTimeoutMs: upstreamTimeoutMs ?? 32_000,
    auth,
    checkTo: checkTo ?? true,
  });
  if (!MODES.includes(mid.mode)) throw new ConfigError(`MidRegistrarOptions.mode must be one of ${MODES.join(', ')}, got ${String(mid.mode)}`);
  if (mid.contactIdInsertion !== 'ct-param' && mid.contactIdInsertion !== 'ct-username') {
    throw new ConfigError(`MidRegistrarOptions.contactIdInsertion must be 'ct-param' or 'ct-username', got ${String(mid.contactIdInsertion)}`);
  }
  for (const key of ['outgoingExpires', 'expiresMaxDeviation', 'upstreamTimeoutMs'] as const) {
    if (!Number.isInteger(mid[key]) || mid[key] < 0) throw new ConfigError(`MidRegistrarOptions.${key} must be a non-negative integer, got ${String(mid[key])}`);
  }
  if (mid.expiresMaxDeviation >= mid.outgoingExpires && mid.mode !== 'mirror') {
    throw new ConfigError(`MidRegistrarOptions.expiresMaxDeviation (${mid.expiresMaxDeviation}) must be below outgoingExpires (${mid.outgoingExpires})`);
  }
  if (!/^[a-z0-9_.!~*'()-]+$/.test(mid.contactIdParam)) throw new ConfigError(`MidRegistrarOptions.contactIdParam '${mid.contactIdParam}' is not a URI parameter name`);
  if (mid.atEscapeStr === '' || mid.atEscapeStr.includes('@')) throw new ConfigError('MidRegistrarOptions.atEscapeStr must be a non-empty string without @');
  if (auth !== undefined && typeof auth.authenticate !== 'function') {
    throw new ConfigError('MidRegistrarOptions.auth must have an authenticate(request, kind, source) method: give it createDigestAuthenticator({ credentials })');
  }
  if (mid.mode !== 'mirror' && registrar.purgeIntervalMs === 0) {
    throw new ConfigError('MidRegistrarOptions.purgeIntervalMs must not be 0 when throttling: the expiry purge is what de-registers vanished phones upstream (default 1000)');
  }
  return {
    mid,
    registrar: {
      ...registrar,
      minExpires: registrar.minExpires ?? 10,
      maxExpires: registrar.maxExpires ?? 3600,
      purgeIntervalMs: registrar.purgeIntervalMs ?? 1000,
      // The mid-registrar authenticates and checks identities before it forwards: its bindings' registrar must not again.
      checkTo: false,
    },
  };
}
