import { execFile } from 'node:child_process';

import { eventually } from './eventually';
import { freePort } from './free-port';
import { redisCommand, requireRedisBinary, startRedis, type RedisServer } from './start-redis';

/** A Redis Cluster of masters only on 127.0.0.1, started by {@link startRedisCluster}. */
export interface RedisCluster {
  /** The client ports of its nodes, in the order of {@link RedisCluster.nodes}. */
  readonly ports: readonly number[];
  /** `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`. */
  readonly url: string;
  /** Its nodes (each can be killed and restarted on its own; the cluster config is in its dir). */
  readonly nodes: readonly RedisServer[];
  /** Stop every node and delete their dirs. Idempotent. */
  stop(): Promise<void>;
}

/** How long `redis-cli --cluster create` may take. */
const CREATE_TIMEOUT_MS = 20_000;
/** How long every node may take to report `cluster_state:ok` after that. */
const STATE_OK_TIMEOUT_MS = 20_000;

/**
 * Start `masters` cluster-enabled Redis servers (see {@link startRedis}: AOF with fsync always),
 * join them with `redis-cli --cluster create … --cluster-replicas 0` (the hash slots split evenly),
 * and resolve once every node reports `cluster_state:ok`.
 *
 * Each node gets its cluster bus port from {@link freePort} (`--cluster-port`) instead of the
 * default client port + 10000, which overflows 65535 for ports above 55535.
 *
 * @param masters - how many nodes; Redis needs at least 3 masters for `--cluster create`.
 * @defaultValue masters `3`
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const cli = requireRedisBinary('redis-cli');
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    // One after the other, each bus port picked just before its node binds it, so no node's
    // client port can be a bus port picked for a node not started yet.
    for (let i = 0; i < masters; i++) {
      const busPort = await freePort('tcp');
      nodes.push(
        await startRedis({
          extraArgs: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', '5000',
            '--cluster-port', String(busPort),
          ],
        }),
      );
    }
    const ports = nodes.map((node) => node.port);
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], CREATE_TIMEOUT_MS);

    const infos = new Map<number, string>();
    await eventually(
      async () => {
        for (const port of ports) {
          const info = String(await redisCommand(port, ['CLUSTER', 'INFO']).catch((error: Error) => error.message));
          infos.set(port, info);
          if (!/^cluster_state:ok\r?$/m.test(info)) return undefined;
        }
        return true;
      },
      'cluster_state:ok on every node',
      STATE_OK_TIMEOUT_MS,
      () => [...infos].map(([port, info]) => `--- CLUSTER INFO of port ${port}:\n${info}`).join('\n'),
      200,
    );
    return { ports, url: `redis-cluster://${addresses.join(',')}`, nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Run `command` to completion; reject with its output when it fails or outlives `timeoutMs`. */
function run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${error.message}):\n${stdout}${stderr}`));
    });
  });
}
