import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import type { AorSnapshot, Binding } from '../ports/binding';
import { systemClock, type Clock } from '../ports/clock';
import type { AorPage, CommitOutcome, LocationStore } from '../ports/location-store';
import type { BindingChange } from '../registrar/binding-change';
import { ConfigError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import { COMMIT_CONFLICT } from './commit-conflict';
import { checkPageLimit } from './check-page-limit';
import type { RedisClient } from './redis-client';
import { REDIS_COMMIT_SCRIPT } from './redis-commit-script';
import { redisStoreError } from './redis-store-error';

/** Options of {@link RedisLocationStore}. */
export interface RedisLocationStoreOptions {
  /** A connected ioredis client (`Redis` or `Cluster`), e.g. from {@link connectRedis}. */
  readonly client: RedisClient;
  /**
   * Close the client with the store.
   * @defaultValue false
   */
  readonly ownsClient?: boolean;
  /**
   * Prefix of every key and of the notice channel, so several location services share a Redis.
   * @defaultValue `'sipreg:'`
   */
  readonly keyPrefix?: string;
  /**
   * An AOR's hash expires this long after its last binding, so a location nobody purges does
   * not grow for ever. Keep it above the registrar's `purgeIntervalMs`: the purge should remove
   * the bindings first, emitting `expired`. 0 keeps hashes until they are purged.
   * @defaultValue 3600
   */
  readonly keyGraceSec?: number;
  /**
   * Publish each commit's changes and hear the other nodes' ({@link LocationStore.watch}), so
   * every node sharing the location emits every registration event.
   * @defaultValue false
   */
  readonly notices?: boolean;
  /**
   * Expiry index shards of a Redis Cluster, spread over its masters (one index on a single Redis).
   * @defaultValue 16
   */
  readonly expiryShards?: number;
  /**
   * The time an AOR hash's expiry is checked against before it is set: Redis expires keys in
   * real time, so this is the system clock. An expiry not ahead of it sets no TTL (the bindings of
   * a registrar on a manual clock behind the real time would otherwise be deleted at once).
   * @defaultValue {@link systemClock}
   */
  readonly clock?: Clock;
}

type Resolved = Readonly<Required<Omit<RedisLocationStoreOptions, 'client'>>>;

/** The driver with the commit script defined on it. */
type ScriptedClient = RedisClient & {
  sipregCommit(...keysAndArgs: (string | number)[]): Promise<number>;
};

/** What a node publishes after a commit: its id, the AOR and the changes. */
interface Notice {
  readonly node: string;
  readonly aor: string;
  readonly changes: readonly BindingChange[];
}

const NO_BINDINGS: readonly Binding[] = Object.freeze([]);
/** Keys asked for per SCAN step while listing AORs. */
const SCAN_COUNT = 500;
const STORE = 'redis location store';
/** A page cursor of this store: the index of the master being scanned, a dot, its `SCAN` cursor. */
const CURSOR = /^(\d{1,4})\.(\d{1,20})$/;

/** The master index and `SCAN` cursor a cursor of {@link RedisLocationStore.aorPage} names. */
function scanPositionOf(cursor: string): [number, string] {
  const m = CURSOR.exec(cursor);
  if (m === null) throw new ConfigError(`RedisLocationStore aorPage cursor '${cursor}' is not one this store returned; start again without a cursor`);
  return [Number(m[1]), m[2]];
}

/** A master's address, the order masters are scanned in (ioredis lists them in no fixed order). */
const addressOf = (node: Redis): string => `${node.options.host ?? ''}:${node.options.port ?? ''}`;

const resolveOptions = (options: RedisLocationStoreOptions): Resolved => {
  if (options?.client === undefined) throw new ConfigError('RedisLocationStore needs options.client: an ioredis client, e.g. await connectRedis("redis://127.0.0.1:6379")');
  const keyGraceSec = options.keyGraceSec ?? 3600;
  if (!Number.isInteger(keyGraceSec) || keyGraceSec < 0) throw new ConfigError(`RedisLocationStore keyGraceSec must be an integer >= 0, got ${keyGraceSec}`);
  const expiryShards = options.expiryShards ?? 16;
  if (!Number.isInteger(expiryShards) || expiryShards < 1 || expiryShards > 1024) {
    throw new ConfigError(`RedisLocationStore expiryShards must be an integer in 1..1024, got ${expiryShards}`);
  }
  const keyPrefix = options.keyPrefix ?? 'sipreg:';
  if (/[{}]/.test(keyPrefix)) throw new ConfigError(`RedisLocationStore keyPrefix must not contain { or } (they are Redis Cluster hash tags), got '${keyPrefix}'`);
  return Object.freeze({
    ownsClient: options.ownsClient ?? false, keyPrefix, keyGraceSec, notices: options.notices ?? false, expiryShards, clock: options.clock ?? systemClock,
  });
};

/** FNV-1a of the AOR: which expiry shard indexes it in a cluster. */
const shardOf = (aor: string, shards: number): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < aor.length; i++) h = Math.imul(h ^ aor.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
};

/** The bindings of a `HGETALL` reply: fields `0`, `1`, … in commit order. */
const bindingsOf = (hash: Record<string, string>): Binding[] => {
  const bindings: Binding[] = [];
  for (let i = 0; ; i++) {
    const json = hash[i];
    if (json === undefined) return bindings;
    bindings.push(JSON.parse(json) as Binding);
  }
};

const earliestExpiry = (bindings: readonly Binding[]): number => {
  let min = Infinity;
  for (let i = 0; i < bindings.length; i++) if (bindings[i].expiresAt < min) min = bindings[i].expiresAt;
  return min;
};

const latestExpiry = (bindings: readonly Binding[]): number => {
  let max = -Infinity;
  for (let i = 0; i < bindings.length; i++) if (bindings[i].expiresAt > max) max = bindings[i].expiresAt;
  return max;
};

/**
 * The location service (RFC 3261 §10.2) in Redis, shared by every registrar node that uses it
 * (OpenSIPS usrloc `full-sharing-cachedb` cluster mode). Works on a single Redis and on a Redis
 * Cluster (pass an ioredis `Cluster`).
 *
 * Layout, under {@link RedisLocationStoreOptions.keyPrefix} (`sipreg:`):
 * - `sipreg:aor:{<aor>}`: one hash per AOR. Field `v` is the compare-and-set version (a token
 *   never reused, so an AOR deleted and created again does not match an old version); fields
 *   `0`, `1`, … are the bindings as JSON, in commit order. The `{<aor>}` hash tag keeps every key
 *   of an AOR in one cluster slot. The hash expires `keyGraceSec` after its last binding.
 * - `sipreg:expiry` (single Redis) or `sipreg:expiry:{<n>}` (cluster shards): a sorted set of
 *   AORs scored by their earliest binding expiry, for {@link RedisLocationStore.expiredAors}.
 * - channel `sipreg:changes`: with `notices`, each commit's changes (JSON), published by the
 *   commit script itself, so a notice goes out exactly when a commit succeeds.
 *
 * A commit is one Lua script (`redis-commit-script.ts`): compare the version, replace the
 * hash, set its TTL, index it and publish, atomically. On a single Redis it also keeps the expiry
 * index exact. In a cluster the index lives in other slots, so it is updated right after the
 * commit (`ZADD … LT`: a score only moves earlier) and `expiredAors` checks each candidate
 * against its hash and rescores it; a node dying between the commit and that update delays the
 * AOR's purge, and the hash's TTL still bounds its life.
 *
 * Bindings flagged `memoryOnly` are stored like the others: Redis is the memory every node shares.
 * Durability is Redis's: with `appendonly yes` and `appendfsync always` a REGISTER answered `200`
 * survives a crash of Redis. Driver failures reject with a {@link StoreError}; connection
 * failures and timeouts are transient, so the registrar answers `503` + Retry-After.
 */
export class RedisLocationStore implements LocationStore {
  readonly #client: ScriptedClient;
  readonly #o: Resolved;
  readonly #cluster: boolean;
  /** This store's random id: prefix of the versions it writes, and the origin of its notices. */
  readonly #node = randomBytes(8).toString('hex');
  #commits = 0;
  #subscriber: RedisClient | undefined;
  readonly #watchers = new Set<(aor: string, changes: readonly BindingChange[]) => void>();
  #closed = false;

  /** @throws {@link ConfigError} for invalid options. */
  constructor(options: RedisLocationStoreOptions) {
    this.#o = resolveOptions(options);
    const client = options.client;
    this.#cluster = client instanceof Cluster;
    // The AOR's hash, and on a single Redis the expiry index (a cluster keeps it in other slots).
    if (!('sipregCommit' in client)) client.defineCommand('sipregCommit', { lua: REDIS_COMMIT_SCRIPT, numberOfKeys: this.#cluster ? 1 : 2 });
    this.#client = client as ScriptedClient;
  }

  /** The AOR's bindings in commit order; `version` is `null` when the AOR has no hash. */
  async load(aor: string): Promise<AorSnapshot> {
    this.#assertOpen();
    let hash: Record<string, string>;
    try {
      hash = await this.#client.hgetall(this.#aorKey(aor));
    } catch (error) {
      throw redisStoreError(STORE, 'load', error);
    }
    const version = hash.v;
    if (version === undefined) return { aor, bindings: NO_BINDINGS, version: null };
    return { aor, bindings: bindingsOf(hash), version };
  }

  /**
   * Replace the AOR's bindings if `expected` is still its version (`null`: absent), in one script;
   * with `notices`, `changes` goes to the other nodes in the same step.
   */
  async commit(aor: string, expected: unknown, bindings: readonly Binding[], changes?: readonly BindingChange[]): Promise<CommitOutcome> {
    this.#assertOpen();
    if (expected !== null && typeof expected !== 'string') return COMMIT_CONFLICT;
    const { keyPrefix, keyGraceSec, notices, clock } = this.#o;
    const version = `${this.#node}.${(++this.#commits).toString(36)}`;
    const earliest = bindings.length === 0 ? 0 : earliestExpiry(bindings);
    const graceUntil = bindings.length === 0 || keyGraceSec === 0 ? 0 : latestExpiry(bindings) + keyGraceSec * 1000;
    // A clock behind Redis's (a test's manual clock) would delete the hash at once: no TTL then.
    const pexpireAt = graceUntil > clock.now() ? graceUntil : 0;
    const notice = notices && changes !== undefined && changes.length > 0 ? JSON.stringify({ node: this.#node, aor, changes } satisfies Notice) : '';
    const args: (string | number)[] = [
      expected ?? '',
      version,
      pexpireAt,
      earliest,
      aor,
      notice === '' ? '' : `${keyPrefix}changes`,
      notice,
    ];
    for (let i = 0; i < bindings.length; i++) args.push(JSON.stringify(bindings[i]));
    let committed: number;
    try {
      committed = this.#cluster
        ? await this.#client.sipregCommit(this.#aorKey(aor), ...args)
        : await this.#client.sipregCommit(this.#aorKey(aor), `${keyPrefix}expiry`, ...args);
    } catch (error) {
      throw redisStoreError(STORE, 'commit', error);
    }
    if (committed !== 1) return COMMIT_CONFLICT;
    if (this.#cluster && bindings.length > 0) {
      // Best effort (see the class notes): expiredAors repairs the index, the TTL bounds the hash.
      this.#client.zadd(this.#shardKey(shardOf(aor, this.#o.expiryShards)), 'LT', earliest, aor).catch(() => undefined);
    }
    return { ok: true, version: bindings.length === 0 ? null : version };
  }

  /** Up to `limit` AORs holding a binding with `expiresAt <= nowMs`. */
  async expiredAors(nowMs: number, limit: number): Promise<readonly string[]> {
    this.#assertOpen();
    if (limit <= 0) return [];
    try {
      if (!this.#cluster) return await this.#client.zrangebyscore(`${this.#o.keyPrefix}expiry`, '-inf', nowMs, 'LIMIT', 0, limit);
      const due: string[] = [];
      for (let shard = 0; shard < this.#o.expiryShards && due.length < limit; shard++) {
        due.push(...(await this.#expiredInShard(shard, nowMs, limit - due.length)));
      }
      return due;
    } catch (error) {
      throw redisStoreError(STORE, 'expiredAors', error);
    }
  }

  /** Every AOR, by `SCAN` over each master (AORs committed meanwhile may or may not be listed). */
  aors(): AsyncIterable<string> {
    this.#assertOpen();
    return this.#scanAors();
  }

  /**
   * About `limit` AORs after `cursor`, by `SCAN` over each master in turn (in a cluster, masters
   * in address order): `COUNT` is a hint, so a page may hold a few more, or fewer before the end.
   * Redis's `SCAN` guarantee holds: an AOR stored from the first page to the last is listed,
   * possibly twice if Redis resized its table meanwhile. A cluster whose masters change between
   * pages may skip or repeat AORs.
   */
  async aorPage(cursor: string | undefined, limit: number): Promise<AorPage> {
    this.#assertOpen();
    checkPageLimit('RedisLocationStore', limit);
    return this.#scanPage(cursor === undefined ? [0, '0'] : scanPositionOf(cursor), limit);
  }

  /** Number of AORs and bindings: a `SCAN` of every AOR hash, so O(AORs); for statistics, not for the hot path. */
  async count(): Promise<{ readonly aors: number; readonly bindings: number }> {
    this.#assertOpen();
    let aors = 0;
    let bindings = 0;
    let batch: Promise<number>[] = [];
    const settle = async (): Promise<void> => {
      for (const fields of await Promise.all(batch)) bindings += Math.max(0, fields - 1);
      batch = [];
    };
    try {
      for await (const aor of this.#scanAors()) {
        aors++;
        batch.push(this.#client.hlen(this.#aorKey(aor)));
        if (batch.length >= SCAN_COUNT) await settle();
      }
      await settle();
    } catch (error) {
      throw redisStoreError(STORE, 'count', error);
    }
    return { aors, bindings };
  }

  /**
   * With `notices`: `listener` hears the changes other nodes commit (not this store's own).
   * The first watcher subscribes a second connection to the channel.
   */
  watch(listener: (aor: string, changes: readonly BindingChange[]) => void): () => void {
    this.#assertOpen();
    if (!this.#o.notices) return () => undefined;
    this.#watchers.add(listener);
    if (this.#subscriber === undefined) this.#subscribe();
    return () => {
      this.#watchers.delete(listener);
    };
  }

  /** Stop listening and, with `ownsClient`, close the connection. Later calls throw a {@link ConfigError}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watchers.clear();
    this.#subscriber?.disconnect();
    if (this.#o.ownsClient) {
      await this.#client.quit().catch(() => this.#client.disconnect());
    }
  }

  #subscribe(): void {
    const channel = `${this.#o.keyPrefix}changes`;
    // A connection of its own that connects now and queues the SUBSCRIBE until it is up.
    const subscriber: RedisClient = this.#client instanceof Cluster
      ? this.#client.duplicate(undefined, { lazyConnect: false, enableOfflineQueue: true })
      : this.#client.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    this.#subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (from: string, text: string) => {
      if (from !== channel || this.#closed) return;
      let notice: Notice;
      try {
        notice = JSON.parse(text) as Notice;
      } catch {
        return;
      }
      if (notice.node === this.#node || typeof notice.aor !== 'string' || !Array.isArray(notice.changes)) return;
      for (const watcher of this.#watchers) watcher(notice.aor, notice.changes);
    });
    // ioredis subscribes again after each reconnect.
    subscriber.subscribe(channel).catch(() => undefined);
  }

  /** Candidates of one cluster shard, checked against their hashes; stale scores are repaired. */
  async #expiredInShard(shard: number, nowMs: number, limit: number): Promise<string[]> {
    const key = this.#shardKey(shard);
    const candidates = await this.#client.zrangebyscore(key, '-inf', nowMs, 'LIMIT', 0, limit);
    const hashes = await Promise.all(candidates.map((aor) => this.#client.hgetall(this.#aorKey(aor))));
    const due: string[] = [];
    const repairs: Promise<unknown>[] = [];
    for (let k = 0; k < candidates.length; k++) {
      const aor = candidates[k];
      const bindings = bindingsOf(hashes[k]);
      const earliest = earliestExpiry(bindings);
      if (earliest <= nowMs) due.push(aor);
      else if (bindings.length === 0) repairs.push(this.#client.zrem(key, aor));
      else repairs.push(this.#client.zadd(key, 'XX', earliest, aor));
    }
    await Promise.all(repairs);
    return due;
  }

  async *#scanAors(): AsyncGenerator<string> {
    let position: [number, string] | undefined = [0, '0'];
    while (position !== undefined) {
      this.#assertOpen();
      const page = await this.#scanPage(position, SCAN_COUNT);
      yield* page.aors;
      position = page.next === undefined ? undefined : scanPositionOf(page.next);
    }
  }

  /** `SCAN` from master `master`'s cursor `cursor` on until about `limit` AORs are found or every master is done. */
  async #scanPage([master, cursor]: [number, string], limit: number): Promise<AorPage> {
    const pattern = `${this.#o.keyPrefix}aor:*`;
    const skip = this.#o.keyPrefix.length + 5;
    const masters: Redis[] = this.#client instanceof Cluster
      ? this.#client.nodes('master').sort((a, b) => (addressOf(a) < addressOf(b) ? -1 : 1))
      : [this.#client];
    const aors: string[] = [];
    let m = master;
    let c = cursor;
    while (m < masters.length && aors.length < limit) {
      let keys: string[];
      try {
        [c, keys] = await masters[m].scan(c, 'MATCH', pattern, 'COUNT', limit - aors.length);
      } catch (error) {
        throw redisStoreError(STORE, 'aors', error);
      }
      for (const key of keys) aors.push(key.slice(skip, -1));
      if (c === '0') m++;
    }
    return { aors, next: m < masters.length ? `${m}.${c}` : undefined };
  }

  #aorKey(aor: string): string {
    return `${this.#o.keyPrefix}aor:{${aor}}`;
  }

  #shardKey(shard: number): string {
    return `${this.#o.keyPrefix}expiry:{${shard}}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
