import { Cluster, Redis } from 'ioredis';
import { ConfigError } from '../errors/sdk-error';

/** An ioredis client of a single Redis (or a Sentinel-managed one) or of a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Options of {@link connectRedis}. */
export interface RedisConnectOptions {
  /**
   * How long a command may wait for its reply before it fails (the registrar then answers
   * `503` + Retry-After), so a REGISTER never hangs on a dead or partitioned Redis.
   * @defaultValue 2000
   */
  readonly commandTimeoutMs?: number;
  /**
   * How long to wait for the TCP connection (and, at start, for the first `ready`).
   * @defaultValue 5000
   */
  readonly connectTimeoutMs?: number;
}

const SCHEMES = ['redis:', 'rediss:', 'redis-cluster:'] as const;

const positiveInteger = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
};

/** `host:port` of a cluster seed node; IPv6 hosts go in brackets (`[::1]:7000`). */
const clusterNode = (spec: string, url: string): { host: string; port: number } => {
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(spec.trim());
  const port = Number(match?.[2] ?? 6379);
  if (match === null || port <= 0 || port > 65535) {
    throw new ConfigError(`'${url}': cluster nodes are host:port separated by commas, got '${spec}'`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
};

/**
 * The error a failed first connection rejects with: the driver's last socket error when there is
 * one (`connect ECONNREFUSED 127.0.0.1:6390`, `getaddrinfo ENOTFOUND redis.invalid`, a cluster's
 * last node error), else a timeout, else what `connect()` rejected with.
 */
function connectFailure(error: unknown, lastError: Error | undefined, timeoutMs: number | undefined): unknown {
  const nodeError = (lastError as { lastNodeError?: unknown } | undefined)?.lastNodeError ?? (error as { lastNodeError?: unknown } | null)?.lastNodeError;
  const cause = nodeError instanceof Error ? nodeError : lastError;
  if (cause !== undefined) return new Error(cause.message, { cause: error });
  if (timeoutMs !== undefined) return new Error(`no connection within ${timeoutMs} ms`, { cause: error });
  return error;
}

/**
 * A client for `url`, tuned for a registrar: a failed or slow Redis answers within a bounded
 * time instead of queueing (`enableOfflineQueue: false`, `commandTimeout`), the client
 * reconnects on its own, and commands issued in the same tick share one round trip
 * (`enableAutoPipelining`).
 *
 * - `redis://[:password@]host[:port][/db]` and `rediss://…` (TLS): one Redis server.
 * - `redis-cluster://[:password@]host:port,host:port,…`: a Redis Cluster, seeded by those nodes.
 *
 * Resolves once the client is ready; rejects with a {@link ConfigError} for a bad URL and with
 * the driver's error when the server cannot be reached within `connectTimeoutMs`.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<RedisClient> {
  const commandTimeout = positiveInteger('commandTimeoutMs', options.commandTimeoutMs ?? 2000);
  const connectTimeout = positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? 5000);
  const scheme = SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (scheme === undefined) throw new ConfigError(`a Redis URL starts with redis://, rediss:// or redis-cluster://, got '${url}'`);
  const common = { commandTimeout, connectTimeout, enableOfflineQueue: false, lazyConnect: true, enableAutoPipelining: true, maxRetriesPerRequest: 0 };
  let client: RedisClient;
  if (scheme === 'redis-cluster:') {
    const rest = url.slice(scheme.length + 2).replace(/\/+$/, '');
    const at = rest.lastIndexOf('@');
    const credentials = at < 0 ? '' : decodeURIComponent(rest.slice(0, at));
    const nodes = (at < 0 ? rest : rest.slice(at + 1)).split(',').filter((s) => s !== '').map((s) => clusterNode(s, url));
    if (nodes.length === 0) throw new ConfigError(`'${url}' names no cluster node; write redis-cluster://host:port,host:port`);
    const colon = credentials.indexOf(':');
    const username = colon < 0 ? undefined : credentials.slice(0, colon) || undefined;
    const password = colon < 0 ? credentials || undefined : credentials.slice(colon + 1);
    client = new Cluster(nodes, {
      enableOfflineQueue: false,
      lazyConnect: true,
      enableAutoPipelining: true,
      redisOptions: { commandTimeout, connectTimeout, maxRetriesPerRequest: 0, username, password },
    });
  } else {
    client = new Redis(url, common);
  }
  // Errors are answered per command; without a listener ioredis would also print each reconnect
  // failure. The last one is kept: it names the cause (ECONNREFUSED, ENOTFOUND ...) when the
  // first connection fails, where `connect()` itself only says "Connection is closed.".
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.disconnect();
  }, connectTimeout);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw connectFailure(error, lastError, timedOut ? connectTimeout : undefined);
  } finally {
    clearTimeout(timer);
  }
  return client;
}
