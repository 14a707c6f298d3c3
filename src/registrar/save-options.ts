import type { NameAddrValue, SipResponse } from '../sip/message';
import type { UpstreamRegistration } from '../ports/binding';
import type { Source } from '../ports/transport';
import type { PathMode } from '../features/path/path-mode';
import type { AuthIdentity } from '../auth/authenticator';

/**
 * How uploaded Contacts are matched to stored bindings (OpenSIPS `M` save flag):
 * `0` the Contact URI only, `1` the URI and the Call-ID, `{ param }` only the value of that
 * Contact URI parameter (e.g. `rinstance`).
 */
export type MatchingMode = 0 | 1 | { readonly param: string };

/**
 * Per-call options of {@link Registrar.save}: the OpenSIPS `save()` flags as typed fields.
 * {@link parseSaveFlags} turns an OpenSIPS flag string into this object.
 */
export interface SaveOptions {
  /** Keep the bindings out of durable storage (`m`, `memory-only`). @defaultValue false */
  memoryOnly?: boolean;
  /** Build no reply: the host answers itself (`r`, `no-reply`). @defaultValue false */
  noReply?: boolean;
  /** Take the socket from the `sockHdrName` header (`s`, `socket-header`). @defaultValue false */
  socketHeader?: boolean;
  /** Bindings per AOR for this call, overriding the module value (`cNN`, `max-contacts=NN`). */
  maxContacts?: number;
  /** Minimum lifetime for this call (`eNN`, `min-expires=NN`). */
  minExpires?: number;
  /** Maximum lifetime for this call (`ENN`, `max-expires=NN`). */
  maxExpires?: number;
  /** Evict the oldest bindings instead of answering 503 when `maxContacts` is hit (`f`). @defaultValue false */
  forceRegistration?: boolean;
  /** List only this request's Contacts in the 200 (`o`, `only-request-contacts`). @defaultValue false */
  onlyRequestContacts?: boolean;
  /** Contact matching (`M0`, `M1`, `M<param>`, `matching-mode=`). @defaultValue 0 */
  matchingMode?: MatchingMode;
  /**
   * Store the REGISTER's Path (RFC 3327) and how to echo it (`p0` off, `p1` lazy, `p2` strict;
   * `path-off`, `path-lazy`, `path-strict`). Unset: Path is neither stored nor echoed.
   */
  path?: PathMode;
  /** The first Path URI's `received` parameter becomes the binding's `received` (`v`, `path-received`). @defaultValue false */
  pathReceived?: boolean;
  /** AOR to use instead of the To URI (`save(domain, flags, aor)`). */
  aor?: string;
  /** Cluster ownership tag stored with each binding (`save(..., ownership_tag)`). */
  ownershipTag?: string;
  /**
   * Who sent the REGISTER, when the host authenticated it itself (its own digest check, a TLS
   * client certificate, an edge proxy's assertion): the registrar's {@link RegistrarOptions.auth}
   * is then not run, and with {@link RegistrarOptions.checkTo} the AOR must still be one this
   * identity may use, else 403 (RFC 3261 §10.3 steps 2 and 3). @defaultValue none
   */
  identity?: AuthIdentity;
  /** Where the REGISTER came from: socket and NAT detection (and the authenticator's nonce binding). */
  source?: Source;
  /** Explicit `received` URI for the bindings (OpenSIPS `received_avp`). */
  received?: string;
  /** Per-binding attributes returned by lookup (OpenSIPS `attr_avp`). */
  attr?: string;
  /**
   * Keep the TCP/TLS connection open while the binding lives (OpenSIPS `tcp_persistent_flag`):
   * the result's `keepConnectionUntil` tells the transport how long. @defaultValue false
   */
  tcpPersistent?: boolean;
  /**
   * Cached registration (OpenSIPS `mcontact_avp`): save from the upstream registrar's 200 OK.
   * The lifetime of each binding is the one the upstream granted to `mcontact`
   * (the Contact as forwarded upstream), else its `Expires` header.
   */
  upstreamReply?: { readonly response: SipResponse; readonly mcontact: string };
  /**
   * What a main registrar confirmed of this REGISTER's Contacts (the mid-registrar saving from
   * the 2xx to a forwarded REGISTER, OpenSIPS `mid_registrar_save`): called for each Contact; a
   * number binds it for that many seconds (0 unbinds it), `'requested'` binds it for the
   * lifetime the request asks (clamped as usual), `undefined` means it was not confirmed, so it
   * is not bound (and unbound if it was). @defaultValue every Contact as requested
   */
  confirmedLifetime?: (contact: NameAddrValue) => number | 'requested' | undefined;
  /**
   * The main registrar's registration now covering each Contact (the mid-registrar records it
   * from a 2xx), stored as the binding's `upstream`; a refresh keeps the stored one when this
   * gives none. @defaultValue none
   */
  upstreamRegistration?: (contact: NameAddrValue) => UpstreamRegistration | undefined;
}
