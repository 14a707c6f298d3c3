import type { AorSnapshot, Binding } from '../ports/binding';
import type { CommitOutcome, LocationStore, MaybePromise } from '../ports/location-store';
import type { BindingChange } from './binding-change';

/** A write of an AOR: its new bindings and the changes that make them (what a store commits). */
export interface CasWrite {
  readonly bindings: readonly Binding[];
  readonly changes: readonly BindingChange[];
}

/**
 * The steps of one edit of an AOR's bindings for {@link commitWithRetry}: a save, an
 * `editBindings`/`remove`, an expiry purge. One object per kind of edit (built once, so a
 * REGISTER allocates no closure); `call` carries what differs per edit, `D` is its decision.
 */
export interface CasEdit<C extends { readonly aor: string }, D, R> {
  readonly store: LocationStore;
  /** Attempts before {@link conflicted} (`RegistrarOptions.maxCommitAttempts`). */
  readonly maxAttempts: number;
  /** The AOR's bindings are loaded: decide the edit. Runs again on a fresh snapshot after a conflict. */
  decide(call: C, snapshot: AorSnapshot): MaybePromise<D>;
  /** What `decision` commits, or undefined when it ends the edit without a write (refused, nothing to change). */
  write(call: C, decision: D): CasWrite | undefined;
  /** The answer once `decision` is committed (`committed`: its write), or ended without a write (`undefined`). */
  settled(call: C, decision: D, committed: CasWrite | undefined): R;
  /** The AOR changed under each of `maxAttempts` attempts. */
  conflicted(call: C): R;
  /** The store threw or rejected. */
  failed(call: C, error: unknown): R;
}

/**
 * Load → decide → compare-and-set, again on a fresh snapshot when another writer committed first
 * (the location service's consistency, RFC 3261 §10.3 step 8), up to `edit.maxAttempts` times.
 * A synchronous store takes a path without promises or closures; a promise from the store
 * continues the same steps asynchronously. Errors thrown by `decide` or `settled` propagate.
 */
export function commitWithRetry<C extends { readonly aor: string }, D, R>(edit: CasEdit<C, D, R>, call: C, attempt = 1): MaybePromise<R> {
  let loaded: MaybePromise<AorSnapshot>;
  try {
    loaded = edit.store.load(call.aor);
  } catch (e) {
    return edit.failed(call, e);
  }
  if (loaded instanceof Promise) {
    return loaded.then(
      (snapshot) => decided(edit, call, attempt, snapshot),
      (e: unknown) => edit.failed(call, e),
    );
  }
  return decided(edit, call, attempt, loaded);
}

function decided<C extends { readonly aor: string }, D, R>(edit: CasEdit<C, D, R>, call: C, attempt: number, snapshot: AorSnapshot): MaybePromise<R> {
  const decision = edit.decide(call, snapshot);
  if (decision instanceof Promise) return decision.then((d) => written(edit, call, attempt, snapshot, d));
  return written(edit, call, attempt, snapshot, decision);
}

function written<C extends { readonly aor: string }, D, R>(edit: CasEdit<C, D, R>, call: C, attempt: number, snapshot: AorSnapshot, decision: D): MaybePromise<R> {
  const write = edit.write(call, decision);
  if (write === undefined) return edit.settled(call, decision, undefined);
  let outcome: MaybePromise<CommitOutcome>;
  try {
    outcome = edit.store.commit(call.aor, snapshot.version, write.bindings, write.changes);
  } catch (e) {
    return edit.failed(call, e);
  }
  if (outcome instanceof Promise) {
    return outcome.then(
      (o) => committed(edit, call, attempt, decision, write, o),
      (e: unknown) => edit.failed(call, e),
    );
  }
  return committed(edit, call, attempt, decision, write, outcome);
}

function committed<C extends { readonly aor: string }, D, R>(
  edit: CasEdit<C, D, R>,
  call: C,
  attempt: number,
  decision: D,
  write: CasWrite,
  outcome: CommitOutcome,
): MaybePromise<R> {
  if (outcome.ok) return edit.settled(call, decision, write);
  if (attempt >= edit.maxAttempts) return edit.conflicted(call);
  return commitWithRetry(edit, call, attempt + 1);
}
