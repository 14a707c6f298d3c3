import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { ConfigError, type StoreError } from '../errors/sdk-error';
import { integerOption } from '../errors/integer-option';
import { systemClock, type Clock, type TimerHandle } from '../ports/clock';
import type { RedisClient } from './redis-client';
import { redisStoreError } from './redis-store-error';

/** Options of {@link RedisSharingTags.start}. */
export interface RedisSharingTagsOptions {
  /** A connected ioredis client (`Redis` or `Cluster`), e.g. from {@link connectRedis}; the host closes it. */
  readonly client: RedisClient;
  /**
   * The sharing tags this node competes for, each `tag_name/cluster_id` as in the uac_registrant
   * `cluster_shtag` column (OpenSIPS clusterer `sharing_tag` parameter): a name without `/`,
   * `{`, `}` or white space, and a positive integer cluster id. At least one, none repeated.
   */
  readonly tags: readonly string[];
  /**
   * This node's identity, written as the owner of the tags it holds (`GET sipreg:shtag:{vip/1}`
   * tells an operator who holds `vip/1`). Every node needs its own.
   * @defaultValue `<hostname>:<pid>:<8 random hex digits>`
   */
  readonly nodeId?: string;
  /**
   * Lifetime of a lease: how long a tag stays held after its holder stops renewing (died,
   * partitioned from Redis), so how long a failover takes at most, plus one attempt period
   * (`leaseMs / 3`). Holders renew and backups try to acquire every `leaseMs / 3`.
   * @defaultValue 10000
   */
  readonly leaseMs?: number;
  /**
   * Prefix of the lease keys (`<keyPrefix>shtag:{<tag>/<id>}`).
   * @defaultValue `'sipreg:'`
   */
  readonly keyPrefix?: string;
  /** Times the leases and runs the renewals. @defaultValue the system clock */
  readonly clock?: Clock;
}

/** Typed events of {@link RedisSharingTags}. */
export interface RedisSharingTagsEvents {
  /**
   * A tag became active on this node (it acquired the lease) or stopped being active (the lease
   * went to another node, could not be confirmed in time, or {@link RedisSharingTags.close}):
   * OpenSIPS clusterer's sharing-tag change callback. Hand it to the registrant scheduler's
   * `tagChanged(tag, clusterId, active)`.
   */
  change: (tag: string, clusterId: number, active: boolean) => void;
  /**
   * Talking to Redis about a tag failed: once per tag per outage (the first failure after a
   * success), as a {@link StoreError}. The tags keep trying; a held tag goes inactive once its
   * lease can no longer be confirmed.
   */
  error: (error: StoreError) => void;
}

interface Resolved {
  readonly tags: readonly ParsedTag[];
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly keyPrefix: string;
  readonly clock: Clock;
}

interface ParsedTag {
  readonly tag: string;
  readonly clusterId: number;
}

/** One tag's lease as this node sees it. */
interface Lease extends ParsedTag {
  /** `tag/clusterId`, canonical. */
  readonly shtag: string;
  readonly key: string;
  /** Clock time at which the last successful claim was sent; -Infinity when the tag is not held. */
  confirmedAt: number;
  /** What the last `change` said (false before any). */
  active: boolean;
  /** A claim is on its way: no second one until it settles. */
  inFlight: boolean;
  /** An `error` was emitted and no claim has succeeded since. */
  failing: boolean;
  /** Fires when the lease can no longer count as confirmed. */
  expiry: TimerHandle | undefined;
}

/** The driver with the lease scripts defined on it. */
type ScriptedClient = RedisClient & {
  sipregShtagClaim(key: string, nodeId: string, leaseMs: number): Promise<number>;
  sipregShtagRelease(key: string, nodeId: string): Promise<number>;
};

/**
 * Acquire the lease when free (`SET … PX`, as `SET NX PX` would) or renew it when this node owns
 * it (compare-and-`PEXPIRE`), in one step: 1 held for `leaseMs` from now, 0 another node holds it.
 */
const CLAIM_SCRIPT = `
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Delete the lease only if this node owns it (compare-and-delete). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const OWNER = 'RedisSharingTagsOptions';
const DRIVER = 'redis sharing tags';
const SHTAG = /^([^/{}\s]+)\/([1-9]\d{0,9})$/;

/** `vip/1` as its name and cluster id; undefined unless it is a valid sharing tag. */
const parseShtag = (text: unknown): ParsedTag | undefined => {
  const match = typeof text === 'string' ? SHTAG.exec(text) : null;
  if (match === null) return undefined;
  const clusterId = Number(match[2]);
  return clusterId <= 0x7fffffff ? { tag: match[1], clusterId } : undefined;
};

const resolveOptions = (options: RedisSharingTagsOptions): Resolved => {
  if (options?.client === undefined) throw new ConfigError(`${OWNER}.client is required: an ioredis client, e.g. await connectRedis("redis://127.0.0.1:6379")`);
  if (!Array.isArray(options.tags) || options.tags.length === 0) {
    throw new ConfigError(`${OWNER}.tags must list at least one sharing tag TAG/CLUSTER_ID, e.g. ['vip/1']`);
  }
  const seen = new Set<string>();
  const tags = options.tags.map((text: unknown, i) => {
    const parsed = parseShtag(text);
    if (parsed === undefined) {
      throw new ConfigError(`${OWNER}.tags[${i}] must be TAG/CLUSTER_ID (a name without '/', '{', '}' or spaces, and a positive integer), got ${JSON.stringify(text)}`);
    }
    const shtag = `${parsed.tag}/${parsed.clusterId}`;
    if (seen.has(shtag)) throw new ConfigError(`${OWNER}.tags[${i}] repeats '${shtag}'`);
    seen.add(shtag);
    return Object.freeze(parsed);
  });
  const nodeId = options.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  if (typeof nodeId !== 'string' || nodeId === '') throw new ConfigError(`${OWNER}.nodeId must be a non-empty string, got ${JSON.stringify(nodeId)}`);
  const keyPrefix = options.keyPrefix ?? 'sipreg:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new ConfigError(`${OWNER}.keyPrefix must be a string without { or } (they are Redis Cluster hash tags), got ${JSON.stringify(keyPrefix)}`);
  }
  return Object.freeze({
    tags: Object.freeze(tags),
    nodeId,
    leaseMs: integerOption(OWNER, 'leaseMs', options.leaseMs, 10_000, 100, 2 ** 31 - 1),
    keyPrefix,
    clock: options.clock ?? systemClock,
  });
};

/**
 * OpenSIPS clusterer sharing tags (`sharing_tag = name/cluster_id=active|backup`), decided
 * through leases in Redis instead of the clusterer's peer-to-peer protocol: of all the nodes
 * competing for a tag, at most one holds it, and it is active only there. The uac_registrant
 * scheduler (`enable_clustering`) registers a record with a `cluster_shtag` only on the node
 * where the tag is active.
 *
 * Each tag is the key `<keyPrefix>shtag:{<tag>/<id>}` holding the owner's `nodeId` with a TTL
 * of `leaseMs`. Every `leaseMs / 3` each node runs one Lua script per tag: the owner renews its
 * lease (compare-and-`PEXPIRE`), a backup acquires it if free (`SET … PX`). A holder counts the
 * tag active only while its last confirmed claim, timed from when it was *sent*, is younger than
 * `leaseMs` minus a safety margin of `leaseMs / 5`; Redis cannot expire the key before
 * `leaseMs` after receiving it, so the holder stops first, even when it cannot reach Redis at
 * all, and two nodes are never active at once. {@link RedisSharingTags.close} deletes the
 * node's own leases (compare-and-delete), so a backup takes over within `leaseMs / 3`; a node
 * that dies is replaced within about `leaseMs + leaseMs / 3`.
 *
 * The guarantee is Redis's: it assumes clocks advancing at the same rate and a Redis that keeps
 * its keys. A failover to a replica that missed the last `SET`, or a Redis wall clock jumping
 * forward, can hand a tag to a second node before the first has stopped.
 *
 * Errors talking to Redis are never thrown from the timers: they emit `error` and the tag goes
 * inactive when its lease can no longer be confirmed.
 *
 * @example
 * ```ts
 * const client = await connectRedis('redis://127.0.0.1:6379');
 * const tags = await RedisSharingTags.start({ client, tags: ['vip/1'] });
 * const scheduler = await createRegistrantScheduler({ store, transport, enableClustering: true,
 *   isTagActive: (tag, clusterId) => tags.isTagActive(tag, clusterId) });
 * tags.on('change', (tag, clusterId, active) => scheduler.tagChanged(tag, clusterId, active));
 * ```
 */
export class RedisSharingTags extends EventEmitter<RedisSharingTagsEvents> {
  /** The owner id this node writes into the leases it holds. */
  readonly nodeId: string;
  readonly #o: Resolved;
  readonly #client: ScriptedClient;
  readonly #leases = new Map<string, Lease>();
  /** `leaseMs / 3`: how often each tag is claimed. */
  readonly #periodMs: number;
  /** `leaseMs / 5`: how much earlier than Redis a holder gives its lease up. */
  readonly #marginMs: number;
  #timer: TimerHandle | undefined;
  #started = false;
  #closing: Promise<void> | undefined;

  private constructor(o: Resolved, client: RedisClient) {
    super();
    this.#o = o;
    this.nodeId = o.nodeId;
    this.#periodMs = Math.floor(o.leaseMs / 3);
    this.#marginMs = Math.ceil(o.leaseMs / 5);
    // A fixed numberOfKeys puts the key first, where ioredis's cluster auto-pipelining looks for it.
    if (!('sipregShtagClaim' in client)) client.defineCommand('sipregShtagClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    if (!('sipregShtagRelease' in client)) client.defineCommand('sipregShtagRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.#client = client as ScriptedClient;
    for (const { tag, clusterId } of o.tags) {
      const shtag = `${tag}/${clusterId}`;
      this.#leases.set(shtag, {
        tag, clusterId, shtag, key: `${o.keyPrefix}shtag:{${shtag}}`,
        confirmedAt: -Infinity, active: false, inFlight: false, failing: false, expiry: undefined,
      });
    }
  }

  /**
   * Compete for the tags: resolves after the first attempt on each, so
   * {@link RedisSharingTags.isTagActive} already answers for the tags won then (without a
   * `change` event: nobody could listen yet). Failures of that attempt are not reported; the
   * next ones are, through `error`.
   * @throws {@link ConfigError} for invalid options
   */
  static async start(options: RedisSharingTagsOptions): Promise<RedisSharingTags> {
    const tags = new RedisSharingTags(resolveOptions(options), options.client);
    await tags.#round();
    tags.#started = true;
    if (tags.#closing === undefined) tags.#schedule();
    return tags;
  }

  /**
   * Whether this node holds sharing tag `tag`/`clusterId` now (OpenSIPS `cluster_shtag` active):
   * its lease was confirmed less than `leaseMs` minus the margin ago. False for a tag this node
   * does not compete for, and after `close()`.
   */
  isTagActive(tag: string, clusterId: number): boolean {
    const lease = this.#leases.get(`${tag}/${clusterId}`);
    return lease !== undefined && this.#closing === undefined && this.#o.clock.now() < this.#validUntil(lease);
  }

  /** {@link RedisSharingTags.isTagActive} of a tag written `tag/clusterId` (`'vip/1'`); false when not one. */
  isActive(shtag: string): boolean {
    const parsed = parseShtag(shtag);
    return parsed !== undefined && this.isTagActive(parsed.tag, parsed.clusterId);
  }

  /**
   * Stop competing: cancel the timers, report every active tag inactive (`change`), and delete
   * the leases this node owns (compare-and-delete) so a backup takes them over at its next
   * attempt. A failed delete emits `error` (the lease then runs out on its own). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const leases = [...this.#leases.values()];
    for (const lease of leases) {
      lease.expiry?.cancel();
      lease.expiry = undefined;
      lease.confirmedAt = -Infinity;
      if (lease.active) {
        lease.active = false;
        this.emit('change', lease.tag, lease.clusterId, false);
      }
    }
    await Promise.all(leases.map(async (lease) => {
      try {
        await this.#client.sipregShtagRelease(lease.key, this.nodeId);
      } catch (error) {
        this.emit('error', redisStoreError(DRIVER, `release ${lease.shtag}`, error));
      }
    }));
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimer(this.#periodMs, () => {
      if (this.#closing !== undefined) return;
      void this.#round();
      this.#schedule();
    });
  }

  /** Claim every tag that has no claim outstanding. */
  async #round(): Promise<void> {
    await Promise.all([...this.#leases.values()].map((lease) => this.#claim(lease)));
  }

  async #claim(lease: Lease): Promise<void> {
    if (lease.inFlight || this.#closing !== undefined) return;
    lease.inFlight = true;
    const sentAt = this.#o.clock.now();
    let failure: StoreError | undefined;
    try {
      const held = await this.#client.sipregShtagClaim(lease.key, this.nodeId, this.#o.leaseMs);
      lease.failing = false;
      lease.confirmedAt = held === 1 ? Math.max(lease.confirmedAt, sentAt) : -Infinity;
    } catch (error) {
      if (this.#started && !lease.failing) failure = redisStoreError(DRIVER, `claim ${lease.shtag}`, error);
    } finally {
      lease.inFlight = false;
    }
    if (this.#closing !== undefined) return;
    if (failure !== undefined) {
      lease.failing = true;
      this.emit('error', failure);
    }
    this.#update(lease);
  }

  /** Emit `change` when the lease's standing moved, and time its lapse while it is held. */
  #update(lease: Lease): void {
    if (this.#closing !== undefined) return;
    const now = this.#o.clock.now();
    const until = this.#validUntil(lease);
    const active = now < until;
    lease.expiry?.cancel();
    lease.expiry = active ? this.#o.clock.setTimer(until - now, () => this.#update(lease)) : undefined;
    if (active === lease.active) return;
    lease.active = active;
    this.emit('change', lease.tag, lease.clusterId, active);
  }

  #validUntil(lease: Lease): number {
    return lease.confirmedAt + this.#o.leaseMs - this.#marginMs;
  }
}
