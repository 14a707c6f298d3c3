import type { MidRegistrarMode } from './mid-registrar-options';

/** One Contact of a REGISTER as the throttling decision sees it. */
export interface ContactToDecide {
  /** Lifetime the phone asks (s, clamped as the local registrar will); 0 de-registers. */
  readonly expires: number;
  /** The phone has a live binding here with this Contact. */
  readonly known: boolean;
  /** When the main registrar's binding that covers it expires (epoch ms), if it holds one. */
  readonly upstreamExpiresAt: number | undefined;
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
 * A REGISTER with no Contact (a query) is answered here in the throttling modes.
 */
export function shouldForward(mode: MidRegistrarMode, contacts: readonly ContactToDecide[] | '*', remaining: number, nowMs: number): boolean {
  if (mode === 'mirror' || contacts === '*') return true;
  for (const c of contacts) {
    if (c.expires === 0) {
      if (mode === 'throttle-contact' || (remaining === 0 && c.known)) return true;
      continue;
    }
    if (!c.known || c.upstreamExpiresAt === undefined) return true;
    if (c.upstreamExpiresAt - nowMs <= c.expires * 1000) return true;
  }
  return false;
}
