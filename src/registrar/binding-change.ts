import type { Binding } from '../ports/binding';
import type { LocationStore } from '../ports/location-store';

/**
 * What a save or a purge did to one binding (OpenSIPS usrloc callbacks
 * `UL_CONTACT_INSERT/UPDATE/DELETE/EXPIRE`):
 * - `inserted`: a new contact;
 * - `refreshed`: the same registration renewed (only lifetime and CSeq moved);
 * - `updated`: a matched contact whose other attributes changed (new Call-ID, q, received ...);
 * - `deleted`: removed by the UA (expires 0, `*`), by force-registration or by `remove()`;
 * - `expired`: its lifetime ran out.
 */
export type BindingChangeKind = 'inserted' | 'refreshed' | 'updated' | 'deleted' | 'expired';

/** One entry of a save's or purge's change list. */
export interface BindingChange {
  readonly kind: BindingChangeKind;
  readonly aor: string;
  /** The binding after the change (the removed one for `deleted`/`expired`). */
  readonly binding: Binding;
  /** The binding before the change, for `refreshed` and `updated`. */
  readonly previous?: Binding;
  /**
   * For `deleted`: the Call-ID and CSeq of the de-REGISTER (the binding keeps those of the
   * REGISTER that created it) and when it was removed (epoch ms; for a removal learned from a
   * NOTIFY, the notifier's time). Reg-event reports them, so a peer can tell news from before the removal.
   */
  readonly removedBy?: { readonly callId: string; readonly cseq: number; readonly at: number };
  /**
   * What made the change when it was not a REGISTER, a `remove()` or the purge: `'reginfo'` for a
   * NOTIFY applied by {@link Reginfo.handleNotify} (so the reg-event publisher does not echo it).
   */
  readonly origin?: 'reginfo';
  /**
   * With `origin: 'reginfo'`: the Contact of the notifier whose NOTIFY made the change, so the
   * notifier side does not send the change back to where it came from (split horizon).
   */
  readonly originUri?: string;
  /**
   * True for a change another node sharing the location committed, heard through the store's
   * {@link LocationStore.watch}: it is emitted so every node's listeners see every registration,
   * but this node sends nothing on its behalf (no PUBLISH, no de-REGISTER upstream).
   */
  readonly remote?: true;
}
