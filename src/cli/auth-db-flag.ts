import type { CredentialAdmin } from '../ports/credential-store';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { JsonFileCredentialStore } from '../stores/json-file-credential-store';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { connectRedisFlag, isRedisUrl } from './command-setup';
import { loadDriver } from './load-driver';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { redactUrl } from './redact-url';
import { checkSqlitePath } from './sqlite-path-check';

/** The flags naming the credential store (OpenSIPS auth_db `db_url`), for every command that reads or administers subscribers. */
export const AUTH_DB_FLAGS: readonly FlagSpec[] = [
  { name: 'auth-db', kind: 'string', help: "subscribers: sqlite:PATH (an OpenSIPS subscriber table), FILE.json, or redis://HOST:PORT[/DB] | redis-cluster://HOST:PORT,HOST:PORT,..." },
  { name: 'auth-db-key-prefix', kind: 'string', help: 'Redis --auth-db: prefix of the subscriber keys (sipreg:)' },
];

/** What `--auth-db` names, checked (but not opened) by {@link parseAuthDbFlag}. */
export type AuthDbFlag =
  | { readonly kind: 'sqlite' | 'json'; readonly spec: string; readonly path: string }
  | { readonly kind: 'redis'; readonly spec: string; readonly keyPrefix?: string };

/**
 * `--auth-db` (and `--auth-db-key-prefix`), checked without opening anything; undefined when
 * `--auth-db` is not given. A malformed value is a {@link CliUsageError}; a file whose directory
 * does not exist, or, unless `create`, a file that does not exist, a {@link CliRuntimeError}
 * (a mistyped path would otherwise become a new, empty store).
 *
 * @param options.create - the command creates a missing file (`sipreg user add`)
 */
export function parseAuthDbFlag(values: FlagValues, options: { readonly create: boolean }): AuthDbFlag | undefined {
  const spec = flagValue<string>(values, 'auth-db');
  const keyPrefix = flagValue<string>(values, 'auth-db-key-prefix');
  if (spec !== undefined && isRedisUrl(spec)) {
    if (keyPrefix !== undefined && /[{}]/.test(keyPrefix)) throw new CliUsageError(`--auth-db-key-prefix must not contain { or } (they are Redis Cluster hash tags), got '${keyPrefix}'`);
    return keyPrefix === undefined ? { kind: 'redis', spec } : { kind: 'redis', spec, keyPrefix };
  }
  if (keyPrefix !== undefined) throw new CliUsageError('--auth-db-key-prefix needs --auth-db redis://… or redis-cluster://…');
  if (spec === undefined) return undefined;
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) {
    const path = spec.slice('sqlite:'.length);
    checkSqlitePath('--auth-db', spec, path, !options.create);
    return { kind: 'sqlite', spec, path };
  }
  if (spec.endsWith('.json')) {
    checkSqlitePath('--auth-db', spec, spec, !options.create);
    return { kind: 'json', spec, path: spec };
  }
  throw new CliUsageError(`--auth-db takes sqlite:PATH, FILE.json, redis://HOST:PORT[/DB] or redis-cluster://HOST:PORT,..., got '${spec}'`);
}

/**
 * Open the credential store `flag` names, loading its driver only now. With `create` a missing
 * JSON file or SQLite file and `subscriber` table are created (the file on the first change);
 * without it they must exist. A driver that is not installed, a store that cannot be opened
 * (no table, bad content) or a Redis that cannot be reached is a {@link CliRuntimeError} naming
 * the flag and the value, e.g. `--auth-db sqlite:./users.db: sqlite credential store: ./users.db has no table "subscriber"; ...`.
 */
export async function openCredentialStore(flag: AuthDbFlag, options: { readonly create: boolean }): Promise<CredentialAdmin> {
  const shown = redactUrl(flag.spec);
  const failed = (e: unknown): CliRuntimeError => new CliRuntimeError(`--auth-db ${shown}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  if (flag.kind === 'redis') {
    const { RedisCredentialStore } = await loadDriver('--auth-db', shown, 'ioredis', () => import('../stores/redis-credential-store'));
    const client = await connectRedisFlag('--auth-db', flag.spec);
    return new RedisCredentialStore({ client, ownsClient: true, keyPrefix: flag.keyPrefix });
  }
  if (flag.kind === 'json') {
    try {
      return new JsonFileCredentialStore(flag.path, { create: options.create });
    } catch (e) {
      throw e instanceof ConfigError || e instanceof StoreError ? failed(e) : e;
    }
  }
  const { SqliteCredentialStore } = await loadDriver('--auth-db', flag.spec, 'better-sqlite3', () => import('../stores/sqlite-credential-store'));
  try {
    return new SqliteCredentialStore({ path: flag.path, create: options.create });
  } catch (e) {
    throw e instanceof StoreError ? failed(e) : e;
  }
}
