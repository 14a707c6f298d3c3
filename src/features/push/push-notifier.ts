import type { PushReason } from './contact-refresh-event';

/** One push to send (RFC 8599 §6: the proxy asks the PNS to wake the device). */
export interface PushRequest {
  /** `pn-provider`: `apns`, `fcm`, `webpush` or a custom service. */
  readonly provider: string;
  /** `pn-prid`: the device's Push Resource ID (RFC 8599 §4). */
  readonly prid?: string;
  /** `pn-param`: provider-specific data (e.g. the APNs topic). */
  readonly param?: string;
  /** The AOR key (`user@domain`). */
  readonly aor: string;
  /** The registered Contact URI, with its `pn-*` parameters. */
  readonly contact: string;
  readonly reason: PushReason;
  /** 1 for the first push of this wake-up, then retries. */
  readonly attempt: number;
}

/**
 * Port through which the registrar sends pushes; the host implements APNs, FCM, WebPush ...
 * A rejected promise or a throw is reported to the registrar's error handler and does not stop
 * the retries. Optional: without it the host reacts to the `contact-refresh` event instead.
 */
export interface PushNotifier {
  notify(request: PushRequest): void | Promise<void>;
}
