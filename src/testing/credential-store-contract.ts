import assert from 'node:assert/strict';
import type { CredentialAdmin, DigestAlgorithm, StoredCredentials, SubscriberRecord } from '../ports/credential-store';
import { computeHa1s } from '../auth/compute-ha1s';
import { DIGEST_ALGORITHMS, digestHash } from '../auth/digest-hash';
import { globalTestApi, isConfigError, type ContractTestApi } from './contract-api';
import { oneStorePerTest } from './one-store-per-test';

/**
 * Makes a store holding exactly `subscribers` (in any order), with their passwords, HA1s and
 * aliases as given. Stores whose `put` keeps HA1s only seed their backing file, table or keys;
 * `subscribers` never repeat a (username, realm).
 */
export type CredentialStoreFactory = (subscribers: readonly StoredCredentials[]) => Promise<CredentialAdmin> | CredentialAdmin;

/** Options of {@link credentialStoreContract}. */
export interface CredentialStoreContractOptions {
  /** Makes each test's store. */
  readonly create: CredentialStoreFactory;
  /**
   * Where `describe`/`it`/`beforeEach`/`afterEach` come from.
   * @defaultValue the globals of the running test framework
   */
  readonly api?: ContractTestApi;
  /**
   * Whether the store keeps aliases: seeded subscribers then have some, and lookups and lists
   * must return them. With false no subscriber is seeded with aliases.
   * @defaultValue true
   */
  readonly aliases?: boolean;
  /**
   * Called after each test once the store is closed, e.g. to delete its file or keys.
   * @defaultValue none
   */
  readonly dispose?: (store: CredentialAdmin) => Promise<void> | void;
  /**
   * Timeout of each test, passed to `it`.
   * @defaultValue 30000
   */
  readonly timeoutMs?: number;
}

const ha1Of = (username: string, realm: string, password: string): Readonly<Record<DigestAlgorithm, string>> => computeHa1s(username, realm, password);

/** A subscriber with the HA1 of every algorithm and nothing else. */
const ALICE: StoredCredentials = { username: 'alice', realm: 'example.com', ha1: ha1Of('alice', 'example.com', 'alice-secret') };
/** A realm written in mixed case, and only an MD5 HA1. */
const CAROL: StoredCredentials = { username: 'carol', realm: 'Example.ORG', ha1: { MD5: ha1Of('carol', 'Example.ORG', 'carol-secret').MD5 } };
/** Awkward but legal characters in the username and the password. */
const ODD: StoredCredentials = { username: 'ünï:cöde@x', realm: 'example.com', password: `p"a'ss;w,o rd\\` };

/** A plain password only, with aliases when the store keeps them. */
const bobOf = (aliases: boolean): StoredCredentials => ({
  username: 'bob',
  realm: 'example.com',
  password: 'bob-secret',
  ...(aliases ? { aliases: ['robert@example.com', '1002@example.org'] } : {}),
});

/** Credentials as a plain object with sorted aliases, to compare regardless of alias order. */
const plain = (credentials: StoredCredentials | undefined): object | undefined => {
  if (credentials === undefined) return undefined;
  const { aliases, ha1, ...rest } = credentials;
  return { ...rest, ...(ha1 === undefined ? {} : { ha1: { ...ha1 } }), ...(aliases === undefined ? {} : { aliases: [...aliases].sort() }) };
};

const assertSame = (actual: StoredCredentials | undefined, expected: StoredCredentials | undefined, message?: string): void => {
  assert.deepStrictEqual(plain(actual), plain(expected), message);
};

const assertSameList = (actual: readonly StoredCredentials[], expected: readonly StoredCredentials[]): void => {
  // Array.from: an array built in another realm (a native driver's rows) has another Array prototype.
  assert.deepStrictEqual(Array.from(actual, plain), expected.map(plain));
};

const record = (username: string, realm: string, password: string): SubscriberRecord => ({ username, realm, ha1: ha1Of(username, realm, password) });

/**
 * The contract every {@link CredentialAdmin} adapter must pass:
 *
 * - `lookup` finds a subscriber field for field (absent password, HA1s and aliases stay absent),
 *   with usernames compared exactly and realms case-insensitively, the realm coming back as stored;
 * - `put` adds a subscriber with its HA1s, or replaces the HA1s of an existing one (realm in any
 *   case, then spelled as given), clearing its password and keeping its aliases, and refuses an
 *   invalid record with a `ConfigError`;
 * - `remove` deletes exactly one subscriber and answers whether there was one;
 * - `list` returns every subscriber, or one realm's (case-insensitive), ordered by realm
 *   (case-insensitive) then username;
 * - `lookupByUserhash`, when the store has it, finds a subscriber by `H(username ":" realm)` for
 *   every algorithm (RFC 7616 §3.4.4), including subscribers put or removed after its first use;
 * - earlier results do not change; after `close()` every call throws or rejects with a `ConfigError`.
 *
 * Registers one `describe` block with the running framework (Jest, Vitest, Mocha) and asserts
 * with `node:assert/strict`. Each test calls `create` with the subscribers it needs and closes
 * the store afterwards.
 *
 * @example
 * ```ts
 * import { credentialStoreContract } from 'sipreg/testing';
 * credentialStoreContract('my postgres subscribers', {
 *   create: async (subscribers) => {
 *     await truncateAndInsert(subscribers);
 *     return new MyPgCredentialStore(pool);
 *   },
 * });
 * ```
 */
export function credentialStoreContract(name: string, options: CredentialStoreContractOptions): void {
  const api = options.api ?? globalTestApi('credentialStoreContract');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const BOB = bobOf(options.aliases ?? true);
  const { describe, it, afterEach } = api;

  const test = (title: string, fn: () => Promise<void>): void => it(title, fn, timeoutMs);

  describe(`CredentialStore contract: ${name}`, () => {
    const { open, closeInTest } = oneStorePerTest(afterEach, options.create, options.dispose);

    test('a store made from no subscribers finds and lists none', async () => {
      const s = await open([]);
      assert.equal(await s.lookup('alice', 'example.com'), undefined);
      assert.deepStrictEqual([...(await s.list())], []);
    });

    test('lookup returns each subscriber field for field; absent password, HA1s and aliases stay absent', async () => {
      const s = await open([ALICE, BOB, CAROL, ODD]);
      for (const subscriber of [ALICE, BOB, CAROL, ODD]) assertSame(await s.lookup(subscriber.username, subscriber.realm), subscriber, subscriber.username);
      assert.deepStrictEqual(Object.keys((await s.lookup('alice', 'example.com')) ?? {}).sort(), ['ha1', 'realm', 'username']);
      assert.deepStrictEqual(Object.keys((await s.lookup('carol', 'Example.ORG'))?.ha1 ?? {}), ['MD5']);
      assert.equal((await s.lookup('bob', 'example.com'))?.ha1, undefined);
    });

    test('lookup of an unknown username or realm answers undefined', async () => {
      const s = await open([ALICE, BOB]);
      assert.equal(await s.lookup('mallory', 'example.com'), undefined);
      assert.equal(await s.lookup('alice', 'example.org'), undefined);
      assert.equal(await s.lookup('alice', 'sub.example.com'), undefined);
      assert.equal(await s.lookup('example.com', 'alice'), undefined);
    });

    test('realms compare case-insensitively and come back as stored', async () => {
      const s = await open([ALICE, CAROL]);
      assertSame(await s.lookup('alice', 'EXAMPLE.COM'), ALICE);
      assertSame(await s.lookup('alice', 'Example.Com'), ALICE);
      assertSame(await s.lookup('carol', 'example.org'), CAROL);
      assert.equal((await s.lookup('carol', 'EXAMPLE.ORG'))?.realm, 'Example.ORG');
    });

    test('usernames compare exactly: case, spaces and escapes matter', async () => {
      const s = await open([ALICE, ODD]);
      for (const username of ['Alice', 'ALICE', 'alice ', ' alice', 'alic', 'alice%40', 'ünï:cöde', 'ÜNÏ:CÖDE@X']) {
        assert.equal(await s.lookup(username, 'example.com'), undefined, username);
      }
    });

    test('put adds a subscriber with the HA1 of every algorithm and no password', async () => {
      const s = await open([ALICE]);
      const dave = record('dave', 'example.net', 'dave-secret');
      await s.put(dave);
      assertSame(await s.lookup('dave', 'example.net'), { username: 'dave', realm: 'example.net', ha1: dave.ha1 });
      assertSameList(await s.list(), [ALICE, { username: 'dave', realm: 'example.net', ha1: dave.ha1 }]);
    });

    test('put replaces the HA1s of an existing subscriber, clears its password and keeps its aliases', async () => {
      const s = await open([ALICE, BOB]);
      const newBob = record('bob', 'example.com', 'new-secret');
      await s.put(newBob);
      const expected: StoredCredentials = { username: 'bob', realm: 'example.com', ha1: newBob.ha1, ...(BOB.aliases === undefined ? {} : { aliases: BOB.aliases }) };
      assertSame(await s.lookup('bob', 'example.com'), expected);
      const newAlice = record('alice', 'example.com', 'other-secret');
      await s.put(newAlice);
      assertSame(await s.lookup('alice', 'example.com'), { ...ALICE, ha1: newAlice.ha1 });
      assertSameList(await s.list(), [{ ...ALICE, ha1: newAlice.ha1 }, expected]);
    });

    test('put with the realm in another case replaces that subscriber, now spelled as given', async () => {
      const s = await open([CAROL]);
      const carol = record('carol', 'example.org', 'carol-new');
      await s.put(carol);
      assertSame(await s.lookup('carol', 'EXAMPLE.ORG'), { username: 'carol', realm: 'example.org', ha1: carol.ha1 });
      assertSameList(await s.list(), [{ username: 'carol', realm: 'example.org', ha1: carol.ha1 }]);
    });

    test('put refuses an invalid record with a ConfigError and stores nothing', async () => {
      const s = await open([]);
      const good = record('erin', 'example.com', 'x');
      const bad: unknown[] = [
        { ...good, username: '' },
        { ...good, realm: '' },
        { username: 'erin', realm: 'example.com' },
        { ...good, ha1: { MD5: good.ha1.MD5 } },
        { ...good, ha1: { ...good.ha1, MD5: good.ha1.MD5.toUpperCase() } },
        { ...good, ha1: { ...good.ha1, 'SHA-256': good.ha1.MD5 } },
      ];
      for (const candidate of bad) await assert.rejects(async () => s.put(candidate as SubscriberRecord), isConfigError, JSON.stringify(candidate));
      assert.deepStrictEqual([...(await s.list())], []);
    });

    test('remove deletes exactly that subscriber; removing it again or an unknown one answers false', async () => {
      const s = await open([ALICE, BOB, CAROL]);
      assert.equal(await s.remove('alice', 'example.com'), true);
      assert.equal(await s.lookup('alice', 'example.com'), undefined);
      assert.equal(await s.remove('alice', 'example.com'), false);
      assert.equal(await s.remove('mallory', 'example.com'), false);
      assert.equal(await s.remove('bob', 'example.org'), false);
      assert.equal(await s.remove('Bob', 'example.com'), false);
      assertSameList(await s.list(), [BOB, CAROL]);
    });

    test('remove matches the realm case-insensitively', async () => {
      const s = await open([CAROL, ALICE]);
      assert.equal(await s.remove('carol', 'EXAMPLE.org'), true);
      assert.equal(await s.lookup('carol', 'Example.ORG'), undefined);
      assertSameList(await s.list(), [ALICE]);
    });

    test('list orders by realm (case-insensitive) then username, and filters by realm (case-insensitive)', async () => {
      const subscribers: StoredCredentials[] = [];
      for (const realm of ['c.example', 'A.example', 'b.example']) {
        for (const username of ['zed', 'alpha', '9', 'Alpha', '10']) subscribers.push({ username, realm, password: `${username}@${realm}` });
      }
      const s = await open(subscribers);
      const order = ['10', '9', 'Alpha', 'alpha', 'zed'];
      const expected = ['A.example', 'b.example', 'c.example'].flatMap((realm) => order.map((username) => ({ username, realm, password: `${username}@${realm}` })));
      assertSameList(await s.list(), expected);
      assertSameList(await s.list('B.EXAMPLE'), expected.filter((c) => c.realm === 'b.example'));
      assertSameList(await s.list('a.example'), expected.filter((c) => c.realm === 'A.example'));
      assert.deepStrictEqual([...(await s.list('nowhere.example'))], []);
    });

    test('lookupByUserhash, when the store has it, finds a subscriber by H(username ":" realm) for every algorithm', async () => {
      const s = await open([ALICE, BOB, CAROL, ODD]);
      if (s.lookupByUserhash === undefined) return;
      for (const algorithm of DIGEST_ALGORITHMS) {
        for (const subscriber of [ALICE, BOB, CAROL, ODD]) {
          const userhash = digestHash(algorithm, `${subscriber.username}:${subscriber.realm}`);
          assertSame(await s.lookupByUserhash(userhash, subscriber.realm, algorithm), subscriber, `${algorithm} ${subscriber.username}`);
          assertSame(await s.lookupByUserhash(userhash, subscriber.realm.toUpperCase(), algorithm), subscriber, `${algorithm} ${subscriber.username} in upper case`);
        }
        const other = DIGEST_ALGORITHMS.find((a) => a !== algorithm) as DigestAlgorithm;
        assert.equal(await s.lookupByUserhash(digestHash(other, 'alice:example.com'), 'example.com', algorithm), undefined);
        assert.equal(await s.lookupByUserhash(digestHash(algorithm, 'alice:example.com'), 'example.org', algorithm), undefined);
        assert.equal(await s.lookupByUserhash(digestHash(algorithm, 'mallory:example.com'), 'example.com', algorithm), undefined);
        assert.equal(await s.lookupByUserhash(digestHash(algorithm, 'alice:example.com'), 'nowhere.example', algorithm), undefined);
      }
    });

    test('lookupByUserhash sees the subscribers put and removed after its first use', async () => {
      const s = await open([ALICE]);
      if (s.lookupByUserhash === undefined) return;
      const userhash = (username: string): string => digestHash('SHA-256', `${username}:example.com`);
      assertSame(await s.lookupByUserhash(userhash('alice'), 'example.com', 'SHA-256'), ALICE);
      assert.equal(await s.lookupByUserhash(userhash('dave'), 'example.com', 'SHA-256'), undefined);
      const dave = record('dave', 'example.com', 'dave-secret');
      await s.put(dave);
      assertSame(await s.lookupByUserhash(userhash('dave'), 'example.com', 'SHA-256'), { username: 'dave', realm: 'example.com', ha1: dave.ha1 });
      assert.equal(await s.remove('alice', 'example.com'), true);
      assert.equal(await s.lookupByUserhash(userhash('alice'), 'example.com', 'SHA-256'), undefined);
    });

    test('aliases, when the store keeps them, come back from lookup and list', async () => {
      if (BOB.aliases === undefined) return;
      const s = await open([ALICE, BOB]);
      assert.deepStrictEqual([...((await s.lookup('bob', 'EXAMPLE.com'))?.aliases ?? [])].sort(), ['1002@example.org', 'robert@example.com']);
      assert.deepStrictEqual(Array.from(await s.list(), (c) => [...(c.aliases ?? [])].sort()), [[], ['1002@example.org', 'robert@example.com']]);
    });

    test('many subscribers are all found and listed', async () => {
      const subscribers = Array.from({ length: 250 }, (_, i): StoredCredentials => ({
        username: `user${i}`,
        realm: `realm${i % 5}.example`,
        ...(i % 2 === 0 ? { password: `pw${i}` } : { ha1: ha1Of(`user${i}`, `realm${i % 5}.example`, `pw${i}`) }),
      }));
      const s = await open(subscribers);
      for (const subscriber of subscribers) assertSame(await s.lookup(subscriber.username, subscriber.realm), subscriber);
      assert.equal((await s.list()).length, subscribers.length);
      assert.equal((await s.list('REALM3.example')).length, 50);
    });

    test('a result is a snapshot: later puts and attempts to mutate it change nothing stored', async () => {
      const s = await open([ALICE, BOB]);
      const before = await s.lookup('alice', 'example.com');
      const list = await s.list();
      const copy = plain(before);
      await s.put(record('alice', 'example.com', 'changed'));
      assert.deepStrictEqual(plain(before), copy, 'an earlier lookup changed');
      assert.equal(list.length, 2);
      const now = await s.lookup('bob', 'example.com');
      try {
        (now as { password?: string }).password = 'mallory';
        (now?.aliases as string[] | undefined)?.push('mallory@example.com');
        (list as StoredCredentials[]).push(ALICE);
      } catch {
        // Frozen: fine.
      }
      assertSame(await s.lookup('bob', 'example.com'), BOB);
    });

    test('after close(), when the store has one, every call throws or rejects with a ConfigError', async () => {
      const s = await open([ALICE]);
      if (s.close === undefined) return;
      await closeInTest();
      await assert.rejects(async () => s.lookup('alice', 'example.com'), isConfigError);
      await assert.rejects(async () => s.put(record('alice', 'example.com', 'x')), isConfigError);
      await assert.rejects(async () => s.remove('alice', 'example.com'), isConfigError);
      await assert.rejects(async () => s.list(), isConfigError);
      if (s.lookupByUserhash !== undefined) await assert.rejects(async () => s.lookupByUserhash?.(digestHash('MD5', 'alice:example.com'), 'example.com', 'MD5'), isConfigError);
    });
  });
}
