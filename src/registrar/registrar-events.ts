import type { BindingChange } from './binding-change';

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
  /** A background task (the expiry purge) failed; the registrar keeps running. */
  error: (error: Error) => void;
}
