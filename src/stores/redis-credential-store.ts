import type { CredentialAdmin, DigestAlgorithm, StoredCredentials, SubscriberRecord } from '../ports/credential-store';
import { DIGEST_ALGORITHMS, digestHash } from '../auth/digest-hash';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { checkSubscriberName, checkSubscriberRecord } from './check-subscriber-record';
import { closedStoreError } from './closed-store-error';
import { compareCredentials } from './compare-credentials';
import { HA1_COLUMNS, credentialsFromRow } from './credentials-from-row';
import { describeValue } from './describe-value';
import type { RedisClient } from './redis-client';
import { redisStoreError } from './redis-store-error';

/** Options of {@link RedisCredentialStore}. */
export interface RedisCredentialStoreOptions {
  /** A connected ioredis client (`Redis` or `Cluster`), e.g. from {@link connectRedis}. */
  readonly client: RedisClient;
  /**
   * Close the client with the store.
   * @defaultValue false
   */
  readonly ownsClient?: boolean;
  /**
   * Prefix of every key, so several deployments share a Redis.
   * @defaultValue `'sipreg:'`
   */
  readonly keyPrefix?: string;
}

type Resolved = Readonly<Required<Omit<RedisCredentialStoreOptions, 'client'>>>;

/** The driver with the HA1 replacement script defined on it. */
type ScriptedClient = RedisClient & {
  sipregCredentialPut(key: string, domain: string, ha1: string, ha1Sha256: string, ha1Sha512t256: string): Promise<number>;
};

/** Replace a subscriber's domain spelling and HA1s and drop its password, in one step on its one key (aliases stay). */
const PUT_SCRIPT = `
redis.call('HDEL', KEYS[1], 'password')
return redis.call('HSET', KEYS[1], 'domain', ARGV[1], 'ha1', ARGV[2], 'ha1_sha256', ARGV[3], 'ha1_sha512t256', ARGV[4])
`;

const STORE = 'RedisCredentialStore';
const DRIVER = 'redis credential store';

const resolveOptions = (options: RedisCredentialStoreOptions): Resolved => {
  if (options?.client === undefined) throw new ConfigError(`${STORE} needs options.client: an ioredis client, e.g. await connectRedis("redis://127.0.0.1:6379")`);
  const ownsClient = options.ownsClient ?? false;
  if (typeof ownsClient !== 'boolean') throw new ConfigError(`${STORE} ownsClient must be a boolean, got ${describeValue(ownsClient)}`);
  const keyPrefix = options.keyPrefix ?? 'sipreg:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new ConfigError(`${STORE} keyPrefix must be a string without { or } (they are Redis Cluster hash tags), got ${describeValue(keyPrefix)}`);
  }
  return Object.freeze({ ownsClient, keyPrefix });
};

/**
 * Subscribers in Redis, shared by every registrar node (OpenSIPS auth_db on a shared database).
 * Lookups are one `HGETALL`; works on a single Redis and on a Redis Cluster.
 *
 * Layout, under {@link RedisCredentialStoreOptions.keyPrefix} (`sipreg:`), with `<realm>` the
 * realm in lower case (realms match case-insensitively, usernames exactly):
 *
 * - `sipreg:subscriber:<realm>:<username>`: a hash with the OpenSIPS `subscriber` column names,
 *   `ha1`, `ha1_sha256`, `ha1_sha512t256` (HA1 per algorithm, RFC 7616 §3.4.2) and `password`
 *   (a plain password, for hosts that provision one), each optional; `aliases`, a JSON array of
 *   further `user@domain` AORs the subscriber may register; `domain`, the realm as written
 *   (absent: `<realm>`).
 * - `sipreg:subscribers:<realm>`: a set of the realm's usernames, and `sipreg:realms` a set of
 *   the realms, for {@link RedisCredentialStore.list}.
 * - `sipreg:userhash:<realm>`: a hash from `<algorithm>:<H(username ":" domain)>` to the username,
 *   for {@link RedisCredentialStore.lookupByUserhash} (RFC 7616 §3.4.4).
 *
 * Hosts that write subscribers themselves keep that layout; {@link RedisCredentialStore.put}
 * and {@link RedisCredentialStore.remove} maintain it (`sipreg user add|passwd|rm`). A put
 * replaces the HA1s and drops the password in one script on the subscriber's key, then updates
 * the sets and the userhash index, so a lookup never sees half a subscriber; a realm stays in
 * `sipreg:realms` once it had a subscriber.
 *
 * Driver failures reject with a {@link StoreError}: `transient` for a lost connection, a
 * timeout and a Redis that is loading or failing over (the authenticator answers 503 +
 * Retry-After), not for a stored value that is not a subscriber (500).
 *
 * @example
 * ```ts
 * const credentials = new RedisCredentialStore({ client: await connectRedis('redis://127.0.0.1:6379'), ownsClient: true });
 * await credentials.put({ username: 'alice', realm: 'example.com', ha1: computeHa1s('alice', 'example.com', 'secret') });
 * ```
 */
export class RedisCredentialStore implements CredentialAdmin {
  readonly #client: ScriptedClient;
  readonly #o: Resolved;
  #closed = false;

  /** @throws {@link ConfigError} for invalid options. */
  constructor(options: RedisCredentialStoreOptions) {
    this.#o = resolveOptions(options);
    const client = options.client;
    if (!('sipregCredentialPut' in client)) client.defineCommand('sipregCredentialPut', { numberOfKeys: 1, lua: PUT_SCRIPT });
    this.#client = client as ScriptedClient;
  }

  /**
   * The subscriber `username` in `realm` (case-insensitive): one `HGETALL`.
   * @throws {@link StoreError} when Redis fails or the hash is not a subscriber
   */
  async lookup(username: string, realm: string): Promise<StoredCredentials | undefined> {
    this.#assertOpen();
    const folded = realm.toLowerCase();
    const key = this.#subscriberKey(folded, username);
    let hash: Record<string, string>;
    try {
      hash = await this.#client.hgetall(key);
    } catch (error) {
      throw redisStoreError(DRIVER, 'lookup', error);
    }
    return this.#parse(key, username, folded, hash);
  }

  /**
   * The subscriber in `realm` whose `H(username ":" domain)` with `algorithm` is `userhash`
   * (RFC 7616 §3.4.4), the domain hashed as written when put: an `HGET` of the index, then a lookup.
   * @throws {@link ConfigError} for an unknown algorithm or after `close()`; {@link StoreError} when Redis fails
   */
  async lookupByUserhash(userhash: string, realm: string, algorithm: DigestAlgorithm): Promise<StoredCredentials | undefined> {
    this.#assertOpen();
    if (HA1_COLUMNS[algorithm] === undefined) throw new ConfigError(`${STORE}: unknown digest algorithm ${describeValue(algorithm)}; use MD5, SHA-256 or SHA-512-256`);
    let username: string | null;
    try {
      username = await this.#client.hget(this.#userhashKey(realm.toLowerCase()), `${algorithm}:${userhash}`);
    } catch (error) {
      throw redisStoreError(DRIVER, 'lookupByUserhash', error);
    }
    return username === null ? undefined : this.lookup(username, realm);
  }

  /**
   * Add the subscriber, or replace the HA1s of the one with that username in that realm (any
   * case): its `domain` is then written as given, its password dropped and its aliases kept.
   * @throws {@link ConfigError} for an invalid record or after `close()`; {@link StoreError} when Redis fails
   */
  async put(record: SubscriberRecord): Promise<void> {
    this.#assertOpen();
    const { username, realm, ha1 } = checkSubscriberRecord(STORE, record);
    const folded = realm.toLowerCase();
    const key = this.#subscriberKey(folded, username);
    const client = this.#client;
    try {
      const previous = await client.hget(key, 'domain');
      await client.sipregCredentialPut(key, realm, ha1['MD5'], ha1['SHA-256'], ha1['SHA-512-256']);
      const index = this.#userhashKey(folded);
      await Promise.all([
        client.sadd(this.#subscribersKey(folded), username),
        client.sadd(`${this.#o.keyPrefix}realms`, folded),
        previous !== null && previous !== realm ? client.hdel(index, ...userhashFields(username, previous)) : undefined,
      ]);
      await client.hset(index, Object.fromEntries(userhashFields(username, realm).map((field) => [field, username])));
    } catch (error) {
      throw redisStoreError(DRIVER, 'put', error);
    }
  }

  /**
   * Remove the subscriber `username` in `realm` (case-insensitive): its hash, set member and userhash entries.
   * @returns false when there was none
   * @throws {@link ConfigError} for an invalid argument or after `close()`; {@link StoreError} when Redis fails
   */
  async remove(username: string, realm: string): Promise<boolean> {
    this.#assertOpen();
    checkSubscriberName(STORE, username, realm);
    const folded = realm.toLowerCase();
    const key = this.#subscriberKey(folded, username);
    const client = this.#client;
    try {
      const domain = (await client.hget(key, 'domain')) ?? folded;
      const [deleted] = await Promise.all([
        client.del(key),
        client.srem(this.#subscribersKey(folded), username),
        client.hdel(this.#userhashKey(folded), ...userhashFields(username, domain)),
      ]);
      return deleted > 0;
    } catch (error) {
      throw redisStoreError(DRIVER, 'remove', error);
    }
  }

  /**
   * Every subscriber, or those of `realm` (case-insensitive), by realm then username: the
   * realm sets, then one `HGETALL` per subscriber (pipelined).
   * @throws {@link StoreError} when Redis fails or a hash is not a subscriber
   */
  async list(realm?: string): Promise<readonly StoredCredentials[]> {
    this.#assertOpen();
    if (realm !== undefined && typeof realm !== 'string') throw new ConfigError(`${STORE}: realm must be a string, got ${describeValue(realm)}`);
    const client = this.#client;
    let found: (StoredCredentials | undefined)[][];
    try {
      const realms = realm === undefined ? await client.smembers(`${this.#o.keyPrefix}realms`) : [realm.toLowerCase()];
      found = await Promise.all(realms.map(async (folded) => {
        const usernames = await client.smembers(this.#subscribersKey(folded));
        return Promise.all(usernames.map(async (username) => {
          const key = this.#subscriberKey(folded, username);
          return this.#parse(key, username, folded, await client.hgetall(key));
        }));
      }));
    } catch (error) {
      throw error instanceof StoreError ? error : redisStoreError(DRIVER, 'list', error);
    }
    const out: StoredCredentials[] = [];
    for (const group of found) for (const credentials of group) if (credentials !== undefined) out.push(credentials);
    return Object.freeze(out.sort(compareCredentials));
  }

  /** With `ownsClient`, close the connection. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#o.ownsClient) await this.#client.quit().catch(() => this.#client.disconnect());
  }

  #subscriberKey(folded: string, username: string): string {
    return `${this.#o.keyPrefix}subscriber:${folded}:${username}`;
  }

  #subscribersKey(folded: string): string {
    return `${this.#o.keyPrefix}subscribers:${folded}`;
  }

  #userhashKey(folded: string): string {
    return `${this.#o.keyPrefix}userhash:${folded}`;
  }

  /** The subscriber in `hash` (undefined when the hash is empty: no such key). */
  #parse(key: string, username: string, folded: string, hash: Record<string, string>): StoredCredentials | undefined {
    if (Object.keys(hash).length === 0) return undefined;
    let aliases: unknown;
    if (hash.aliases !== undefined) {
      try {
        aliases = JSON.parse(hash.aliases);
      } catch (error) {
        throw new StoreError(`${DRIVER}: hash "${key}" field aliases is not valid JSON`, { cause: error });
      }
    }
    return credentialsFromRow(
      (field) => (field === 'username' ? username : field === 'domain' ? (hash.domain ?? folded) : field === 'aliases' ? aliases : hash[field]),
      (field, problem) => {
        throw new StoreError(`${DRIVER}: hash "${key}" field ${field} ${problem}`);
      },
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}

/** The userhash index fields of a subscriber: `<algorithm>:<H(username ":" domain)>` for every algorithm. */
const userhashFields = (username: string, domain: string): string[] =>
  DIGEST_ALGORITHMS.map((algorithm) => `${algorithm}:${digestHash(algorithm, `${username}:${domain}`)}`);
