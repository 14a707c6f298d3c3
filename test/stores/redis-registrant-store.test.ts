import { describe, expect, it } from '@jest/globals';
import type { RegistrantRecord } from '../../src/ports/registrant-store';
import { RedisRegistrantStore, connectRedis, type RedisClient } from '../../src/stores/redis';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';
import { registrantStoreContract } from '../../src/testing/registrant-store-contract';
import { redisCommand, startRedis } from '../helpers/start-redis';
import { useRedisAndCluster } from '../helpers/use-redis-and-cluster';

const redis = useRedisAndCluster('t', { appendOnly: false });

/** A store under a fresh prefix on `client`, holding `records` (put one after the other). */
const seeded = (client: () => RedisClient) => async (records: readonly RegistrantRecord[]): Promise<RedisRegistrantStore> => {
  const store = new RedisRegistrantStore({ client: client(), keyPrefix: redis.freshPrefix() });
  await Promise.all(records.map((record) => store.put(record)));
  return store;
};

registrantStoreContract('RedisRegistrantStore (single Redis)', seeded(() => redis.single));
registrantStoreContract('RedisRegistrantStore (3-master Redis Cluster)', seeded(() => redis.clustered));

const record = (i: number, extra: Partial<RegistrantRecord> = {}): RegistrantRecord => ({
  aor: `sip:user${i}@example.com`,
  bindingUri: `sip:user${i}@192.0.2.1`,
  registrar: 'sip:example.com',
  enabled: true,
  ...extra,
});

describe('RedisRegistrantStore specifics', () => {
  it('keeps one hash sipreg:registrants: field = registrantKeyText, value = the record as JSON', async () => {
    const store = new RedisRegistrantStore({ client: redis.single });
    const r = record(1, { username: 'u', password: 'p', expirySec: 600, clusterShtag: 'vip/1', proxy: '' });
    expect(await store.put(r)).toBe(false);
    const { proxy: _dropped, ...stored } = r;
    void _dropped;
    const [field, json] = (await redisCommand(redis.server.port, ['HGETALL', 'sipreg:registrants'])) as string[];
    expect(field).toBe(JSON.stringify([r.aor, r.bindingUri, r.registrar]));
    expect(JSON.parse(json)).toStrictEqual(stored);
    expect(await store.put({ ...r, password: 'q' })).toBe(true);
    expect(await store.loadAll()).toEqual([{ ...stored, password: 'q' }]);
    expect(await store.delete(r)).toBe(true);
    expect(await store.delete(r)).toBe(false);
    expect(await redisCommand(redis.server.port, ['EXISTS', 'sipreg:registrants'])).toBe(0);
    await store.close();
  });

  it('setEnabled never resurrects a record deleted meanwhile nor undoes a put made meanwhile (two clients racing)', async () => {
    const other = await connectRedis(redis.server.url);
    try {
      const keyPrefix = redis.freshPrefix();
      const a = new RedisRegistrantStore({ client: redis.single, keyPrefix });
      const b = new RedisRegistrantStore({ client: other, keyPrefix });
      const rounds = 200;
      await Promise.all(Array.from({ length: rounds }, (_, i) => a.put(record(i, { password: 'old' }))));
      // Each record: A toggles it off while B deletes it (even i) or replaces its password (odd i).
      const results = await Promise.all(Array.from({ length: rounds }, async (_, i) => {
        const [enabled] = await Promise.all([
          a.setEnabled(record(i), false),
          i % 2 === 0 ? b.delete(record(i)) : b.put(record(i, { password: 'new' })),
        ]);
        return enabled;
      }));
      const loaded = new Map((await a.loadAll()).map((r) => [r.aor, r]));
      for (let i = 0; i < rounds; i++) {
        const r = loaded.get(record(i).aor);
        if (i % 2 === 0) {
          expect(r).toBeUndefined();
        } else {
          expect(r?.password).toBe('new');
          expect(results[i]).toBe(true);
        }
      }
      // Toggling a record many times at once from both clients leaves it in one of the two states, readable.
      await a.put(record(9999));
      await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).setEnabled(record(9999), i % 3 === 0)));
      expect((await b.loadAll()).find((r) => r.aor === record(9999).aor)).toMatchObject({ aor: record(9999).aor });
    } finally {
      await other.quit();
    }
  });

  it('rejects a value that is not a valid record with a StoreError naming the field', async () => {
    const keyPrefix = redis.freshPrefix();
    const store = new RedisRegistrantStore({ client: redis.single, keyPrefix });
    const field = JSON.stringify(['sip:a@h', 'sip:a@192.0.2.1', 'sip:h']);
    const cases: [string, string, string[]][] = [
      [field, '{not json', ['not valid JSON']],
      [field, '[1]', ['JSON object']],
      [field, JSON.stringify({ aor: 'sip:a@h', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:h', expirySec: '60' }), ['expirySec', '"60"']],
      [field, JSON.stringify({ aor: 'sip:b@h', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:h', enabled: true }), ['holds the record of', 'sip:b@h']],
    ];
    for (const [f, value, fragments] of cases) {
      await redisCommand(redis.server.port, ['HSET', `${keyPrefix}registrants`, f, value]);
      const error = await store.loadAll().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      for (const fragment of [`${keyPrefix}registrants`, field, ...fragments]) expect((error as Error).message).toContain(fragment);
    }
    await expect(store.setEnabled({ aor: 'sip:a@h', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:h' }, false)).rejects.toBeInstanceOf(StoreError);
  });

  it('rejects with a transient StoreError while Redis is down, and works again once it is back', async () => {
    const down = await startRedis({ appendOnly: true });
    const client = await connectRedis(down.url, { commandTimeoutMs: 500 });
    try {
      const store = new RedisRegistrantStore({ client });
      await store.put(record(1));
      await down.kill();
      for (const call of [() => store.loadAll(), () => store.setEnabled(record(1), false), () => store.put(record(2)), () => store.delete(record(1))]) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).transient).toBe(true);
      }
      await down.restart();
      const deadline = Date.now() + 10_000;
      let loaded: readonly RegistrantRecord[] | undefined;
      while (loaded === undefined && Date.now() < deadline) loaded = await store.loadAll().catch(async () => { await new Promise((r) => setTimeout(r, 100)); return undefined; });
      expect(loaded).toEqual([record(1)]);
    } finally {
      client.disconnect();
      await down.stop();
    }
  });

  it('validates options and arguments with ConfigErrors, and closes an owned client', async () => {
    expect(() => new RedisRegistrantStore({} as never)).toThrow(ConfigError);
    expect(() => new RedisRegistrantStore({ client: redis.single, keyPrefix: 'a{b}:' })).toThrow(/keyPrefix/);
    expect(() => new RedisRegistrantStore({ client: redis.single, ownsClient: 'yes' as never })).toThrow(/ownsClient/);
    const store = new RedisRegistrantStore({ client: redis.single, keyPrefix: redis.freshPrefix() });
    await expect(store.put({ ...record(1), aor: '' })).rejects.toThrow(/record: aor/);
    await expect(store.setEnabled({ aor: 'a', bindingUri: 'b', registrar: 3 } as never, true)).rejects.toThrow(/key.registrar/);
    await expect(store.setEnabled(record(1), 'no' as never)).rejects.toThrow(/enabled must be a boolean/);
    const owned = await connectRedis(redis.server.url);
    const owner = new RedisRegistrantStore({ client: owned, ownsClient: true });
    await owner.close();
    await owner.close();
    await expect(owned.ping()).rejects.toThrow();
    await expect(owner.put(record(1))).rejects.toBeInstanceOf(ConfigError);
  });
});
