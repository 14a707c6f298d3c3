import type { BindingChange } from './binding-change';
import type { ContactRefreshEvent } from '../features/push/contact-refresh-event';

/**
 * Typed events of a {@link Registrar} (OpenSIPS usrloc callbacks and events). Each carries the
 * {@link BindingChange}; listeners run synchronously after the commit.
 */
export interface RegistrarEvents {
  inserted: (change: BindingChange) => void;
  refreshed: (change: BindingChange) => void;
  updated: (change: BindingChange) => void;
  deleted: (change: BindingChange) => void;
  expired: (change: BindingChange) => void;
  /**
   * A push-capable binding must be woken (OpenSIPS `E_UL_CONTACT_REFRESH`, RFC 8599): a lookup or
   * PURR found it asleep, or it was not refreshed `pn_trigger_interval` before expiry. Send the
   * push from here, or give the registrar a `pushNotifier`.
   */
  'contact-refresh': (event: ContactRefreshEvent) => void;
  /** A background task (the expiry purge, a push notifier) failed; the registrar keeps running. */
  error: (error: Error) => void;
}
