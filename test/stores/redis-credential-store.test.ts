import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { StoredCredentials } from '../../src/ports/credential-store';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { digestHash } from '../../src/auth/digest-hash';
import { RedisCredentialStore, connectRedis, type RedisClient } from '../../src/stores/redis';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';
import { credentialStoreContract } from '../../src/testing/credential-store-contract';
import { freePort } from '../helpers/free-port';
import { redisCommand, startRedis } from '../helpers/start-redis';
import { useRedisAndCluster } from '../helpers/use-redis-and-cluster';

const redis = useRedisAndCluster('c', { appendOnly: false });

/**
 * A store under a fresh prefix holding `subscribers`: `put` lays out the sets and the userhash
 * index, then the subscriber's hash is rewritten with exactly its fields, as a host provisioning
 * Redis itself writes them (`domain`, `password`, the HA1s, `aliases` as JSON).
 */
const seeded = (client: () => RedisClient) => async (subscribers: readonly StoredCredentials[]): Promise<RedisCredentialStore> => {
  const keyPrefix = redis.freshPrefix();
  const store = new RedisCredentialStore({ client: client(), keyPrefix });
  for (const s of subscribers) {
    await store.put({ username: s.username, realm: s.realm, ha1: computeHa1s(s.username, s.realm, 'seed') });
    const key = `${keyPrefix}subscriber:${s.realm.toLowerCase()}:${s.username}`;
    const fields: Record<string, string> = { domain: s.realm };
    if (s.password !== undefined) fields.password = s.password;
    if (s.ha1?.['MD5'] !== undefined) fields.ha1 = s.ha1['MD5'];
    if (s.ha1?.['SHA-256'] !== undefined) fields.ha1_sha256 = s.ha1['SHA-256'];
    if (s.ha1?.['SHA-512-256'] !== undefined) fields.ha1_sha512t256 = s.ha1['SHA-512-256'];
    if (s.aliases !== undefined) fields.aliases = JSON.stringify(s.aliases);
    await client().del(key);
    await client().hset(key, fields);
  }
  return store;
};

credentialStoreContract('RedisCredentialStore (single Redis)', { create: seeded(() => redis.single) });
credentialStoreContract('RedisCredentialStore (3-master Redis Cluster)', { create: seeded(() => redis.clustered) });

const alice = { username: 'alice', realm: 'Example.com', ha1: computeHa1s('alice', 'Example.com', 'secret') };

describe('RedisCredentialStore specifics', () => {
  it('keeps the documented layout: a hash per subscriber, a set per realm, the realms, the userhash index', async () => {
    const store = new RedisCredentialStore({ client: redis.single });
    await store.put(alice);
    const sorted = (reply: unknown): string[] => [...(reply as string[])].sort();
    expect(sorted(await redisCommand(redis.server.port, ['KEYS', 'sipreg:*']))).toEqual([
      'sipreg:realms', 'sipreg:subscriber:example.com:alice', 'sipreg:subscribers:example.com', 'sipreg:userhash:example.com',
    ]);
    expect(await redis.single.hgetall('sipreg:subscriber:example.com:alice')).toEqual({
      domain: 'Example.com', ha1: alice.ha1['MD5'], ha1_sha256: alice.ha1['SHA-256'], ha1_sha512t256: alice.ha1['SHA-512-256'],
    });
    expect(await redis.single.smembers('sipreg:subscribers:example.com')).toEqual(['alice']);
    expect(await redis.single.smembers('sipreg:realms')).toEqual(['example.com']);
    expect(await redis.single.hgetall('sipreg:userhash:example.com')).toEqual({
      [`MD5:${digestHash('MD5', 'alice:Example.com')}`]: 'alice',
      [`SHA-256:${digestHash('SHA-256', 'alice:Example.com')}`]: 'alice',
      [`SHA-512-256:${digestHash('SHA-512-256', 'alice:Example.com')}`]: 'alice',
    });
    // A put spelling the realm otherwise re-indexes the userhashes under the new spelling.
    const lower = computeHa1s('alice', 'example.com', 'secret');
    await store.put({ username: 'alice', realm: 'example.com', ha1: lower });
    expect(Object.keys(await redis.single.hgetall('sipreg:userhash:example.com')).sort()).toEqual(
      [`MD5:${digestHash('MD5', 'alice:example.com')}`, `SHA-256:${digestHash('SHA-256', 'alice:example.com')}`, `SHA-512-256:${digestHash('SHA-512-256', 'alice:example.com')}`].sort(),
    );
    expect(await store.remove('alice', 'EXAMPLE.COM')).toBe(true);
    expect(await redisCommand(redis.server.port, ['KEYS', 'sipreg:*'])).toEqual(['sipreg:realms']);
    await store.close();
  });

  it('reads a hash a host wrote without domain under the realm of its key, and refuses bad aliases with a StoreError naming the key', async () => {
    const keyPrefix = redis.freshPrefix();
    const store = new RedisCredentialStore({ client: redis.single, keyPrefix });
    await redis.single.hset(`${keyPrefix}subscriber:example.com:bob`, { password: 'pw', aliases: '["robert@example.com"]' });
    expect(await store.lookup('bob', 'EXAMPLE.com')).toEqual({ username: 'bob', realm: 'example.com', password: 'pw', aliases: ['robert@example.com'] });
    const cases: [string, string][] = [
      ['[robert', `redis credential store: hash "${keyPrefix}subscriber:example.com:bob" field aliases is not valid JSON`],
      ['"robert@example.com"', `redis credential store: hash "${keyPrefix}subscriber:example.com:bob" field aliases must be an array of user@domain strings, got "robert@example.com"`],
      ['["robert"]', 'field aliases must hold user@domain strings, got "robert"'],
    ];
    for (const [aliases, message] of cases) {
      await redis.single.hset(`${keyPrefix}subscriber:example.com:bob`, 'aliases', aliases);
      const error = await store.lookup('bob', 'example.com').then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain(message);
      expect((error as StoreError).transient).toBe(false);
    }
  });

  it('rejects with a transient StoreError while Redis is down, and works again once it is back', async () => {
    const down = await startRedis({ appendOnly: true });
    const client = await connectRedis(down.url, { commandTimeoutMs: 500 });
    try {
      const store = new RedisCredentialStore({ client });
      await store.put(alice);
      await down.kill();
      const calls = [
        () => store.lookup('alice', 'example.com'),
        () => store.lookupByUserhash(digestHash('MD5', 'alice:Example.com'), 'example.com', 'MD5'),
        () => store.put(alice),
        () => store.remove('alice', 'example.com'),
        () => store.list(),
      ];
      for (const call of calls) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).transient).toBe(true);
        expect((error as StoreError).message).toMatch(/^redis credential store: (lookup|lookupByUserhash|put|remove|list) failed: /);
      }
      await down.restart();
      const deadline = Date.now() + 10_000;
      let found: StoredCredentials | undefined;
      while (found === undefined && Date.now() < deadline) found = await store.lookup('alice', 'example.com').catch(async () => { await new Promise((r) => setTimeout(r, 100)); return undefined; });
      expect(found).toEqual(alice);
    } finally {
      client.disconnect();
      await down.stop();
    }
  });

  it('rejects with a transient StoreError when Redis was never reachable', async () => {
    const port = await freePort('tcp');
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      const store = new RedisCredentialStore({ client });
      const error = await Promise.resolve(store.lookup('alice', 'example.com')).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).transient).toBe(true);
      expect((error as StoreError).message).toContain('redis credential store: lookup failed: ');
    } finally {
      client.disconnect();
    }
  });

  it('validates options and arguments with ConfigErrors, and closes an owned client', async () => {
    expect(() => new RedisCredentialStore({} as never)).toThrow(ConfigError);
    expect(() => new RedisCredentialStore({ client: redis.single, keyPrefix: 'a{b}:' })).toThrow('RedisCredentialStore keyPrefix must be a string without { or }');
    expect(() => new RedisCredentialStore({ client: redis.single, ownsClient: 'yes' as never })).toThrow('RedisCredentialStore ownsClient must be a boolean, got "yes"');
    const store = new RedisCredentialStore({ client: redis.single, keyPrefix: redis.freshPrefix() });
    await expect(store.put({ ...alice, realm: '' })).rejects.toThrow('RedisCredentialStore: realm must be a non-empty string, got ""');
    await expect(store.lookupByUserhash('00', 'example.com', 'MD4' as never)).rejects.toThrow('unknown digest algorithm "MD4"');
    const owned = await connectRedis(redis.server.url);
    const owner = new RedisCredentialStore({ client: owned, ownsClient: true });
    await owner.close();
    await owner.close();
    await expect(owned.ping()).rejects.toThrow();
    await expect(owner.list()).rejects.toBeInstanceOf(ConfigError);
  });
});
