import { afterAll, beforeAll } from '@jest/globals';

import { connectRedis, type RedisClient } from '../../src/stores/redis';
import { startRedis, type RedisServer, type StartRedisOptions } from './start-redis';
import { startRedisCluster, type RedisCluster } from './start-redis-cluster';

/** The Redis of a test file from {@link useRedisAndCluster}; read it in tests and hooks only. */
export interface RedisAndCluster {
  /** The single `redis-server`. */
  readonly server: RedisServer;
  /** A client of {@link RedisAndCluster.server}. */
  readonly single: RedisClient;
  /** A client of the three-master Redis Cluster. */
  readonly clustered: RedisClient;
  /** A key prefix no other store of the file uses: `letter` and a counter, e.g. `t7:`. */
  freshPrefix(): string;
}

/**
 * For the Redis store tests: start a real `redis-server` and a three-master Redis Cluster on
 * 127.0.0.1 before the file's tests (without redis-server they fail, never skip), connect a
 * client to each, and quit and stop them all after the tests.
 *
 * @param prefixLetter - the first character of each {@link RedisAndCluster.freshPrefix}.
 * @param options - for the single server, e.g. `{ appendOnly: false }`.
 */
export function useRedisAndCluster(prefixLetter: string, options: StartRedisOptions = {}): RedisAndCluster {
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  let single: RedisClient | undefined;
  let clustered: RedisClient | undefined;
  let prefixNo = 0;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startRedis(options), startRedisCluster(3)]);
    [single, clustered] = await Promise.all([connectRedis(server.url), connectRedis(cluster.url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([single?.quit(), clustered?.quit()]);
    await Promise.all([server?.stop(), cluster?.stop()]);
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useRedisAndCluster: Redis is not started yet; read it inside tests and hooks');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get single() {
      return started(single);
    },
    get clustered() {
      return started(clustered);
    },
    freshPrefix: () => `${prefixLetter}${prefixNo++}:`,
  };
}
