import assert from 'node:assert/strict';
import type { RegistrantKey, RegistrantRecord, RegistrantStore } from '../ports/registrant-store';
import { globalTestApi, isConfigError, type ContractTestApi } from './contract-api';
import { oneStorePerTest } from './one-store-per-test';

/** The test-framework functions the registrant contract suite registers with ({@link ContractTestApi}). */
export type RegistrantStoreContractApi = ContractTestApi;

/** Options of {@link registrantStoreContract}. */
export interface RegistrantStoreContractOptions {
  /**
   * Where `describe`/`it`/`beforeEach`/`afterEach` come from.
   * @defaultValue the globals of the running test framework
   */
  readonly api?: RegistrantStoreContractApi;
  /**
   * Called after each test once the store is closed, e.g. to delete its file or table.
   * @defaultValue none
   */
  readonly dispose?: (store: RegistrantStore) => Promise<void> | void;
  /**
   * Records seeded by the many-records test.
   * @defaultValue 300
   */
  readonly manyRecords?: number;
  /**
   * Timeout of each test, passed to `it`.
   * @defaultValue 30000
   */
  readonly timeoutMs?: number;
}

/**
 * Makes a store holding exactly `records` (in any order). Stores without a write API of their
 * own seed their backing file or table; `records` never repeat a key.
 */
export type RegistrantStoreFactory = (records: readonly RegistrantRecord[]) => Promise<RegistrantStore> | RegistrantStore;

/** A record with every optional field set, with awkward but legal values. */
const FULL: RegistrantRecord = {
  aor: 'sip:pbx@itsp.example.com',
  bindingUri: 'sip:pbx@203.0.113.4:5060;transport=tcp',
  registrar: 'sip:registrar.itsp.example.com:5061;transport=tls',
  proxy: 'sip:edge.itsp.example.com;lr',
  thirdPartyRegistrant: 'sip:admin@pbx.example.org',
  username: 'pbx-ünïcode',
  password: `p"a'ss;w,o rd\\`,
  bindingParams: ';reg-id=1;+sip.instance="<urn:uuid:11111111-AABB-CCDD-EEFF-001122334455>"',
  expirySec: 2_147_483_647,
  forcedSocket: 'tcp:192.0.2.10:5060',
  clusterShtag: 'vip/1',
  enabled: true,
};

/** A record with only the required fields. */
const MINIMAL: RegistrantRecord = {
  aor: 'sip:alice@example.com',
  bindingUri: 'sip:alice@192.0.2.1',
  registrar: 'sip:example.com',
  enabled: true,
};

const DISABLED: RegistrantRecord = {
  aor: 'sip:bob@example.com',
  bindingUri: 'sip:bob@192.0.2.2',
  registrar: 'sip:example.com',
  username: 'bob',
  password: 'secret',
  expirySec: 600,
  enabled: false,
};

const keyText = (key: RegistrantKey): string => JSON.stringify([key.aor, key.bindingUri, key.registrar]);

/** Records as plain objects, sorted by key, to compare lists regardless of order. */
const plain = (records: readonly RegistrantRecord[]): RegistrantRecord[] =>
  records.map((r) => ({ ...r })).sort((a, b) => (keyText(a) < keyText(b) ? -1 : keyText(a) > keyText(b) ? 1 : 0));

const assertSameRecords = (actual: readonly RegistrantRecord[], expected: readonly RegistrantRecord[]): void => {
  assert.deepStrictEqual(plain(actual), plain(expected));
};

const keyOf = (record: RegistrantRecord): RegistrantKey => ({
  aor: record.aor,
  bindingUri: record.bindingUri,
  registrar: record.registrar,
});

/**
 * The contract every {@link RegistrantStore} adapter must pass: `loadAll` returns every record
 * field for field (absent optional fields stay absent), `setEnabled` persists the flag of
 * exactly the record whose (aor, bindingUri, registrar) matches, compared as written, and
 * reports `false` for an unknown key; snapshots returned earlier do not change; after `close()`
 * (when the store has one) every call throws or rejects with a `ConfigError`.
 *
 * Registers one `describe` block with the running framework (Jest, Vitest, Mocha) and asserts
 * with `node:assert/strict`. Each test calls `makeStore` with the records it needs and closes
 * the store afterwards. Record order is not part of the contract.
 *
 * @example
 * ```ts
 * import { registrantStoreContract } from 'sipreg/testing';
 * registrantStoreContract('my postgres registrants', async (records) => {
 *   await truncateAndInsert(records);
 *   return new MyPgRegistrantStore(pool);
 * });
 * ```
 */
export function registrantStoreContract(
  name: string,
  makeStore: RegistrantStoreFactory,
  options: RegistrantStoreContractOptions = {},
): void {
  const api = options.api ?? globalTestApi('registrantStoreContract');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const manyRecords = options.manyRecords ?? 300;
  const { describe, it, afterEach } = api;

  const test = (title: string, fn: () => Promise<void>): void => it(title, fn, timeoutMs);

  describe(`RegistrantStore contract: ${name}`, () => {
    const { open, closeInTest } = oneStorePerTest(afterEach, makeStore, options.dispose);

    test('a store made from no records loads none', async () => {
      const s = await open([]);
      assert.deepStrictEqual([...(await s.loadAll())], []);
    });

    test('loadAll returns every record field for field; absent fields stay absent', async () => {
      const s = await open([FULL, MINIMAL, DISABLED]);
      const loaded = await s.loadAll();
      assertSameRecords(loaded, [FULL, MINIMAL, DISABLED]);
      const minimal = loaded.find((r) => r.aor === MINIMAL.aor);
      assert.deepStrictEqual(Object.keys(minimal ?? {}).sort(), ['aor', 'bindingUri', 'enabled', 'registrar']);
    });

    test('loadAll is repeatable and returns the same records each time', async () => {
      const s = await open([FULL, DISABLED]);
      assertSameRecords(await s.loadAll(), await s.loadAll());
      assertSameRecords(await s.loadAll(), [FULL, DISABLED]);
    });

    test('one AOR with several bindings or registrars gives distinct records', async () => {
      const records: RegistrantRecord[] = [
        { ...MINIMAL },
        { ...MINIMAL, bindingUri: 'sip:alice@192.0.2.99' },
        { ...MINIMAL, registrar: 'sip:backup.example.com', enabled: false },
      ];
      const s = await open(records);
      assertSameRecords(await s.loadAll(), records);
    });

    test('setEnabled(false) disables exactly that record and persists; setEnabled(true) enables it again', async () => {
      const others = [FULL, { ...MINIMAL, bindingUri: 'sip:alice@192.0.2.99' }, { ...MINIMAL, registrar: 'sip:other.example.com' }];
      const s = await open([MINIMAL, ...others, DISABLED]);
      assert.equal(await s.setEnabled(keyOf(MINIMAL), false), true);
      assertSameRecords(await s.loadAll(), [{ ...MINIMAL, enabled: false }, ...others, DISABLED]);
      assert.equal(await s.setEnabled(keyOf(DISABLED), true), true);
      assertSameRecords(await s.loadAll(), [{ ...MINIMAL, enabled: false }, ...others, { ...DISABLED, enabled: true }]);
      assert.equal(await s.setEnabled(keyOf(MINIMAL), true), true);
      assertSameRecords(await s.loadAll(), [MINIMAL, ...others, { ...DISABLED, enabled: true }]);
    });

    test('setEnabled to the value the record already has answers true and changes nothing', async () => {
      const s = await open([MINIMAL, DISABLED]);
      assert.equal(await s.setEnabled(keyOf(MINIMAL), true), true);
      assert.equal(await s.setEnabled(keyOf(DISABLED), false), true);
      assertSameRecords(await s.loadAll(), [MINIMAL, DISABLED]);
    });

    test('setEnabled accepts a whole record as the key', async () => {
      const s = await open([FULL]);
      assert.equal(await s.setEnabled(FULL, false), true);
      assertSameRecords(await s.loadAll(), [{ ...FULL, enabled: false }]);
    });

    test('setEnabled of an unknown key answers false and changes nothing', async () => {
      const s = await open([MINIMAL, DISABLED]);
      const misses: RegistrantKey[] = [
        { aor: 'sip:nobody@example.com', bindingUri: MINIMAL.bindingUri, registrar: MINIMAL.registrar },
        { ...keyOf(MINIMAL), bindingUri: DISABLED.bindingUri },
        { ...keyOf(MINIMAL), registrar: 'sip:elsewhere.example.com' },
        { aor: DISABLED.aor, bindingUri: MINIMAL.bindingUri, registrar: MINIMAL.registrar },
      ];
      for (const key of misses) assert.equal(await s.setEnabled(key, false), false, JSON.stringify(key));
      assertSameRecords(await s.loadAll(), [MINIMAL, DISABLED]);
    });

    test('keys compare as written: case, spaces and parameters matter', async () => {
      const s = await open([MINIMAL]);
      const near: RegistrantKey[] = [
        { ...keyOf(MINIMAL), aor: 'sip:Alice@example.com' },
        { ...keyOf(MINIMAL), aor: `${MINIMAL.aor} ` },
        { ...keyOf(MINIMAL), bindingUri: `${MINIMAL.bindingUri};transport=udp` },
        { ...keyOf(MINIMAL), registrar: 'SIP:example.com' },
      ];
      for (const key of near) assert.equal(await s.setEnabled(key, false), false, JSON.stringify(key));
      assertSameRecords(await s.loadAll(), [MINIMAL]);
    });

    test('a loaded list is a snapshot: later setEnabled and attempts to mutate it do not change the store', async () => {
      const s = await open([MINIMAL, DISABLED]);
      const before = await s.loadAll();
      const copy = plain(before);
      await s.setEnabled(keyOf(MINIMAL), false);
      assert.deepStrictEqual(plain(before), copy, 'an earlier snapshot changed');
      const after = await s.loadAll();
      try {
        (after as RegistrantRecord[]).push({ ...FULL });
      } catch {
        // Frozen: fine.
      }
      try {
        (after[0] as { aor: string }).aor = 'sip:mallory@example.com';
        (after[0] as { enabled: boolean }).enabled = !after[0].enabled;
      } catch {
        // Frozen: fine.
      }
      assertSameRecords(await s.loadAll(), [{ ...MINIMAL, enabled: false }, DISABLED]);
    });

    test('many records all load, and each toggles on its own', async () => {
      const records = Array.from({ length: manyRecords }, (_, i): RegistrantRecord => ({
        aor: `sip:user${i}@many.example.com`,
        bindingUri: `sip:user${i}@192.0.2.${i % 250}:${5060 + (i % 7)}`,
        registrar: `sip:reg${i % 3}.example.com`,
        ...(i % 2 === 0 ? { username: `user${i}`, password: `pw${i}` } : {}),
        ...(i % 5 === 0 ? { expirySec: 60 + i } : {}),
        enabled: i % 4 !== 0,
      }));
      const s = await open(records);
      assertSameRecords(await s.loadAll(), records);
      const toggled = new Set([0, 1, Math.floor(manyRecords / 2), manyRecords - 1]);
      for (const i of toggled) assert.equal(await s.setEnabled(records[i], !records[i].enabled), true);
      assertSameRecords(
        await s.loadAll(),
        records.map((r, i) => (toggled.has(i) ? { ...r, enabled: !r.enabled } : r)),
      );
    });

    test('after close(), when the store has one, every call throws or rejects with a ConfigError', async () => {
      const s = await open([MINIMAL]);
      if (s.close === undefined) return;
      await closeInTest();
      await assert.rejects(async () => s.loadAll(), isConfigError);
      await assert.rejects(async () => s.setEnabled(keyOf(MINIMAL), false), isConfigError);
    });
  });
}
