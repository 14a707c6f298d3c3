import type { Binding } from '../../ports/binding';

/**
 * Why a device is pushed: `lookup` (a request for its AOR, RFC 8599 §6), `purr` (a mid-dialog
 * request carrying its PURR, long-lived dialogs), `expiring` (no refresh came `triggerIntervalSec`
 * before expiry, OpenSIPS `pn_trigger_interval`).
 */
export type PushReason = 'lookup' | 'purr' | 'expiring';

/** The push coordinates of a binding: its RFC 8599 Contact URI parameters. */
export interface PushCoordinates {
  readonly provider: string;
  readonly prid?: string;
  readonly param?: string;
}

/**
 * The registrar's `contact-refresh` event (OpenSIPS `E_UL_CONTACT_REFRESH`): a push must be sent
 * to wake the device of `binding` so that it re-registers. Emitted once per push attempt; the host
 * sends the push here or through a {@link PushNotifier}.
 */
export interface ContactRefreshEvent {
  /** The AOR key (`user@domain`). */
  readonly aor: string;
  readonly binding: Binding;
  readonly reason: PushReason;
  readonly pn: PushCoordinates;
  /** 1 for the first push of this wake-up, then 2, 3 ... for retries. */
  readonly attempt: number;
}
