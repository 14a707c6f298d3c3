import { afterEach, describe, expect, it } from '@jest/globals';
import { RedisLocationStore, connectRedis, type RedisLocationStoreOptions } from '../../src/stores/redis';
import { runLocationStoreContract } from '../../src/testing/location-store-contract';
import { createRegistrar, type Registrar } from '../../src/registrar/registrar';
import type { BindingChange } from '../../src/registrar/binding-change';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';
import { buildBinding } from '../../src/testing/build-binding';
import { register, res } from '../registrar/sip-text';
import { eventually } from '../helpers/eventually';
import { redisCommand, startRedis } from '../helpers/start-redis';
import { useRedisAndCluster } from '../helpers/use-redis-and-cluster';

const redis = useRedisAndCluster('t');

runLocationStoreContract('RedisLocationStore (single Redis)', () => new RedisLocationStore({ client: redis.single, keyPrefix: redis.freshPrefix() }), { propertyRuns: 20 });
runLocationStoreContract('RedisLocationStore (three-master Redis Cluster)', () => new RedisLocationStore({ client: redis.clustered, keyPrefix: redis.freshPrefix() }), { propertyRuns: 20 });

const NOW = Date.now();
const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

/** A store on the single server and a registrar on it, closed after the test. */
function node(options: Partial<RedisLocationStoreOptions> & { keyPrefix: string }, ownershipTags?: readonly string[]): { store: RedisLocationStore; registrar: Registrar; events: BindingChange[] } {
  const store = new RedisLocationStore({ client: redis.single, ...options });
  const registrar = createRegistrar({
    store,
    purgeIntervalMs: 0,
    retryAfter: 7,
    ...(ownershipTags === undefined ? {} : { isTagActive: (tag: string) => ownershipTags.includes(tag) }),
  });
  const events: BindingChange[] = [];
  for (const kind of ['inserted', 'refreshed', 'updated', 'deleted', 'expired'] as const) registrar.on(kind, (c) => events.push(c));
  opened.push(registrar, store);
  return { store, registrar, events };
}

describe('RedisLocationStore layout', () => {
  it('keeps one hash per AOR under its hash tag, with the version and the bindings as JSON in commit order', async () => {
    const keyPrefix = redis.freshPrefix();
    const store = new RedisLocationStore({ client: redis.single, keyPrefix });
    opened.push(store);
    const bindings = [buildBinding('sip:a@192.0.2.1', { expiresAt: NOW + 60_000 }), buildBinding('sip:a@192.0.2.2', { expiresAt: NOW + 30_000 })];
    const outcome = await store.commit('alice@example.com', null, bindings);
    expect(outcome.ok).toBe(true);
    const raw = (await redisCommand(redis.server.port, ['HGETALL', `${keyPrefix}aor:{alice@example.com}`])) as string[];
    const hash = Object.fromEntries(Array.from({ length: raw.length / 2 }, (_, i) => [raw[2 * i], raw[2 * i + 1]]));
    expect(hash.v).toBe(outcome.ok ? outcome.version : undefined);
    expect([JSON.parse(hash['0']), JSON.parse(hash['1'])]).toEqual(bindings);
    // The expiry index holds the earliest expiry; the hash lives keyGraceSec past the latest one.
    expect(await redisCommand(redis.server.port, ['ZSCORE', `${keyPrefix}expiry`, 'alice@example.com'])).toBe(String(NOW + 30_000));
    const pttl = Number(await redisCommand(redis.server.port, ['PTTL', `${keyPrefix}aor:{alice@example.com}`]));
    expect(pttl).toBeGreaterThan(60_000 + 3_590_000 - (Date.now() - NOW) - 5_000);
    expect(pttl).toBeLessThanOrEqual(60_000 + 3_600_000);
  });

  it('lets Redis drop a hash keyGraceSec after its last binding expired, when nobody purged it', async () => {
    const keyPrefix = redis.freshPrefix();
    const store = new RedisLocationStore({ client: redis.single, keyPrefix, keyGraceSec: 1 });
    opened.push(store);
    await store.commit('gone@example.com', null, [buildBinding('sip:g@192.0.2.1', { expiresAt: Date.now() + 200 })]);
    expect((await store.load('gone@example.com')).bindings).toHaveLength(1);
    await eventually(async () => ((await store.load('gone@example.com')).version === null ? true : undefined), 'the hash expiring', 5_000, () => '');
  });

  it('in a cluster, keeps each AOR in its own slot and repairs a stale expiry index', async () => {
    const keyPrefix = redis.freshPrefix();
    const store = new RedisLocationStore({ client: redis.clustered, keyPrefix, expiryShards: 4 });
    opened.push(store);
    const aors = Array.from({ length: 40 }, (_, i) => `user${i}@example.com`);
    for (const aor of aors) expect((await store.commit(aor, null, [buildBinding(`sip:${aor}`, { expiresAt: NOW + 1000 })])).ok).toBe(true);
    // Refresh half of them: their index entries keep the old, earlier score (ZADD LT) until checked.
    for (const aor of aors.slice(0, 20)) {
      const { version } = await store.load(aor);
      expect((await store.commit(aor, version, [buildBinding(`sip:${aor}`, { expiresAt: NOW + 3_600_000 })])).ok).toBe(true);
    }
    await eventually(async () => ((await store.expiredAors(NOW + 1000, 100)).length === 20 ? true : undefined), 'the index settling', 5_000, () => '');
    expect([...(await store.expiredAors(NOW + 1000, 100))].sort()).toEqual(aors.slice(20).sort());
    // The refreshed ones were rescored: they come due at their new expiry.
    expect((await store.expiredAors(NOW + 3_600_000, 100)).length).toBe(40);
    const masters = new Set<string>();
    for (const aor of aors) masters.add(String(await redis.clustered.cluster('KEYSLOT', `${keyPrefix}aor:{${aor}}`)));
    expect(masters.size).toBeGreaterThan(10);
  });

  it('refuses bad options with a ConfigError that says what to pass', () => {
    expect(() => new RedisLocationStore({} as RedisLocationStoreOptions)).toThrow(/connectRedis/);
    expect(() => new RedisLocationStore({ client: redis.single, keyPrefix: 'a{b}' })).toThrow(ConfigError);
    expect(() => new RedisLocationStore({ client: redis.single, keyGraceSec: -1 })).toThrow(/keyGraceSec/);
    expect(() => new RedisLocationStore({ client: redis.single, expiryShards: 0 })).toThrow(/expiryShards/);
  });

  it('connectRedis refuses URLs it cannot use', async () => {
    await expect(connectRedis('http://127.0.0.1:6379')).rejects.toThrow(/redis:\/\//);
    await expect(connectRedis('redis-cluster://')).rejects.toThrow(/names no cluster node/);
    await expect(connectRedis('redis-cluster://127.0.0.1:99999')).rejects.toThrow(/host:port/);
  });
});

/** Wait until `count` connections listen on `channel` (a notice published earlier is not heard). */
const subscribed = (channel: string, count: number): Promise<true> =>
  eventually(async () => (((await redisCommand(redis.server.port, ['PUBSUB', 'NUMSUB', channel])) as [string, number])[1] >= count ? true : undefined), `${count} subscribers`, 5_000, () => '', 20);

describe('two registrars sharing one Redis', () => {
  it('with notices, each emits the changes the other committed, marked remote, and never its own twice', async () => {
    const keyPrefix = redis.freshPrefix();
    const a = node({ keyPrefix, notices: true });
    const b = node({ keyPrefix, notices: true });
    await subscribed(`${keyPrefix}changes`, 2);
    const ok = await a.registrar.save(register({ user: 'bob', expires: 600 }));
    expect(ok.status).toBe(200);
    await eventually(() => (b.events.length === 1 ? true : undefined), 'B hearing the insert', 5_000, () => JSON.stringify(b.events));
    expect(b.events[0]).toMatchObject({ kind: 'inserted', aor: 'bob@example.com', remote: true, binding: { contact: 'sip:bob@192.0.2.10:5060' } });
    expect(a.events.map((e) => [e.kind, e.remote])).toEqual([['inserted', undefined]]);
    // B removes it; A hears the deletion.
    expect((await b.registrar.save(register({ user: 'bob', expires: 0, cseq: 2 }))).status).toBe(200);
    await eventually(() => (a.events.length === 2 ? true : undefined), 'A hearing the delete', 5_000, () => JSON.stringify(a.events));
    expect(a.events[1]).toMatchObject({ kind: 'deleted', remote: true });
    expect(b.events.map((e) => e.kind)).toEqual(['inserted', 'deleted']);
  });

  it('without notices, a registrar emits only its own changes (and both see the same bindings)', async () => {
    const keyPrefix = redis.freshPrefix();
    const a = node({ keyPrefix });
    const b = node({ keyPrefix });
    expect((await a.registrar.save(register({ user: 'carol' }))).status).toBe(200);
    expect((await b.registrar.bindings('carol@example.com')).map((x) => x.contact)).toEqual(['sip:carol@192.0.2.10:5060']);
    await redisCommand(redis.server.port, ['PING']);
    expect(b.events).toEqual([]);
  });

  it('only the node holding a binding\'s ownership tag purges it when it expires', async () => {
    const keyPrefix = redis.freshPrefix();
    const backup = node({ keyPrefix, notices: true }, []);
    const owner = node({ keyPrefix, notices: true }, ['vip/1']);
    await subscribed(`${keyPrefix}changes`, 2);
    const store = new RedisLocationStore({ client: redis.single, keyPrefix });
    opened.push(store);
    await store.commit('dave@example.com', null, [
      buildBinding('sip:dave@192.0.2.1', { expiresAt: NOW - 1000, ownershipTag: 'vip/1' }),
      buildBinding('sip:dave@192.0.2.2', { expiresAt: NOW - 1000 }),
      buildBinding('sip:dave@192.0.2.3', { expiresAt: NOW + 600_000, ownershipTag: 'vip/1' }),
    ]);
    expect(await backup.registrar.purgeExpired()).toBe(1);
    expect(backup.events.map((e) => [e.kind, e.binding.contact])).toEqual([['expired', 'sip:dave@192.0.2.2']]);
    // Asked again, the backup finds only the owner's binding and leaves it.
    expect(await backup.registrar.purgeExpired()).toBe(0);
    expect(await owner.registrar.purgeExpired()).toBe(1);
    expect(owner.events.filter((e) => e.remote === undefined).map((e) => [e.kind, e.binding.contact])).toEqual([['expired', 'sip:dave@192.0.2.1']]);
    expect((await store.load('dave@example.com')).bindings.map((x) => x.contact)).toEqual(['sip:dave@192.0.2.3']);
  });
});

describe('one registrar on Redis under concurrent REGISTERs of one AOR', () => {
  it('runs them one after another: 50 at once all get 200 without a single compare-and-set conflict', async () => {
    const { store, registrar } = node({ keyPrefix: redis.freshPrefix() });
    let conflicts = 0;
    const commit = store.commit.bind(store);
    store.commit = async (...args) => {
      const outcome = await commit(...args);
      if (!outcome.ok) conflicts++;
      return outcome;
    };
    const results = await Promise.all(Array.from({ length: 50 }, (_, k) =>
      registrar.save(register({ user: 'gina', callId: `g${k}`, contacts: [`<sip:gina@192.0.2.${k + 1}>`], expires: 600 }))));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(conflicts).toBe(0);
    expect(await registrar.bindings('gina@example.com')).toHaveLength(50);
  });
});

describe('a registrar on Redis when Redis fails', () => {
  it('answers 503 + Retry-After within the command timeout while Redis is gone, and 200 again once it is back', async () => {
    const down = await startRedis();
    const own = await connectRedis(down.url, { commandTimeoutMs: 500 });
    const store = new RedisLocationStore({ client: own, ownsClient: true });
    const registrar = createRegistrar({ store, purgeIntervalMs: 0, retryAfter: 7 });
    opened.push(registrar, store);
    try {
      expect((await registrar.save(register({ user: 'erin', expires: 600 }))).status).toBe(200);
      await down.kill();
      const started = Date.now();
      const failed = await registrar.save(register({ user: 'erin', expires: 600, cseq: 2, contacts: ['<sip:erin@192.0.2.99>'] }));
      expect(Date.now() - started).toBeLessThan(1500);
      expect(failed.status).toBe(503);
      expect(res(failed.response).header('Retry-After')).toBe('7');
      await down.restart();
      // The client reconnects by itself; no new registrar, no new store.
      const back = await eventually(async () => {
        const r = await registrar.save(register({ user: 'erin', expires: 600, cseq: 3, contacts: ['<sip:erin@192.0.2.99>'] }));
        return r.ok ? r : undefined;
      }, 'a 200 after the restart', 10_000, () => '', 200);
      // The binding answered 200 before the crash survived it (AOF, fsync always); the failed one was never written.
      expect(back.bindings.map((x) => x.contact).sort()).toEqual(['sip:erin@192.0.2.10:5060', 'sip:erin@192.0.2.99']);
    } finally {
      await down.stop();
    }
  }, 30_000);

  it('answers 503 within the command timeout when Redis hangs (CLIENT PAUSE), and a transient StoreError reaches direct callers', async () => {
    const own = await connectRedis(redis.server.url, { commandTimeoutMs: 300 });
    const store = new RedisLocationStore({ client: own, ownsClient: true, keyPrefix: redis.freshPrefix() });
    const registrar = createRegistrar({ store, purgeIntervalMs: 0 });
    opened.push(registrar, store);
    await redisCommand(redis.server.port, ['CLIENT', 'PAUSE', '1500', 'ALL']);
    const started = Date.now();
    const r = await registrar.save(register({ user: 'frank' }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.status).toBe(503);
    const error = await Promise.resolve(store.load('frank@example.com')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).transient).toBe(true);
  });
});
