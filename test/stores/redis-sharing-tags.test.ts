import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';
import { RedisSharingTags, connectRedis, type RedisClient, type RedisSharingTagsOptions } from '../../src/stores/redis';
import { eventually } from '../helpers/eventually';
import { sleep } from '../helpers/sleep';
import { redisCommand, startRedis, type RedisServer } from '../helpers/start-redis';
import { startRedisCluster, type RedisCluster } from '../helpers/start-redis-cluster';

const LEASE_MS = 600;
/** How often a node claims: leaseMs / 3. */
const PERIOD_MS = LEASE_MS / 3;

/** One competing node: its own client, its tags, and what it emitted. */
interface Node {
  readonly name: string;
  readonly tags: RedisSharingTags;
  readonly client: RedisClient;
  readonly changes: string[];
  readonly errors: StoreError[];
}

let server: RedisServer;
const nodes: Node[] = [];
let prefixNo = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterEach(async () => {
  for (const node of nodes.splice(0)) {
    await node.tags.close();
    node.client.disconnect();
  }
});
afterAll(async () => {
  await server?.stop();
});

const startNode = async (name: string, url: string, options: Omit<RedisSharingTagsOptions, 'client'>): Promise<Node> => {
  const client = await connectRedis(url);
  const tags = await RedisSharingTags.start({ client, nodeId: name, leaseMs: LEASE_MS, ...options });
  const node: Node = { name, tags, client, changes: [], errors: [] };
  tags.on('change', (tag, clusterId, active) => node.changes.push(`${tag}/${clusterId} ${active ? 'active' : 'backup'}`));
  tags.on('error', (error) => node.errors.push(error));
  nodes.push(node);
  return node;
};

/** Who holds `shtag` now, by the nodes' own account. */
const holders = (shtag: string, of: readonly Node[]): string[] => of.filter((n) => n.tags.isActive(shtag)).map((n) => n.name);

/** Sample every few ms, until stopped, that no two nodes hold `shtag` at once. */
const watchExclusive = (shtag: string, of: readonly Node[]): { stop(): string[] } => {
  const overlaps: string[] = [];
  const timer = setInterval(() => {
    const now = holders(shtag, of);
    if (now.length > 1) overlaps.push(`${Date.now()}: ${now.join(' and ')}`);
  }, 3);
  return {
    stop() {
      clearInterval(timer);
      return overlaps;
    },
  };
};

const context = (of: readonly Node[]) => (): string =>
  of.map((n) => `${n.name}: changes ${JSON.stringify(n.changes)}, errors ${JSON.stringify(n.errors.map((e) => e.message))}`).join('\n');

describe('RedisSharingTags on one Redis', () => {
  it('of two nodes competing for a tag exactly one is active; close() of the owner hands it over within one period', async () => {
    const keyPrefix = `t${prefixNo++}:`;
    const a = await startNode('node-a', server.url, { tags: ['vip/1'], keyPrefix });
    const b = await startNode('node-b', server.url, { tags: ['vip/1'], keyPrefix });
    const watch = watchExclusive('vip/1', [a, b]);
    expect(a.tags.isTagActive('vip', 1)).toBe(true);
    expect(b.tags.isTagActive('vip', 1)).toBe(false);
    expect(await redisCommand(server.port, ['GET', `${keyPrefix}shtag:{vip/1}`])).toBe('node-a');
    const pttl = Number(await redisCommand(server.port, ['PTTL', `${keyPrefix}shtag:{vip/1}`]));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(LEASE_MS);

    // Several lease lifetimes later nothing moved: the owner renews, the backup stays backup.
    await sleep(3 * LEASE_MS);
    expect(holders('vip/1', [a, b])).toEqual(['node-a']);
    expect(b.changes).toEqual([]);

    const closedAt = Date.now();
    await a.tags.close();
    expect(a.tags.isActive('vip/1')).toBe(false);
    expect(a.changes).toEqual(['vip/1 backup']);
    await eventually(() => (b.tags.isActive('vip/1') ? true : undefined), 'node-b active', PERIOD_MS + 300, context([a, b]), 5);
    expect(Date.now() - closedAt).toBeLessThan(PERIOD_MS + 300);
    expect(b.changes).toEqual(['vip/1 active']);
    expect(await redisCommand(server.port, ['GET', `${keyPrefix}shtag:{vip/1}`])).toBe('node-b');
    expect(watch.stop()).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('when Redis dies the owner goes inactive within leaseMs and nobody is active; after a restart exactly one is', async () => {
    const keyPrefix = `t${prefixNo++}:`;
    const a = await startNode('node-a', server.url, { tags: ['vip/1'], keyPrefix });
    const b = await startNode('node-b', server.url, { tags: ['vip/1'], keyPrefix });
    const watch = watchExclusive('vip/1', [a, b]);
    expect(holders('vip/1', [a, b])).toEqual(['node-a']);

    await server.kill();
    let down = true;
    let overlaps: string[] = [];
    try {
      const killedAt = Date.now();
      // At most leaseMs - leaseMs/5 after its last renewal; the slack is for a busy event loop.
      await eventually(() => (a.tags.isActive('vip/1') ? undefined : true), 'node-a inactive', LEASE_MS + 200, context([a, b]), 5);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(LEASE_MS + 200);
      // The event follows once the lapse timer runs (isTagActive reads the clock, so it may answer first).
      await eventually(() => (a.changes.length > 0 ? true : undefined), 'node-a change event', 200, context([a, b]), 5);
      expect(a.changes).toEqual(['vip/1 backup']);
      // Nobody takes it while Redis is away; each node reports the outage once, however long it lasts.
      for (let i = 0; i < 10; i++) {
        expect(holders('vip/1', [a, b])).toEqual([]);
        await sleep(PERIOD_MS / 2);
      }
      for (const node of [a, b]) {
        expect(node.errors).toHaveLength(1);
        expect(node.errors[0]).toBeInstanceOf(StoreError);
        expect(node.errors[0].transient).toBe(true);
        expect(node.errors[0].message).toContain('claim vip/1');
      }

      await server.restart();
      down = false;
      const one = await eventually(() => {
        const now = holders('vip/1', [a, b]);
        return now.length === 1 ? now[0] : undefined;
      }, 'one holder after the restart', 10_000, context([a, b]), 10);
      await sleep(3 * LEASE_MS);
      expect(holders('vip/1', [a, b])).toEqual([one]);
      expect(await redisCommand(server.port, ['GET', `${keyPrefix}shtag:{vip/1}`])).toBe(one);
    } finally {
      overlaps = watch.stop();
      // Leave a running Redis to the next tests, whatever failed.
      if (down) await server.restart();
    }
    expect(overlaps).toEqual([]);
  }, 30_000);

  it('different tags can be held by different nodes', async () => {
    const keyPrefix = `t${prefixNo++}:`;
    const a = await startNode('node-a', server.url, { tags: ['vip/1'], keyPrefix });
    const b = await startNode('node-b', server.url, { tags: ['vip/1', 'edge/2'], keyPrefix });
    const c = await startNode('node-c', server.url, { tags: ['edge/2', 'vip/1'], keyPrefix });
    expect(holders('vip/1', [a, b, c])).toEqual(['node-a']);
    expect(holders('edge/2', [b, c])).toEqual(['node-b']);
    expect(a.tags.isTagActive('edge', 2)).toBe(false);
    await b.tags.close();
    await eventually(() => (c.tags.isTagActive('edge', 2) ? true : undefined), 'node-c holding edge/2', LEASE_MS, context([a, b, c]), 5);
    expect(holders('vip/1', [a, b, c])).toEqual(['node-a']);
    expect(c.changes).toEqual(['edge/2 active']);
  });

  it('a lease taken by another node (a stalled owner that lost it) makes the owner inactive at its next renewal', async () => {
    const keyPrefix = `t${prefixNo++}:`;
    const a = await startNode('node-a', server.url, { tags: ['vip/1'], keyPrefix });
    expect(a.tags.isActive('vip/1')).toBe(true);
    await redisCommand(server.port, ['SET', `${keyPrefix}shtag:{vip/1}`, 'intruder', 'PX', '60000']);
    await eventually(() => (a.changes.length > 0 ? true : undefined), 'node-a change event', PERIOD_MS + 200, context([a]), 5);
    expect(a.changes).toEqual(['vip/1 backup']);
    expect(a.tags.isActive('vip/1')).toBe(false);
    await a.tags.close();
    expect(await redisCommand(server.port, ['GET', `${keyPrefix}shtag:{vip/1}`])).toBe('intruder');
  });

  it('answers false for tags it does not compete for, for malformed ones and after close()', async () => {
    const a = await startNode('node-a', server.url, { tags: ['vip/1'], keyPrefix: `t${prefixNo++}:` });
    expect(a.tags.nodeId).toBe('node-a');
    expect(a.tags.isActive('vip/1')).toBe(true);
    expect(a.tags.isActive('vip/2')).toBe(false);
    expect(a.tags.isTagActive('vip', 2)).toBe(false);
    expect(a.tags.isActive('vip')).toBe(false);
    await a.tags.close();
    await a.tags.close();
    expect(a.tags.isActive('vip/1')).toBe(false);
  });

  it('validates its options with ConfigErrors', async () => {
    const client = await connectRedis(server.url);
    try {
      const cases: [Partial<RedisSharingTagsOptions>, string][] = [
        [{ client: undefined }, 'client'],
        [{ tags: [] }, 'at least one'],
        [{ tags: ['vip'] }, "tags[0] must be TAG/CLUSTER_ID"],
        [{ tags: ['vip/1', 'vip/0'] }, 'tags[1]'],
        [{ tags: ['a/b/1'] }, 'tags[0]'],
        [{ tags: ['{vip}/1'] }, 'tags[0]'],
        [{ tags: ['vip/1', 'vip/1'] }, "tags[1] repeats 'vip/1'"],
        [{ leaseMs: 50 }, 'leaseMs must be an integer in 100..'],
        [{ leaseMs: 1000.5 }, 'leaseMs'],
        [{ keyPrefix: 'x{' }, 'keyPrefix'],
        [{ nodeId: '' }, 'nodeId'],
      ];
      for (const [options, fragment] of cases) {
        const error = await RedisSharingTags.start({ client, tags: ['vip/1'], ...options } as RedisSharingTagsOptions).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toContain(fragment);
      }
      const tags = await RedisSharingTags.start({ client, tags: ['vip/1'], keyPrefix: `t${prefixNo++}:` });
      expect(tags.nodeId).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
      await tags.close();
    } finally {
      client.disconnect();
    }
  });
});

describe('RedisSharingTags on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('gives each tag to exactly one node and hands it over on close()', async () => {
    const shtags = ['vip/1', 'vip/2', 'edge/3', 'pbx/4'];
    const a = await startNode('node-a', cluster.url, { tags: shtags });
    const b = await startNode('node-b', cluster.url, { tags: shtags });
    for (const shtag of shtags) expect(holders(shtag, [a, b])).toEqual(['node-a']);
    await a.tags.close();
    await eventually(() => (shtags.every((s) => b.tags.isActive(s)) ? true : undefined), 'node-b holding every tag', PERIOD_MS + 400, context([a, b]), 5);
    expect(b.changes.sort()).toEqual(shtags.map((s) => `${s} active`).sort());
  });
});
