import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';

import { redisCommand, startRedis, type RedisServer } from '../helpers/start-redis';
import { startRedisCluster, type RedisCluster } from '../helpers/start-redis-cluster';

// The harness of the Redis location store tests: real redis-server processes on 127.0.0.1.
// Without redis-server these tests fail (startRedis throws), they never skip.

const servers: RedisServer[] = [];
const clusters: RedisCluster[] = [];
afterAll(async () => {
  await Promise.all([...servers.map((server) => server.stop()), ...clusters.map((cluster) => cluster.stop())]);
});

describe('startRedis', () => {
  it('keeps an acknowledged write across kill -9 and restart (AOF, fsync always)', async () => {
    const server = await startRedis();
    servers.push(server);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(existsSync(server.dir)).toBe(true);

    await expect(redisCommand(server.port, ['SET', 'sipreg:harness', 'survives kill -9'])).resolves.toBe('OK');
    await server.kill();
    await expect(redisCommand(server.port, ['PING'])).rejects.toThrow();

    await server.restart();
    await expect(redisCommand(server.port, ['GET', 'sipreg:harness'])).resolves.toBe('survives kill -9');

    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
    await server.stop();
    await expect(redisCommand(server.port, ['PING'])).rejects.toThrow();
  });

  it('without appendOnly the write is gone after kill -9', async () => {
    const server = await startRedis({ appendOnly: false });
    servers.push(server);
    await expect(redisCommand(server.port, ['SET', 'sipreg:harness', 'lost'])).resolves.toBe('OK');
    await server.kill();
    await server.restart();
    await expect(redisCommand(server.port, ['GET', 'sipreg:harness'])).resolves.toBeNull();
  });
});

describe('startRedisCluster', () => {
  it('starts 3 masters that agree the cluster is ok and share the 16384 slots', async () => {
    const cluster = await startRedisCluster();
    clusters.push(cluster);
    expect(cluster.ports).toHaveLength(3);
    expect(cluster.nodes.map((node) => node.port)).toEqual(cluster.ports);
    expect(cluster.url).toBe(`redis-cluster://${cluster.ports.map((port) => `127.0.0.1:${port}`).join(',')}`);

    for (const port of cluster.ports) {
      const info = String(await redisCommand(port, ['CLUSTER', 'INFO']));
      expect(info).toMatch(/^cluster_state:ok\r?$/m);
      expect(info).toMatch(/^cluster_known_nodes:3\r?$/m);
      expect(info).toMatch(/^cluster_slots_assigned:16384\r?$/m);
    }

    // A key lives on exactly one master; the others redirect with MOVED.
    const key = 'sipreg:harness';
    const replies = await Promise.all(
      cluster.ports.map((port) =>
        redisCommand(port, ['SET', key, 'v']).then(
          () => 'OK',
          (error: Error) => error.message,
        ),
      ),
    );
    expect(replies.filter((reply) => reply === 'OK')).toHaveLength(1);
    expect(replies.filter((reply) => reply.includes('MOVED'))).toHaveLength(2);

    await cluster.stop();
    await cluster.stop();
    for (const node of cluster.nodes) expect(existsSync(node.dir)).toBe(false);
  });
});
