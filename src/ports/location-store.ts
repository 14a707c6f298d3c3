import type { AorSnapshot, Binding } from './binding';
import type { BindingChange } from '../registrar/binding-change';

/** A value or a promise of it: in-memory adapters answer synchronously, remote ones do not. */
export type MaybePromise<T> = T | Promise<T>;

/** Outcome of {@link LocationStore.commit}. */
export type CommitOutcome =
  | { readonly ok: true; readonly version: unknown }
  /** Another writer committed first: reload and plan again. */
  | { readonly ok: false; readonly conflict: true };

/** One page of {@link LocationStore.aorPage}. */
export interface AorPage {
  /** AORs of this page, each once per listing (see {@link LocationStore.aorPage}). */
  readonly aors: readonly string[];
  /** What to pass for the next page; undefined once every AOR was listed. */
  readonly next: string | undefined;
}

/**
 * The location service (RFC 3261 §10.2): bindings per address-of-record behind a per-AOR
 * compare-and-set, so concurrent REGISTERs for one AOR never lose a binding.
 *
 * Adapters reject with a {@link StoreError} when the backend fails; the registrar turns that
 * into `500`/`503` and never answers `200` for bindings that were not committed.
 * Every adapter must pass the contract suite in `sipreg/testing`.
 */
export interface LocationStore {
  /** Load the bindings of an AOR (including expired ones the purge has not reached yet). */
  load(aor: string): MaybePromise<AorSnapshot>;
  /**
   * Optional: `load(texts[k].slice(starts[k], ends[k]))` for every k, snapshots in the same
   * order, without building those AOR strings (a lookup's Request-URI holds its AOR as such a
   * range). A batch lets a store overlap the work of its queries: memory reads for an
   * in-memory store, round trips for a networked one. Stores without it get one `load` each.
   */
  loadManyIn?(texts: readonly string[], starts: ArrayLike<number>, ends: ArrayLike<number>): MaybePromise<readonly AorSnapshot[]>;
  /**
   * Replace the bindings of `aor` with `bindings` if the stored version is still `expected`
   * (`null` = the AOR must not exist). An empty list deletes the AOR. Atomic: all or nothing.
   * `changes` is what the commit does, as the registrar describes it: a store shared by several
   * nodes that implements {@link LocationStore.watch} hands it to the other nodes' watchers once
   * the commit succeeded; other stores ignore it.
   */
  commit(aor: string, expected: unknown, bindings: readonly Binding[], changes?: readonly BindingChange[]): MaybePromise<CommitOutcome>;
  /**
   * Optional, for stores shared by several nodes: call `listener` with the changes every other
   * writer (another node's registrar) commits, so each node's registrar emits events for every
   * registration, wherever it landed (OpenSIPS full-sharing clusters). Returns the function that
   * stops listening. Notices are best effort: one lost with a connection is not replayed.
   */
  watch?(listener: (aor: string, changes: readonly BindingChange[]) => void): () => void;
  /** AORs having at least one binding with `expiresAt <= nowMs`, at most `limit` of them. */
  expiredAors(nowMs: number, limit: number): MaybePromise<readonly string[]>;
  /** Every AOR, in batches (for listings, statistics and GRUU/instance scans). */
  aors(): AsyncIterable<string> | Iterable<string>;
  /**
   * Optional: the AORs after `cursor` (undefined: from the start), at most `limit` of them
   * (a store whose backend pages by hint, Redis `SCAN COUNT`, may return a few more, or fewer
   * before the end), and the cursor of the next page: a listing of a million AORs held one page
   * at a time (OpenSIPS MI `ul_dump`). The cursor is an opaque string this store returned; it
   * survives commits between pages: an AOR stored from the first page to the last is listed
   * once, one added or removed meanwhile may or may not be. Stores without it are listed
   * through {@link LocationStore.aors}, skipping the pages already read (slow for large stores).
   * @throws a `ConfigError` when `limit` is not a positive integer or `cursor` is not one of this store's.
   */
  aorPage?(cursor: string | undefined, limit: number): MaybePromise<AorPage>;
  /** Number of AORs and bindings stored. */
  count(): MaybePromise<{ readonly aors: number; readonly bindings: number }>;
  /** Release resources. Further calls reject with a `ConfigError`-style misuse error. */
  close(): MaybePromise<void>;
}
