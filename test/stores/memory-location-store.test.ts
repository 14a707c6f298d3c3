import { describe, expect, it } from '@jest/globals';
import { MemoryLocationStore } from '../../src/stores/memory';
import { runLocationStoreContract } from '../../src/testing/location-store-contract';
import type { Binding } from '../../src/ports/binding';

runLocationStoreContract('MemoryLocationStore', () => new MemoryLocationStore());

const T0 = 1_700_000_000_000;
const binding = (contact: string, expiresAt = T0 + 3_600_000): Binding => ({
  contact,
  callId: `c-${contact}`,
  cseq: 1,
  expiresAt,
  q: -1,
  updatedAt: T0,
  flags: 0,
});

describe('MemoryLocationStore specifics', () => {
  it('answers with plain values, never promises', () => {
    const store = new MemoryLocationStore();
    const outcome = store.commit('sip:a@example.com', null, [binding('sip:a@192.0.2.1')]);
    expect(outcome).not.toBeInstanceOf(Promise);
    expect(outcome.ok).toBe(true);
    expect(store.load('sip:a@example.com')).not.toBeInstanceOf(Promise);
    expect(store.count()).toEqual({ aors: 1, bindings: 1 });
    expect(store.expiredAors(T0, 10)).toEqual([]);
    expect([...store.aors()]).toEqual(['sip:a@example.com']);
  });

  it('stores bindings as given: load returns the committed objects, not copies', () => {
    const store = new MemoryLocationStore();
    const one = binding('sip:one@192.0.2.1');
    store.commit('sip:one@example.com', null, [one]);
    expect(store.load('sip:one@example.com').bindings[0]).toBe(one);
    const two = [binding('sip:two@192.0.2.1'), binding('sip:two@192.0.2.2')];
    store.commit('sip:two@example.com', null, two);
    const loaded = store.load('sip:two@example.com').bindings;
    expect(loaded[0]).toBe(two[0]);
    expect(loaded[1]).toBe(two[1]);
  });

  it('keeps its own copy of a committed list: mutating the caller array changes nothing', () => {
    const store = new MemoryLocationStore();
    const list = [binding('sip:x@192.0.2.1'), binding('sip:x@192.0.2.2')];
    const outcome = store.commit('sip:x@example.com', null, list);
    list.push(binding('sip:x@192.0.2.3'));
    const snapshot = store.load('sip:x@example.com');
    expect(snapshot.bindings).toHaveLength(2);
    expect(Object.isFrozen(snapshot.bindings)).toBe(true);
    expect(outcome.ok && outcome.version).toBe(snapshot.version);
  });

  it('re-committing the same immutable binding keeps the version (same content)', () => {
    const store = new MemoryLocationStore();
    const same = binding('sip:y@192.0.2.1');
    const first = store.commit('sip:y@example.com', null, [same]);
    expect(first.ok).toBe(true);
    const again = store.commit('sip:y@example.com', first.ok ? first.version : null, [same]);
    expect(again).toEqual({ ok: true, version: same });
    expect(store.commit('sip:y@example.com', first.ok ? first.version : null, [binding('sip:y@192.0.2.2')]).ok).toBe(true);
  });

  it('accepts undefined as "absent" like null', () => {
    const store = new MemoryLocationStore();
    expect(store.commit('sip:z@example.com', undefined, [binding('sip:z@192.0.2.1')]).ok).toBe(true);
    expect(store.commit('sip:z@example.com', undefined, []).ok).toBe(false);
  });

  it('finds expired AORs among many without losing any through refreshes and re-creations', () => {
    const store = new MemoryLocationStore();
    const total = 5000;
    for (let i = 0; i < total; i++) store.commit(`sip:u${i}@example.com`, null, [binding(`sip:u${i}@h`, T0 + i * 10)]);
    // Refresh every odd AOR far into the future, delete and re-create every 10th with an early expiry.
    for (let i = 1; i < total; i += 2) {
      const snap = store.load(`sip:u${i}@example.com`);
      store.commit(snap.aor, snap.version, [binding(`sip:u${i}@h`, T0 + 86_400_000)]);
    }
    for (let i = 0; i < total; i += 10) {
      const snap = store.load(`sip:u${i}@example.com`);
      store.commit(snap.aor, snap.version, []);
      store.commit(snap.aor, null, [binding(`sip:u${i}@h`, T0 + 5)]);
    }
    const now = T0 + total * 10;
    const expected = new Set<string>();
    for (let i = 0; i < total; i += 2) expected.add(`sip:u${i}@example.com`);
    expect(new Set(store.expiredAors(now, total))).toEqual(expected);
    // Paging with a small limit visits every expired AOR when the purge deletes what it gets.
    const purged = new Set<string>();
    for (let page = 0; page < 1000; page++) {
      const due = store.expiredAors(now, 7);
      if (due.length === 0) break;
      for (const aor of due) {
        purged.add(aor);
        store.commit(aor, store.load(aor).version, []);
      }
    }
    expect(purged).toEqual(expected);
    expect(store.count()).toEqual({ aors: total / 2, bindings: total / 2 });
    expect(store.expiredAors(T0 + 86_400_000, total)).toHaveLength(total / 2);
  });

  it('stays correct when an AOR is re-created thousands of times without a purge (index rebuilds)', () => {
    const store = new MemoryLocationStore();
    store.commit('sip:steady@example.com', null, [binding('sip:steady@h', T0 + 500_000)]);
    for (let i = 0; i < 3000; i++) {
      const snap = store.load('sip:churn@example.com');
      store.commit(snap.aor, snap.version, []);
      store.commit(snap.aor, null, [binding('sip:churn@h', T0 + 400_000 - i * 100)]);
    }
    expect(store.expiredAors(T0 + 100_000 + 100, 10)).toEqual(['sip:churn@example.com']);
    expect(new Set(store.expiredAors(T0 + 500_000, 10))).toEqual(
      new Set(['sip:churn@example.com', 'sip:steady@example.com']),
    );
  });

  it('close() twice is a no-op and the error names the fix', () => {
    const store = new MemoryLocationStore();
    store.close();
    expect(() => store.close()).not.toThrow();
    expect(() => store.load('sip:a@example.com')).toThrow('store is closed; create a new one');
    expect(() => store.aors()).toThrow('store is closed');
  });
});
