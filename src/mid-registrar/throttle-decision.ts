import type { MidRegistrarMode } from './mid-registrar-options';

/** One Contact of a REGISTER as the throttling decision sees it. */
export interface ContactToDecide {
  /** Lifetime the phone asks (s, clamped as the local registrar will); 0 de-registers. */
  readonly expires: number;
  /** The phone has a live binding here with this Contact. */
  readonly known: boolean;
  /**
   * A `known` Contact may be answered here: the mid-registrar authenticated the REGISTER itself,
   * or the live binding with this Contact was last authenticated with the REGISTER's Call-ID and
   * From tag.
   */
  readonly accepted: boolean;
  /** When the main registrar's binding that covers it expires (epoch ms), if it holds one. */
  readonly upstreamExpiresAt: number | undefined;
}

/** A REGISTER as the throttling decision sees it. */
export interface RegisterToDecide {
  /** Its Contacts (none for a query), or `Contact: *`. */
  readonly contacts: readonly ContactToDecide[] | '*';
  /** Bindings of the AOR left after it. */
  readonly remaining: number;
  /**
   * What stands for `accepted` where no binding is (a query, whose 200 lists the AOR's bindings;
   * a new Contact; the removal of an unknown one): the mid-registrar authenticated the REGISTER
   * itself, or a binding of the AOR was last authenticated with its Call-ID and From tag.
   */
  readonly aorAccepted: boolean;
}

/**
 * Whether a REGISTER goes to the main registrar (OpenSIPS `mid_registrar_save` return 1) or is
 * answered here (return 2), per mode:
 * - `mirror`: always forwarded.
 * - `throttle-contact`: forwarded when a Contact is new, de-registers, or would outlive the main
 *   registrar's binding for it (the headroom between `outgoing_expires` and the phone's lifetime
 *   is used up); else absorbed. A phone the main registrar has not seen is never absorbed.
 * - `throttle-aor`: the same per AOR (`contacts` share one upstream binding), except that a
 *   de-registration is forwarded only when it leaves the AOR without bindings (`remaining` 0).
 *
 * In both throttling modes a REGISTER is absorbed only when it is `accepted` for every Contact it
 * has a binding of, and `aorAccepted` for the others and for a query: else it goes to the main
 * registrar, which authenticates it, instead of being answered 200 on the strength of someone
 * else's registration (OpenSIPS issue #3193; RFC 3261 §10.3 step 2). A REGISTER with no Contact
 * (a query) is otherwise answered here.
 */
export function shouldForward(mode: MidRegistrarMode, register: RegisterToDecide, nowMs: number): boolean {
  const contacts = register.contacts;
  if (mode === 'mirror' || contacts === '*') return true;
  if (contacts.length === 0) return !register.aorAccepted;
  for (const c of contacts) {
    if (!(c.known ? c.accepted : register.aorAccepted)) return true;
    if (c.expires === 0) {
      if (mode === 'throttle-contact' || (register.remaining === 0 && c.known)) return true;
      continue;
    }
    if (!c.known || c.upstreamExpiresAt === undefined) return true;
    if (c.upstreamExpiresAt - nowMs <= c.expires * 1000) return true;
  }
  return false;
}
