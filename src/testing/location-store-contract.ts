import assert from 'node:assert/strict';
import { BindingFlags, type AorSnapshot, type Binding } from '../ports/binding';
import { BINDING_T0, buildBinding } from './build-binding';
import type { LocationStore } from '../ports/location-store';
import { globalTestApi, isConfigError, type ContractTestApi } from './contract-api';

/**
 * The test-framework functions the contract suite registers with. Jest, Vitest (with
 * `globals: true`) and Mocha provide them as globals; pass them explicitly otherwise.
 */
export type LocationStoreContractApi = ContractTestApi;

/** Options of {@link runLocationStoreContract}. */
export interface LocationStoreContractOptions {
  /**
   * Where `describe`/`it`/`beforeEach`/`afterEach` come from.
   * @defaultValue the globals of the running test framework
   */
  readonly api?: LocationStoreContractApi;
  /**
   * Called after each test once the store is closed, e.g. to delete its files or keys.
   * @defaultValue none
   */
  readonly dispose?: (store: LocationStore) => Promise<void> | void;
  /**
   * fast-check runs of the concurrent-writers property.
   * @defaultValue 50
   */
  readonly propertyRuns?: number;
  /**
   * AORs written by the many-AORs test (choose more than the adapter's batch size).
   * @defaultValue 1500
   */
  readonly manyAors?: number;
  /**
   * Timeout of each test, passed to `it`.
   * @defaultValue 60000
   */
  readonly timeoutMs?: number;
}

type ResolvedContractOptions = Readonly<Required<Omit<LocationStoreContractOptions, 'dispose'>>> & {
  readonly dispose: ((store: LocationStore) => Promise<void> | void) | undefined;
};

/** Base time of the suite's bindings (epoch ms). */
const T0 = BINDING_T0;
/** Upper bound on compare-and-set retries of one writer in the property test. */
const MAX_ATTEMPTS = 1000;


/** A binding with every optional field set, with awkward but legal values. */
const fullBinding = (contact: string): Binding => ({
  contact,
  callId: 'a84b4c76e66710@pc33.atlanta.example.com',
  cseq: 314159,
  expiresAt: T0 + 7_200_000,
  q: 700,
  updatedAt: T0 - 5,
  flags: BindingFlags.nat | BindingFlags.push,
  received: 'sip:198.51.100.7:40312;transport=tcp',
  path: ['<sip:edge1.example.com;lr;ob>', '<sip:p2.example.com;lr>,"odd, but quoted"'],
  socket: 'tcp:192.0.2.10:5060',
  userAgent: 'Linphone/5.2.0 (belle-sip/5.2.0) — ünïcode',
  methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'MESSAGE'],
  instanceId: '<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>',
  regId: 0,
  flow: 'tcp#42',
  attr: '{"tenant":"a","weight":0}',
  ownershipTag: 'node-a',
  params: ';+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=0;+g.oma.sip-im',
  upstream: {
    contact: 'sip:alice@203.0.113.5:5060;ctid=0123456789abcdef',
    callId: 'a84b4c76e66710@pc33.atlanta.example.com',
    from: '"Alice" <sip:alice@example.com>;tag=1928301774',
    to: '<sip:alice@example.com>',
    cseq: 314150,
    expiresAt: T0 + 3_600_000,
    accepted: { callId: 'a84b4c76e66710@pc33.atlanta.example.com', fromTag: '1928301774' },
  },
});

/** A canonical text of a binding (keys sorted at every level), to compare lists regardless of order. */
const canonical = (binding: Binding): string => JSON.stringify(binding, (_key, value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))) : value);

const sortedBindings = (bindings: readonly Binding[]): Binding[] =>
  [...bindings].sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));

/** Assert that two binding lists hold the same bindings, field by field, in any order. */
const assertSameBindings = (actual: readonly Binding[], expected: readonly Binding[]): void => {
  assert.deepStrictEqual(sortedBindings(actual), sortedBindings(expected));
};

const collectAors = async (store: LocationStore): Promise<string[]> => {
  const all: string[] = [];
  for await (const aor of store.aors()) all.push(aor);
  return all;
};

/** Every page of `store.aorPage` from the start, `limit` at a time; `between` runs after each page but the last. */
const collectPages = async (
  store: LocationStore,
  limit: number,
  between: (page: number) => Promise<void> = async () => undefined,
): Promise<(readonly string[])[]> => {
  const pages: (readonly string[])[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.aorPage!(cursor, limit);
    pages.push(page.aors);
    cursor = page.next;
    if (cursor !== undefined) await between(pages.length);
  } while (cursor !== undefined);
  return pages;
};

const resolveOptions = (options: LocationStoreContractOptions): ResolvedContractOptions =>
  Object.freeze({
    api: options.api ?? globalTestApi('runLocationStoreContract'),
    dispose: options.dispose,
    propertyRuns: options.propertyRuns ?? 50,
    manyAors: options.manyAors ?? 1500,
    timeoutMs: options.timeoutMs ?? 60_000,
  });

/**
 * The contract every {@link LocationStore} adapter must pass (RFC 3261 §10.2 location service,
 * with the per-AOR compare-and-set that keeps concurrent REGISTERs from losing bindings,
 * §10.3). Registers one `describe` block with the running framework (Jest, Vitest, Mocha) and
 * asserts with `node:assert/strict`; each test gets a fresh store from `factory` and closes it.
 *
 * Bindings are compared field by field in any order: the order of `load` is not part of the
 * contract. The concurrent-writers property needs the `fast-check` package, loaded on demand.
 *
 * @example
 * ```ts
 * import { runLocationStoreContract } from 'sipreg/testing';
 * runLocationStoreContract('my redis store', () => new MyRedisStore(url), { dispose: flushDb });
 * ```
 */
export function runLocationStoreContract(
  name: string,
  factory: () => Promise<LocationStore> | LocationStore,
  options: LocationStoreContractOptions = {},
): void {
  const resolved = resolveOptions(options);
  const { describe, it, beforeEach, afterEach } = resolved.api;
  const test = (title: string, fn: (store: LocationStore) => Promise<void>): void =>
    it(title, () => fn(current()), resolved.timeoutMs);

  let store: LocationStore | undefined;
  let closedByTest = false;
  const current = (): LocationStore => {
    assert.ok(store, 'the store factory has not run');
    return store;
  };

  describe(`LocationStore contract: ${name}`, () => {
    beforeEach(async () => {
      store = await factory();
      closedByTest = false;
    });
    afterEach(async () => {
      const done = store;
      store = undefined;
      if (done === undefined) return;
      if (!closedByTest) await done.close();
      await resolved.dispose?.(done);
    });

    test('load of an unknown AOR has no bindings and version null', async (s) => {
      const snapshot = await s.load('sip:nobody@example.com');
      assert.equal(snapshot.aor, 'sip:nobody@example.com');
      assert.deepStrictEqual([...snapshot.bindings], []);
      assert.equal(snapshot.version, null);
    });

    test('a new store counts nothing, lists nothing and has nothing expired', async (s) => {
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 0, bindings: 0 });
      assert.deepStrictEqual(await collectAors(s), []);
      assert.deepStrictEqual([...(await s.expiredAors(Number.MAX_SAFE_INTEGER, 100))], []);
    });

    test('commit with null inserts; load returns the bindings and the committed version', async (s) => {
      const bindings = [buildBinding('sip:alice@192.0.2.1'), buildBinding('sip:alice@192.0.2.2', { q: 500 })];
      const outcome = await s.commit('sip:alice@example.com', null, bindings);
      assert.ok(outcome.ok);
      assert.notEqual(outcome.version, null);
      const snapshot = await s.load('sip:alice@example.com');
      assert.equal(snapshot.aor, 'sip:alice@example.com');
      assertSameBindings(snapshot.bindings, bindings);
      assert.deepStrictEqual(snapshot.version, outcome.version);
    });

    test('the version returned by commit is good for the next commit without reloading', async (s) => {
      const first = await s.commit('sip:bob@example.com', null, [buildBinding('sip:bob@192.0.2.1')]);
      assert.ok(first.ok);
      const second = await s.commit('sip:bob@example.com', first.version, [buildBinding('sip:bob@192.0.2.1', { cseq: 2 })]);
      assert.ok(second.ok);
      const third = await s.commit('sip:bob@example.com', second.version, [buildBinding('sip:bob@192.0.2.1', { cseq: 3 })]);
      assert.ok(third.ok);
      assert.equal((await s.load('sip:bob@example.com')).bindings[0].cseq, 3);
    });

    test('a commit replaces the whole list of bindings', async (s) => {
      const aor = 'sip:carol@example.com';
      const kept = buildBinding('sip:carol@192.0.2.1');
      await s.commit(aor, null, [kept, buildBinding('sip:carol@192.0.2.2'), buildBinding('sip:carol@192.0.2.3')]);
      const { version } = await s.load(aor);
      const replacement = [kept, buildBinding('sip:carol@192.0.2.4', { cseq: 9 })];
      assert.ok((await s.commit(aor, version, replacement)).ok);
      assertSameBindings((await s.load(aor)).bindings, replacement);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 1, bindings: 2 });
    });

    test('an empty commit deletes the AOR, which can then be created again with null', async (s) => {
      const aor = 'sip:dave@example.com';
      const created = await s.commit(aor, null, [buildBinding('sip:dave@192.0.2.1')]);
      assert.ok(created.ok);
      const deleted = await s.commit(aor, created.version, []);
      assert.ok(deleted.ok);
      assert.equal(deleted.version, null);
      const snapshot = await s.load(aor);
      assert.deepStrictEqual([...snapshot.bindings], []);
      assert.equal(snapshot.version, null);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 0, bindings: 0 });
      assert.deepStrictEqual(await collectAors(s), []);
      assert.ok((await s.commit(aor, null, [buildBinding('sip:dave@192.0.2.9')])).ok);
      assert.equal((await s.load(aor)).bindings[0].contact, 'sip:dave@192.0.2.9');
    });

    test('deleting an absent AOR with null succeeds and changes nothing', async (s) => {
      const outcome = await s.commit('sip:ghost@example.com', null, []);
      assert.ok(outcome.ok);
      assert.equal(outcome.version, null);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 0, bindings: 0 });
    });

    test('a stale version conflicts and leaves the stored bindings untouched', async (s) => {
      const aor = 'sip:erin@example.com';
      const first = await s.commit(aor, null, [buildBinding('sip:erin@192.0.2.1')]);
      assert.ok(first.ok);
      const current = [buildBinding('sip:erin@192.0.2.1', { cseq: 2 })];
      assert.ok((await s.commit(aor, first.version, current)).ok);
      const stale = await s.commit(aor, first.version, [buildBinding('sip:erin@192.0.2.66')]);
      assert.deepStrictEqual(stale, { ok: false, conflict: true });
      const staleDelete = await s.commit(aor, first.version, []);
      assert.deepStrictEqual(staleDelete, { ok: false, conflict: true });
      assertSameBindings((await s.load(aor)).bindings, current);
    });

    test('null conflicts when the AOR exists', async (s) => {
      const aor = 'sip:frank@example.com';
      const existing = [buildBinding('sip:frank@192.0.2.1')];
      await s.commit(aor, null, existing);
      assert.deepStrictEqual(await s.commit(aor, null, [buildBinding('sip:frank@192.0.2.2')]), { ok: false, conflict: true });
      assert.deepStrictEqual(await s.commit(aor, null, []), { ok: false, conflict: true });
      assertSameBindings((await s.load(aor)).bindings, existing);
    });

    test('a version conflicts once the AOR was deleted, and after it was created again', async (s) => {
      const aor = 'sip:grace@example.com';
      const created = await s.commit(aor, null, [buildBinding('sip:grace@192.0.2.1')]);
      assert.ok(created.ok);
      assert.ok((await s.commit(aor, created.version, [])).ok);
      assert.deepStrictEqual(await s.commit(aor, created.version, [buildBinding('sip:grace@192.0.2.2')]), {
        ok: false,
        conflict: true,
      });
      const recreated = [buildBinding('sip:grace@192.0.2.3')];
      assert.ok((await s.commit(aor, null, recreated)).ok);
      assert.deepStrictEqual(await s.commit(aor, created.version, [buildBinding('sip:grace@192.0.2.4')]), {
        ok: false,
        conflict: true,
      });
      assertSameBindings((await s.load(aor)).bindings, recreated);
    });

    test("one AOR's version does not commit another AOR", async (s) => {
      const a = await s.commit('sip:a@example.com', null, [buildBinding('sip:a@192.0.2.1')]);
      const b = await s.commit('sip:b@example.com', null, [buildBinding('sip:b@192.0.2.1')]);
      assert.ok(a.ok && b.ok);
      assert.deepStrictEqual(await s.commit('sip:b@example.com', a.version, []), { ok: false, conflict: true });
      assert.deepStrictEqual(await s.commit('sip:c@example.com', a.version, [buildBinding('sip:c@192.0.2.1')]), {
        ok: false,
        conflict: true,
      });
      assert.equal((await s.load('sip:b@example.com')).bindings.length, 1);
      assert.equal((await s.load('sip:c@example.com')).version, null);
    });

    test('of several commits against the same version exactly one wins', async (s) => {
      const aor = 'sip:heidi@example.com';
      const base = await s.commit(aor, null, [buildBinding('sip:heidi@192.0.2.1')]);
      assert.ok(base.ok);
      const outcomes = await Promise.all(
        [2, 3, 4, 5, 6].map(async (n) => s.commit(aor, base.version, [buildBinding(`sip:heidi@192.0.2.${n}`)])),
      );
      const winners = outcomes.flatMap((outcome, i) => (outcome.ok ? [i] : []));
      assert.equal(winners.length, 1);
      assert.equal((await s.load(aor)).bindings[0].contact, `sip:heidi@192.0.2.${winners[0] + 2}`);
    });

    test('a commit is all or nothing: all of a large commit is visible, none of a conflicting one', async (s) => {
      const aor = 'sip:ivan@example.com';
      const many = Array.from({ length: 40 }, (_, i) => buildBinding(`sip:ivan@192.0.2.${i}`, { q: i * 25 }));
      const outcome = await s.commit(aor, null, many);
      assert.ok(outcome.ok);
      assertSameBindings((await s.load(aor)).bindings, many);
      const rejected = Array.from({ length: 40 }, (_, i) => buildBinding(`sip:ivan@198.51.100.${i}`));
      assert.equal((await s.commit(aor, null, rejected)).ok, false);
      assertSameBindings((await s.load(aor)).bindings, many);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 1, bindings: 40 });
    });

    test('every Binding field round-trips, alone and among others', async (s) => {
      const alone = fullBinding('sip:judy@192.0.2.1;transport=tcp;ob');
      await s.commit('sip:judy@example.com', null, [alone]);
      assertSameBindings((await s.load('sip:judy@example.com')).bindings, [alone]);
      const mixed = [
        fullBinding('sip:judy@192.0.2.2'),
        buildBinding('sip:judy@192.0.2.3'),
        { ...fullBinding('sip:judy@192.0.2.4'), path: ['<sip:only.example.com;lr>'], q: 0, regId: 7, cseq: 0 },
      ];
      await s.commit('sip:judy2@example.com', null, mixed);
      assertSameBindings((await s.load('sip:judy2@example.com')).bindings, mixed);
    });

    test('absent optional fields stay absent; empty strings and empty arrays stay present', async (s) => {
      const minimal = buildBinding('sip:ken@192.0.2.1');
      const empties = buildBinding('sip:ken@192.0.2.2', {
        received: '',
        path: [],
        socket: '',
        userAgent: '',
        methods: [],
        instanceId: '',
        flow: '',
        attr: '',
        ownershipTag: '',
        params: '',
      });
      await s.commit('sip:ken@example.com', null, [minimal, empties]);
      const loaded = (await s.load('sip:ken@example.com')).bindings;
      assertSameBindings(loaded, [minimal, empties]);
      const reloadedMinimal = loaded.find((b) => b.contact === minimal.contact);
      assert.deepStrictEqual(Object.keys(reloadedMinimal ?? {}).sort(), Object.keys(minimal).sort());
    });

    test('memory-only bindings are loaded, counted and expired like any other', async (s) => {
      const aor = 'sip:leo@example.com';
      const bindings = [
        buildBinding('sip:leo@192.0.2.1', { flags: BindingFlags.memoryOnly, expiresAt: T0 + 10_000 }),
        buildBinding('sip:leo@192.0.2.2', { flags: BindingFlags.memoryOnly | BindingFlags.nat, received: 'sip:203.0.113.9:5060' }),
        buildBinding('sip:leo@192.0.2.3'),
      ];
      const outcome = await s.commit(aor, null, bindings);
      assert.ok(outcome.ok);
      const snapshot = await s.load(aor);
      assertSameBindings(snapshot.bindings, bindings);
      assert.deepStrictEqual(snapshot.version, outcome.version);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 1, bindings: 3 });
      assert.deepStrictEqual([...(await s.expiredAors(T0 + 10_000, 10))], [aor]);
      assert.ok((await s.commit(aor, snapshot.version, [bindings[2]])).ok);
      assertSameBindings((await s.load(aor)).bindings, [bindings[2]]);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 1, bindings: 1 });
    });

    test('expiredAors reports an AOR once a binding has expiresAt <= now', async (s) => {
      await s.commit('sip:early@example.com', null, [
        buildBinding('sip:early@192.0.2.1', { expiresAt: T0 + 60_000 }),
        buildBinding('sip:early@192.0.2.2', { expiresAt: T0 + 900_000 }),
      ]);
      await s.commit('sip:late@example.com', null, [buildBinding('sip:late@192.0.2.1', { expiresAt: T0 + 600_500 })]);
      assert.deepStrictEqual([...(await s.expiredAors(T0 + 59_999, 10))], []);
      assert.deepStrictEqual([...(await s.expiredAors(T0 + 60_000, 10))], ['sip:early@example.com']);
      assert.deepStrictEqual([...(await s.expiredAors(T0 + 600_499, 10))], ['sip:early@example.com']);
      assert.deepStrictEqual(
        [...(await s.expiredAors(T0 + 600_500, 10))].sort(),
        ['sip:early@example.com', 'sip:late@example.com'],
      );
    });

    test('expiredAors returns at most limit distinct expired AORs', async (s) => {
      const expired = Array.from({ length: 12 }, (_, i) => `sip:exp${i}@example.com`);
      for (const [i, aor] of expired.entries()) {
        await s.commit(aor, null, [
          buildBinding(`sip:exp${i}@192.0.2.1`, { expiresAt: T0 + i * 1000 }),
          buildBinding(`sip:exp${i}@192.0.2.2`, { expiresAt: T0 + i * 1000 + 1 }),
        ]);
      }
      await s.commit('sip:fresh@example.com', null, [buildBinding('sip:fresh@192.0.2.1', { expiresAt: T0 + 3_600_000 })]);
      const now = T0 + 60_000;
      const some = [...(await s.expiredAors(now, 5))];
      assert.equal(some.length, 5);
      assert.equal(new Set(some).size, 5);
      for (const aor of some) assert.ok(expired.includes(aor), `${aor} is not expired`);
      assert.deepStrictEqual([...(await s.expiredAors(now, 100))].sort(), [...expired].sort());
      assert.deepStrictEqual([...(await s.expiredAors(now, 0))], []);
    });

    test('expiredAors repeats an AOR until it is refreshed or deleted', async (s) => {
      const refreshed = 'sip:refresh@example.com';
      const deleted = 'sip:delete@example.com';
      const first = await s.commit(refreshed, null, [buildBinding('sip:r@192.0.2.1', { expiresAt: T0 + 1000 })]);
      const second = await s.commit(deleted, null, [buildBinding('sip:d@192.0.2.1', { expiresAt: T0 + 2000 })]);
      assert.ok(first.ok && second.ok);
      const now = T0 + 5000;
      assert.deepStrictEqual([...(await s.expiredAors(now, 10))].sort(), [deleted, refreshed].sort());
      assert.deepStrictEqual([...(await s.expiredAors(now, 10))].sort(), [deleted, refreshed].sort());
      assert.ok((await s.commit(refreshed, first.version, [buildBinding('sip:r@192.0.2.1', { expiresAt: T0 + 3_600_000 })])).ok);
      assert.ok((await s.commit(deleted, second.version, [])).ok);
      assert.deepStrictEqual([...(await s.expiredAors(now, 10))], []);
      assert.deepStrictEqual([...(await s.expiredAors(T0 + 3_600_000, 10))], [refreshed]);
    });

    test('expiredAors sees an expiry moved earlier', async (s) => {
      const aor = 'sip:shorten@example.com';
      const created = await s.commit(aor, null, [buildBinding('sip:s@192.0.2.1', { expiresAt: T0 + 3_600_000 })]);
      assert.ok(created.ok);
      assert.ok((await s.commit(aor, created.version, [buildBinding('sip:s@192.0.2.1', { expiresAt: T0 + 30_000 })])).ok);
      assert.deepStrictEqual([...(await s.expiredAors(T0 + 30_000, 10))], [aor]);
    });

    test('loadManyIn, when implemented, answers exactly what load does for each range', async (s) => {
      if (s.loadManyIn === undefined) return;
      const one = await s.commit('alice@example.com', null, [buildBinding('sip:alice@192.0.2.1')]);
      await s.commit('bob@example.com', null, [buildBinding('sip:bob@192.0.2.1'), buildBinding('sip:bob@192.0.2.2')]);
      const texts = ['sip:alice@example.com;transport=udp', 'bob@example.com', 'sip:alice@example.co', 'sip:carol@example.com', 'xalice@example.comx'];
      const starts = [4, 0, 4, 4, 1];
      const ends = [21, 15, 20, 21, 18];
      const expected = await Promise.all(texts.map((t, k) => s.load(t.slice(starts[k], ends[k]))));
      const got = await s.loadManyIn(texts, starts, ends);
      const plain = (snap: AorSnapshot): unknown => ({ aor: snap.aor, contacts: snap.bindings.map((b) => b.contact), absent: snap.version === null });
      assert.deepStrictEqual(got.map(plain), expected.map(plain));
      assert.equal(got[0].version, one.ok ? one.version : undefined, 'the version to commit against');
      assert.deepStrictEqual([...(await s.loadManyIn([], [], []))], []);
    });

    test('AORs are exact keys: case and characters matter', async (s) => {
      await s.commit('sip:Alice@example.com', null, [buildBinding('sip:upper@192.0.2.1')]);
      await s.commit('sip:alice@example.com', null, [buildBinding('sip:lower@192.0.2.1')]);
      await s.commit('sip:ålice@example.com', null, [buildBinding('sip:unicode@192.0.2.1')]);
      assert.equal((await s.load('sip:Alice@example.com')).bindings[0].contact, 'sip:upper@192.0.2.1');
      assert.equal((await s.load('sip:alice@example.com')).bindings[0].contact, 'sip:lower@192.0.2.1');
      assert.equal((await s.load('sip:ålice@example.com')).bindings[0].contact, 'sip:unicode@192.0.2.1');
      assert.equal((await s.load('sip:alice@example.com ')).version, null);
    });

    test('count() follows inserts, replaces and deletes', async (s) => {
      const a = await s.commit('sip:c1@example.com', null, [buildBinding('sip:c1@192.0.2.1')]);
      await s.commit('sip:c2@example.com', null, [buildBinding('sip:c2@192.0.2.1'), buildBinding('sip:c2@192.0.2.2')]);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 2, bindings: 3 });
      assert.ok(a.ok);
      const grown = await s.commit('sip:c1@example.com', a.version, [buildBinding('sip:c1@192.0.2.1'), buildBinding('sip:c1@192.0.2.3')]);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 2, bindings: 4 });
      assert.ok(grown.ok);
      await s.commit('sip:c1@example.com', grown.version, []);
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: 1, bindings: 2 });
    });

    test('many AORs: each loads its own bindings; aors() lists each once; count() adds up', async (s) => {
      const total = resolved.manyAors;
      const expected = new Map<string, Binding[]>();
      let bindingTotal = 0;
      for (let i = 0; i < total; i++) {
        const aor = `sip:user${i}@many.example.com`;
        const bindings = Array.from({ length: 1 + (i % 3) }, (_, k) =>
          buildBinding(`sip:user${i}@192.0.2.${k}:${5060 + k}`, { expiresAt: T0 + i * 1000 + k, cseq: i }),
        );
        bindingTotal += bindings.length;
        expected.set(aor, bindings);
        assert.ok((await s.commit(aor, null, bindings)).ok);
      }
      for (const [aor, bindings] of expected) assertSameBindings((await s.load(aor)).bindings, bindings);
      const listed = await collectAors(s);
      assert.equal(listed.length, total);
      assert.deepStrictEqual(new Set(listed), new Set(expected.keys()));
      assert.deepStrictEqual({ ...(await s.count()) }, { aors: total, bindings: bindingTotal });
      const dueCount = Math.min(100, total);
      const due = [...(await s.expiredAors(T0 + (dueCount - 1) * 1000, total))];
      assert.deepStrictEqual(new Set(due), new Set(Array.from({ length: dueCount }, (_, i) => `sip:user${i}@many.example.com`)));
    });

    test('aorPage, when offered: every AOR once, pages of about `limit`, a ConfigError for a bad limit', async (s) => {
      if (s.aorPage === undefined) return;
      const total = resolved.manyAors;
      const expected = new Set<string>();
      for (let i = 0; i < total; i++) {
        const aor = `sip:paged${i}@example.com`;
        expected.add(aor);
        assert.ok((await s.commit(aor, null, [buildBinding(`sip:paged${i}@192.0.2.1`)])).ok);
      }
      const limit = Math.max(1, Math.floor(total / 7));
      const pages = await collectPages(s, limit);
      const listed = pages.flat();
      assert.equal(listed.length, total, 'each AOR listed once');
      assert.deepStrictEqual(new Set(listed), expected);
      for (const page of pages) assert.ok(page.length <= 2 * limit, `a page of ${page.length} AORs for a limit of ${limit}`);
      const one = await s.aorPage(undefined, 1);
      assert.ok(one.aors.length >= 1 && one.next !== undefined);
      await assert.rejects(async () => s.aorPage!(undefined, 0), isConfigError);
      await assert.rejects(async () => s.aorPage!(undefined, 1.5), isConfigError);
    });

    test('aorPage, when offered: AORs stored throughout are listed while others come and go between pages', async (s) => {
      if (s.aorPage === undefined) return;
      const kept = Array.from({ length: 300 }, (_, i) => `sip:kept${i}@example.com`);
      for (const aor of kept) assert.ok((await s.commit(aor, null, [buildBinding(aor.replace('@example.com', '@192.0.2.1'))])).ok);
      const churn = Array.from({ length: 2000 }, (_, i) => `sip:churn${i}@example.com`);
      const versions = new Map<string, unknown>();
      const pages = await collectPages(s, 40, async (page) => {
        if (page === 1) {
          for (const aor of churn) {
            const outcome = await s.commit(aor, null, [buildBinding('sip:churn@192.0.2.2')]);
            assert.ok(outcome.ok);
            versions.set(aor, outcome.version);
          }
        } else if (page === 3) {
          for (const aor of churn) assert.ok((await s.commit(aor, versions.get(aor), [])).ok);
        }
      });
      const listed = new Set(pages.flat());
      for (const aor of kept) assert.ok(listed.has(aor), `${aor} was not listed`);
      for (const aor of listed) assert.ok(aor.startsWith('sip:kept') || aor.startsWith('sip:churn'), `${aor} was never stored`);
    });

    test('after close() every call throws or rejects with a ConfigError', async (s) => {
      await s.commit('sip:closed@example.com', null, [buildBinding('sip:closed@192.0.2.1')]);
      closedByTest = true;
      await s.close();
      await assert.rejects(async () => s.load('sip:closed@example.com'), isConfigError);
      await assert.rejects(async () => s.commit('sip:closed@example.com', null, []), isConfigError);
      await assert.rejects(async () => s.expiredAors(T0, 10), isConfigError);
      await assert.rejects(async () => s.count(), isConfigError);
      await assert.rejects(async () => collectAors(s), isConfigError);
      if (s.aorPage !== undefined) await assert.rejects(async () => s.aorPage!(undefined, 10), isConfigError);
    });

    test('concurrent load→commit cycles on one AOR, retrying on conflict, never lose a binding', async (s) => {
      const fc = await import('fast-check');
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 6 }),
          fc.boolean(),
          async (scheduler, roundsPerWriter, preexisting) => {
            const aor = `sip:race${run++}@example.com`;
            const bystander = buildBinding(`sip:bystander@${aor.slice(4)}`);
            if (preexisting) assert.ok((await s.commit(aor, null, [bystander])).ok);
            const writerBinding = (writer: number, round: number): Binding =>
              buildBinding(`sip:writer${writer}@192.0.2.${writer}`, { cseq: round, updatedAt: T0 + round });
            const gate = (): Promise<void> => scheduler.schedule(Promise.resolve());
            const writer = async (id: number, rounds: number): Promise<void> => {
              for (let round = 1; round <= rounds; round++) {
                let committed = false;
                for (let attempt = 0; !committed; attempt++) {
                  assert.ok(attempt < MAX_ATTEMPTS, 'a writer kept conflicting');
                  await gate();
                  const snapshot: AorSnapshot = await s.load(aor);
                  await gate();
                  const mine = writerBinding(id, round);
                  const next = [...snapshot.bindings.filter((b) => b.contact !== mine.contact), mine];
                  committed = (await s.commit(aor, snapshot.version, next)).ok;
                }
              }
            };
            await scheduler.waitFor(Promise.all(roundsPerWriter.map((rounds, id) => writer(id, rounds))));
            const expected = roundsPerWriter.map((rounds, id) => writerBinding(id, rounds));
            assertSameBindings((await s.load(aor)).bindings, preexisting ? [bystander, ...expected] : expected);
          },
        ),
        { numRuns: resolved.propertyRuns },
      );
    });
  });
}
