import { isAbsolute, resolve } from 'node:path';
import type { LocationStore } from '../ports/location-store';
import { MemoryLocationStore } from '../stores/memory-location-store';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { loadDriver } from './load-driver';
import { redactUrl } from './redact-url';
import { checkSqlitePath } from './sqlite-path-check';
import type { FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { connectRedisFlag, isRedisUrl } from './command-setup';

/** What `--store` names, checked (but not opened) by {@link parseStoreFlag}. */
export type StoreFlag =
  | { readonly kind: 'memory'; readonly spec: string }
  | { readonly kind: 'sqlite'; readonly spec: string; readonly path: string }
  | { readonly kind: 'redis'; readonly spec: string };

/**
 * `--store` (or `defaultSpec` without it), checked without opening anything: a malformed value is
 * a {@link CliUsageError}; an SQLite file whose directory does not exist a {@link CliRuntimeError}.
 */
export function parseStoreFlag(values: FlagValues, defaultSpec: string): StoreFlag {
  const spec = flagValue<string>(values, 'store') ?? defaultSpec;
  if (spec === 'memory') return { kind: 'memory', spec };
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) {
    const path = spec.slice('sqlite:'.length);
    checkSqlitePath('--store', spec, path, false);
    return { kind: 'sqlite', spec, path };
  }
  if (isRedisUrl(spec)) return { kind: 'redis', spec };
  throw new CliUsageError(`--store must be 'memory', 'sqlite:PATH', 'redis://HOST:PORT' or 'redis-cluster://HOST:PORT,...', got '${spec}'`);
}

/** `PATH`, followed by its absolute form in parentheses when it is relative. */
export function withAbsolutePath(path: string): string {
  return path === ':memory:' || isAbsolute(path) ? path : `${path} (${resolve(path)})`;
}

/**
 * The store for the startup line: `memory`, `sqlite ./sipreg-location.db (/srv/sipreg-location.db)`
 * or `redis redis://127.0.0.1:6379 (prefix sipreg:)` (a password in the URL shown as `***`).
 */
export function describeStore(store: StoreFlag, values: FlagValues): string {
  if (store.kind === 'memory') return 'memory';
  if (store.kind === 'sqlite') return `sqlite ${withAbsolutePath(store.path)}`;
  return `redis ${redactUrl(store.spec)} (prefix ${flagValue<string>(values, 'store-key-prefix') ?? 'sipreg:'})`;
}

/**
 * Open the store of `--store` (and the `--store-*` flags of a Redis store), loading its driver
 * only now. A driver that is not installed, a file SQLite cannot open or a Redis that cannot be
 * reached is a {@link CliRuntimeError} naming the flag and the value.
 */
export async function openStore(store: StoreFlag, values: FlagValues): Promise<LocationStore> {
  if (store.kind === 'memory') return new MemoryLocationStore();
  if (store.kind === 'sqlite') {
    const { SqliteLocationStore } = await loadDriver('--store', store.spec, 'better-sqlite3', () => import('../stores/sqlite-location-store'));
    try {
      return new SqliteLocationStore({ path: store.path });
    } catch (e) {
      throw new CliRuntimeError(`--store ${store.spec}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  const { RedisLocationStore } = await loadDriver('--store', redactUrl(store.spec), 'ioredis', () => import('../stores/redis-location-store'));
  const client = await connectRedisFlag('--store', store.spec, flagValue<number>(values, 'store-timeout'));
  try {
    return new RedisLocationStore({ client, ownsClient: true, keyPrefix: flagValue<string>(values, 'store-key-prefix'), notices: flagValue<boolean>(values, 'store-notices') ?? true });
  } catch (e) {
    client.disconnect();
    if (e instanceof ConfigError) throw new CliUsageError(`--store-key-prefix: ${e.message}`);
    throw e;
  }
}
