import { commitWithRetry } from '../../src/registrar/commit-with-retry';
import type { CasEdit, CasWrite } from '../../src/registrar/commit-with-retry';
import type { Binding } from '../../src/ports/binding';
import type { LocationStore } from '../../src/ports/location-store';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';

/** The one compare-and-set loop of save, editBindings/remove and the expiry purge. */

const AOR = 'alice@example.com';
const binding: Binding = { contact: 'sip:alice@192.0.2.1', callId: 'c1', cseq: 1, expiresAt: 2_000, q: -1, updatedAt: 1_000, flags: 0 };

type Outcome = 'nothing' | 'committed' | 'conflicted' | { failed: unknown };

/** Adds `binding` unless the AOR has it already; counts its decisions. */
function addEdit(store: LocationStore, maxAttempts: number, decisions: number[]): CasEdit<{ aor: string }, CasWrite | undefined, Outcome> {
  return {
    store,
    maxAttempts,
    decide: (_call, snapshot) => {
      decisions.push(snapshot.bindings.length);
      return snapshot.bindings.length > 0 ? undefined : { bindings: [binding], changes: [{ kind: 'inserted', aor: AOR, binding }] };
    },
    write: (_call, d) => d,
    settled: (_call, _d, written) => (written === undefined ? 'nothing' : 'committed'),
    conflicted: () => 'conflicted',
    failed: (_call, e) => ({ failed: e }),
  };
}

/** A memory store whose first `conflicts` commits lose to another writer. */
function conflicting(conflicts: number): LocationStore {
  const store = new MemoryLocationStore();
  let left = conflicts;
  const commit = store.commit.bind(store);
  return Object.assign(store, {
    commit: (aor: string, expected: unknown, bindings: readonly Binding[]) => (left-- > 0 ? { ok: false as const, conflict: true as const } : commit(aor, expected, bindings)),
  });
}

describe('commitWithRetry', () => {
  it('answers synchronously over a synchronous store: decide, commit, settle', () => {
    const decisions: number[] = [];
    const store = new MemoryLocationStore();
    expect(commitWithRetry(addEdit(store, 3, decisions), { aor: AOR })).toBe('committed');
    expect(commitWithRetry(addEdit(store, 3, decisions), { aor: AOR })).toBe('nothing');
    expect(decisions).toEqual([0, 1]);
  });

  it('decides again on a fresh snapshot after a conflict, up to maxAttempts', () => {
    const decisions: number[] = [];
    expect(commitWithRetry(addEdit(conflicting(2), 3, decisions), { aor: AOR })).toBe('committed');
    expect(decisions).toEqual([0, 0, 0]);
    expect(commitWithRetry(addEdit(conflicting(3), 3, []), { aor: AOR })).toBe('conflicted');
  });

  it('continues through promises from an asynchronous store, and reports its failures', async () => {
    const store = new MemoryLocationStore();
    const slow: LocationStore = Object.assign(Object.create(store) as LocationStore, {
      load: async (aor: string) => store.load(aor),
      commit: async (aor: string, expected: unknown, bindings: readonly Binding[]) => store.commit(aor, expected, bindings),
    });
    const pending = commitWithRetry(addEdit(slow, 3, []), { aor: AOR });
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe('committed');
    const broken = new Error('store down');
    const failing: LocationStore = Object.assign(Object.create(store) as LocationStore, { load: () => Promise.reject(broken) });
    expect(await commitWithRetry(addEdit(failing, 3, []), { aor: AOR })).toEqual({ failed: broken });
  });
});
