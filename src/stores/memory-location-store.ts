import type { AorSnapshot, Binding } from '../ports/binding';
import type { AorPage, CommitOutcome, LocationStore } from '../ports/location-store';
import { ConfigError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import { COMMIT_CONFLICT } from './commit-conflict';
import { checkPageLimit } from './check-page-limit';
import { AorTable, type ScanPosition } from './aor-table';
import { ExpiryWheel } from './expiry-wheel';

/** What the map holds per AOR: the binding itself when it is alone, else a private frozen array. */
type StoredBindings = Binding | readonly Binding[];

const NO_BINDINGS: readonly Binding[] = Object.freeze([]);

const isList = (stored: StoredBindings): stored is readonly Binding[] => Array.isArray(stored);

const sizeOf = (stored: StoredBindings | undefined): number =>
  stored === undefined ? 0 : isList(stored) ? stored.length : 1;

/** Earliest `expiresAt` of a non-empty list of bindings. */
const earliestOf = (stored: StoredBindings): number => {
  if (!isList(stored)) return stored.expiresAt;
  let earliest = stored[0].expiresAt;
  for (let i = 1; i < stored.length; i++) if (stored[i].expiresAt < earliest) earliest = stored[i].expiresAt;
  return earliest;
};

/** Reads what a lookup of `stored` reads first (its first binding's expiry), to bring it into cache. */
const touchBindings = (stored: StoredBindings): number => {
  const b = isList(stored) ? stored[0] : stored;
  return b.expiresAt + (b.methods === undefined ? 0 : 1);
};

/** A page cursor of this store: the rank of the last AOR listed, a colon, the AOR. */
const CURSOR = /^(\d{1,10}):/s;

/** The scan position a cursor of {@link MemoryLocationStore.aorPage} names. */
function positionOf(cursor: string): ScanPosition {
  const m = CURSOR.exec(cursor);
  const rank = m === null ? NaN : Number(m[1]);
  if (m === null || rank > 0xffffffff) throw new ConfigError(`MemoryLocationStore aorPage cursor '${cursor}' is not one this store returned; start again without a cursor`);
  return { rank, key: cursor.slice(m[0].length) };
}

/** Index entries allowed beyond the AOR count before the expiry index is rebuilt. */
const INDEX_SLACK = 1024;

/**
 * The default location service (RFC 3261 §10.2): bindings per AOR in process memory, lost on
 * restart. Every method answers synchronously with a plain value (never a promise).
 *
 * Memory layout, chosen for a million AORs on one process:
 * - One `AorTable` (open addressing, `aor-table.ts`) from AOR to `StoredBindings`: fewer
 *   dependent memory reads per lookup than a `Map` at a million AORs. A single binding is stored
 *   as given (not cloned, not wrapped in an array); several are stored as a private frozen copy
 *   of the committed array.
 * - The compare-and-set version is the identity of that stored value: the `Binding` object
 *   for a one-binding AOR, the private array otherwise, `null` when the AOR is absent. It costs no
 *   memory. Bindings are immutable, so when a later commit stores the very same object again
 *   (A-B-A) the content equals what the version was read from, and the commit is still safe.
 * - An expiry wheel of one-second buckets (about one pointer per AOR) lets
 *   {@link MemoryLocationStore.expiredAors} visit only due buckets instead of every AOR.
 *
 * Bindings must not be mutated after commit (the {@link Binding} type is read-only).
 */
export class MemoryLocationStore implements LocationStore {
  readonly #aors = new AorTable<StoredBindings>();
  readonly #wheel = new ExpiryWheel();
  #bindings = 0;
  #closed = false;

  readonly #earliestExpiry = (aor: string): number | undefined => {
    const stored = this.#aors.get(aor);
    return stored === undefined ? undefined : earliestOf(stored);
  };

  /** The AOR's bindings; `version` is `null` when the AOR has none. Never a promise. */
  load(aor: string): AorSnapshot {
    this.#assertOpen();
    const stored = this.#aors.get(aor);
    if (stored === undefined) return { aor, bindings: NO_BINDINGS, version: null };
    return { aor, bindings: isList(stored) ? stored : [stored], version: stored };
  }

  /**
   * {@link MemoryLocationStore.load} of each range `texts[k]` from `starts[k]` to `ends[k]`,
   * found in place, with the table's memory reads of the whole batch overlapped (see
   * `AorTable.slotsIn`). Never a promise.
   */
  loadManyIn(texts: readonly string[], starts: ArrayLike<number>, ends: ArrayLike<number>): readonly AorSnapshot[] {
    this.#assertOpen();
    const n = texts.length;
    const slots = new Int32Array(n);
    this.#aors.slotsIn(texts, starts, ends, slots, touchBindings);
    const snapshots = new Array<AorSnapshot>(n);
    for (let k = 0; k < n; k++) snapshots[k] = this.#snapshotAt(slots[k], texts[k], starts[k], ends[k]);
    return snapshots;
  }

  /**
   * Replace the AOR's bindings if `expected` is still its version (`null`: the AOR must be
   * absent). An empty list deletes the AOR and yields version `null`. Never a promise.
   */
  commit(aor: string, expected: unknown, bindings: readonly Binding[]): CommitOutcome {
    this.#assertOpen();
    const previous = this.#aors.get(aor);
    if ((expected ?? null) !== (previous ?? null)) return COMMIT_CONFLICT;
    this.#bindings += bindings.length - sizeOf(previous);
    if (bindings.length === 0) {
      if (previous !== undefined) this.#aors.delete(aor);
      return { ok: true, version: null };
    }
    const next: StoredBindings = bindings.length === 1 ? bindings[0] : Object.freeze(bindings.slice());
    this.#aors.set(aor, next);
    const earliest = earliestOf(next);
    if (previous === undefined || ExpiryWheel.movedEarlier(earliestOf(previous), earliest)) {
      this.#wheel.add(aor, earliest);
      if (this.#wheel.entries > 2 * this.#aors.size + INDEX_SLACK) this.#wheel.rebuild(this.#earliestPairs());
    }
    return { ok: true, version: next };
  }

  /** Up to `limit` AORs holding a binding with `expiresAt <= nowMs`, earliest first. Never a promise. */
  expiredAors(nowMs: number, limit: number): readonly string[] {
    this.#assertOpen();
    return this.#wheel.collect(nowMs, limit, this.#earliestExpiry);
  }

  /** Every AOR, live: AORs added or removed while iterating may or may not be visited. */
  aors(): IterableIterator<string> {
    this.#assertOpen();
    return this.#aors.keys();
  }

  /**
   * Up to `limit` AORs after `cursor`, in the table's scan order (see `AorTable.keysAfter`: no
   * iterator is held between pages, and an AOR stored throughout is listed once even when the
   * table grows or shrinks meanwhile). The cursor is only meaningful to this store instance.
   * Never a promise.
   */
  aorPage(cursor: string | undefined, limit: number): AorPage {
    this.#assertOpen();
    checkPageLimit('MemoryLocationStore', limit);
    const page = this.#aors.keysAfter(cursor === undefined ? undefined : positionOf(cursor), limit);
    return { aors: page.keys, next: page.next === undefined ? undefined : `${page.next.rank}:${page.next.key}` };
  }

  /** Number of AORs and bindings stored. Never a promise. */
  count(): { readonly aors: number; readonly bindings: number } {
    this.#assertOpen();
    return { aors: this.#aors.size, bindings: this.#bindings };
  }

  /** Drop everything. Later calls throw a `ConfigError`; closing twice is a no-op. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#aors.clear();
    this.#wheel.clear();
    this.#bindings = 0;
  }

  /** The snapshot of table slot `slot` (from a lookup of the range), or of an absent AOR when -1. */
  #snapshotAt(slot: number, text: string, start: number, end: number): AorSnapshot {
    if (slot < 0) return { aor: text.slice(start, end), bindings: NO_BINDINGS, version: null };
    const stored = this.#aors.valueAt(slot);
    return { aor: this.#aors.keyAt(slot), bindings: isList(stored) ? stored : [stored], version: stored };
  }

  *#earliestPairs(): Generator<readonly [string, number]> {
    for (const [aor, stored] of this.#aors.entries()) yield [aor, earliestOf(stored)];
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
