import { ConfigError } from '../errors/sdk-error';
import type { Logger } from '../ports/logger';
import type { RedisClient } from '../stores/redis-client';
import type { RedisSharingTags } from '../stores/redis-sharing-tags';
import { CliUsageError } from './cli-usage-error';
import { withOptionFlag } from './extension-flags';
import { connectRedisFlag, isRedisUrl } from './command-setup';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';

/**
 * `--shtag` / `--shtag-lease` of `sipreg registrar` and `sipreg mid-registrar`: the OpenSIPS
 * `save(..., ownership_tag)` of a node pair sharing a Redis location.
 */
export const OWNERSHIP_FLAGS: readonly FlagSpec[] = [
  { name: 'shtag', kind: 'string', help: 'TAG/CLUSTER_ID: save every binding with this ownership tag and compete for the tag with the other nodes on the Redis of --store: only its holder purges those bindings (a mid-registrar: de-registers them upstream) (none)' },
  { name: 'shtag-lease', kind: 'int', help: "--shtag lease lifetime, ms: a dead node's tag moves after about 4/3 of it (10000)" },
];

/**
 * Compete for `tags` through Redis leases (OpenSIPS clusterer sharing tags); every change is
 * logged, errors once per outage. `prefixFlag` names the flag whose value prefixes the lease keys.
 */
export async function startSharingTags(redis: RedisClient, tags: readonly string[], values: FlagValues, prefixFlag: string, logger: Logger): Promise<RedisSharingTags> {
  const { RedisSharingTags } = await import('../stores/redis-sharing-tags');
  let sharing: RedisSharingTags;
  try {
    sharing = await RedisSharingTags.start({ client: redis, tags, leaseMs: flagValue<number>(values, 'shtag-lease'), keyPrefix: flagValue<string>(values, prefixFlag) });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(withOptionFlag(e.message, 'RedisSharingTagsOptions', { tags: 'shtag', leaseMs: 'shtag-lease', keyPrefix: prefixFlag }) ?? e.message);
    throw e;
  }
  const held = tags.filter((t) => sharing.isActive(t));
  logger.info({ node: sharing.nodeId, active: held, backup: tags.filter((t) => !held.includes(t)) }, 'sharing tags');
  sharing.on('change', (tag, clusterId, active) => logger.info({ shtag: `${tag}/${clusterId}`, active }, active ? 'sharing tag active here' : 'sharing tag no longer active here'));
  sharing.on('error', (error) => logger.warn({ error }, 'sharing tag lease: Redis failed'));
  return sharing;
}

/** This node's claim on the `--shtag` of a registrar sharing its location on Redis. */
export interface Ownership {
  /** The tag every binding is saved with (`SaveOptions.ownershipTag`). */
  readonly shtag: string;
  /** `RegistrarOptions.isTagActive`: whether this node holds the tag now. */
  readonly isTagActive: (tag: string) => boolean;
  /** Release the tag (a backup takes over at once) and close its connection. */
  close(): Promise<void>;
}

/**
 * Check `--shtag` and `--shtag-lease` against the store without connecting: the tag, or
 * undefined without one. @throws {@link CliUsageError}
 */
export function checkOwnershipFlags(values: FlagValues, storeSpec: string): string | undefined {
  const shtag = flagValue<string>(values, 'shtag');
  if (shtag === undefined) {
    if (flagValue<number>(values, 'shtag-lease') !== undefined) throw new CliUsageError('--shtag-lease needs --shtag');
    return undefined;
  }
  if (!isRedisUrl(storeSpec)) throw new CliUsageError('--shtag needs --store redis://… or redis-cluster://…: the sharing tag is a lease in that Redis');
  return shtag;
}

/**
 * `--shtag TAG/ID` with `--store redis://…`: a lease on its own connection to the store's Redis;
 * undefined without `--shtag`.
 */
export async function ownershipFrom(values: FlagValues, storeSpec: string, logger: Logger): Promise<Ownership | undefined> {
  const shtag = checkOwnershipFlags(values, storeSpec);
  if (shtag === undefined) return undefined;
  const redis = await connectRedisFlag('--store', storeSpec);
  let sharing: RedisSharingTags;
  try {
    sharing = await startSharingTags(redis, [shtag], values, 'store-key-prefix', logger);
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  return {
    shtag,
    isTagActive: (tag) => sharing.isActive(tag),
    async close() {
      await sharing.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
