/**
 * One registered contact of an address-of-record: a row of the location service
 * (RFC 3261 §10.3; OpenSIPS usrloc `ucontact`).
 * @packageDocumentation
 */

/** Bit flags of a {@link Binding} (OpenSIPS shows the same in its contact listings). */
export const BindingFlags = {
  /** The contact is behind NAT: `received` is set from the source address. */
  nat: 1,
  /** Saved with the `memory-only` save flag: a durable store keeps it out of its file. */
  memoryOnly: 2,
  /** The contact carries RFC 8599 push parameters. */
  push: 4,
  /** Saved from an upstream registrar's 200 OK (cached registration, `mcontact`). */
  cached: 8,
  /**
   * Push-capable, but a proxy upstream already handles its push notifications (its `+sip.pns`
   * was in the REGISTER's Feature-Caps, RFC 8599 §5.3.1): stored, never pushed from here.
   */
  pushUpstream: 16,
  /**
   * Learned from a reg-event NOTIFY (RFC 3680), not registered here: a full-state NOTIFY removes
   * only such bindings when it does not list them, never the ones this node's own UAs registered.
   */
  reginfo: 32,
} as const;

/**
 * What a main registrar holds for a binding a mid-registrar forwarded (OpenSIPS `mid_registrar`):
 * enough to know when it must be refreshed and to de-register it when the phone is gone. In AOR
 * throttling every binding of the AOR carries the registration of the AOR's one Contact.
 */
export interface UpstreamRegistration {
  /** The Contact URI as the main registrar has it (rewritten to point to the mid-registrar). */
  readonly contact: string;
  /** Call-ID, From and To of the last REGISTER forwarded for it, as sent. */
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  /** CSeq number of that REGISTER: a de-REGISTER uses the next one (RFC 3261 §10.2.4). */
  readonly cseq: number;
  /** When the main registrar's binding expires (epoch ms), from its 2xx. */
  readonly expiresAt: number;
  /**
   * The phone's REGISTER last authenticated for this binding: by the main registrar's 2xx to it,
   * or by the mid-registrar's own `auth`. Per binding, also in AOR throttling. Without local
   * `auth` the mid-registrar answers a REGISTER itself only when it has this binding's Call-ID
   * and From tag (OpenSIPS issue #3193); absent in entries written before sipreg kept it, so the
   * binding's next REGISTER is forwarded.
   */
  readonly accepted?: AcceptedRegister;
}

/**
 * What identifies a phone's registration across refreshes (RFC 3261 §10.2.4: the same Call-ID
 * for every REGISTER of a boot cycle), with the From tag (RFC 3261 §8.1.1.3): a third party that
 * does not see the phone's traffic knows neither.
 */
export interface AcceptedRegister {
  readonly callId: string;
  /** The From tag; `''` when the REGISTER had none. */
  readonly fromTag: string;
}

/**
 * A binding as stored. Immutable: a change is a new object committed through
 * {@link LocationStore.commit}. Times are epoch milliseconds from the registrar's clock.
 */
export interface Binding {
  /** Contact URI exactly as registered (without the `<>`), RFC 3261 §10.2.1. */
  readonly contact: string;
  /** Call-ID of the REGISTER that created or last refreshed it. */
  readonly callId: string;
  /** CSeq number of that REGISTER (RFC 3261 §10.3 step 7). */
  readonly cseq: number;
  /** When it expires (epoch ms). */
  readonly expiresAt: number;
  /** q-value in thousandths (0..1000), or -1 when the UA gave none and no default applies. */
  readonly q: number;
  /** When it was created or last refreshed (epoch ms); orders equal-q bindings (newest first). */
  readonly updatedAt: number;
  /** {@link BindingFlags} bits. */
  readonly flags: number;
  /** Source of the REGISTER as a SIP URI (`sip:ip:port;transport=x`) when behind NAT. */
  readonly received?: string;
  /** The `Path` header values of the REGISTER, top first (RFC 3327). */
  readonly path?: readonly string[];
  /** Local socket the REGISTER came in on (`proto:ip:port`), or the socket-header value. */
  readonly socket?: string;
  readonly userAgent?: string;
  /** Methods from the REGISTER's `Allow`, upper-cased; undefined means "all standard methods". */
  readonly methods?: readonly string[];
  /** `+sip.instance` (RFC 5626 §4.1), quotes removed. */
  readonly instanceId?: string;
  /** `reg-id` (RFC 5626 §4.2); only with an `instanceId`. */
  readonly regId?: number;
  /**
   * The flow the REGISTER arrived on, for an RFC 5626 outbound registration (a Contact with
   * `+sip.instance` and `reg-id`): a token from {@link flowTokenOf}. A dead flow removes it.
   */
  readonly flow?: string;
  /** Opaque per-binding attributes from the host (OpenSIPS `attr_avp`), returned by lookup. */
  readonly attr?: string;
  /** Cluster ownership tag (OpenSIPS `save(..., ownership_tag)`). */
  readonly ownershipTag?: string;
  /** Contact header parameters to echo in the 200 besides expires/q (e.g. feature tags), as written. */
  readonly params?: string;
  /** The main registrar's registration covering it, when a mid-registrar forwarded it. */
  readonly upstream?: UpstreamRegistration;
}

/** The bindings of one AOR as loaded from a store, with the version to commit against. */
export interface AorSnapshot {
  readonly aor: string;
  readonly bindings: readonly Binding[];
  /**
   * Opaque version for compare-and-set. `null` when the AOR has no record in the store.
   * Stores choose the representation (a counter, a row version, a Lua-checked hash ...).
   */
  readonly version: unknown;
}
