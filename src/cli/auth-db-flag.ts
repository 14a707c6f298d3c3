import type { CredentialAdmin } from '../ports/credential-store';
import { ConfigError, StoreError } from '../errors/sdk-error';
import type { SubscriberColumn, SubscriberColumns } from '../stores/credentials-from-row';
import { JsonFileCredentialStore } from '../stores/json-file-credential-store';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { connectRedisFlag, isRedisUrl } from './command-setup';
import { loadDriver } from './load-driver';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { redactUrl } from './redact-url';
import { checkSqlitePath } from './sqlite-path-check';

/** The flag of the SQLite subscriber table's name (the table given to OpenSIPS `www_authorize()`; `SqliteCredentialStoreOptions.table`). */
const TABLE_FLAG: FlagSpec = { name: 'auth-table', kind: 'string', help: 'SQLite --auth-db: the subscriber table, the one OpenSIPS www_authorize() is given (subscriber)' };

/** The flag of each column of the SQLite subscriber table: the OpenSIPS auth_db `*_column` parameters (`SqliteCredentialStoreOptions.columns`). */
const COLUMN_FLAGS: Readonly<Record<SubscriberColumn, FlagSpec>> = {
  username: { name: 'auth-user-column', kind: 'string', help: 'SQLite --auth-db: user_column, the user part (username)' },
  domain: { name: 'auth-domain-column', kind: 'string', help: 'SQLite --auth-db: domain_column, the realm (domain)' },
  password: { name: 'auth-password-column', kind: 'string', help: 'SQLite --auth-db: the plain passwords read with --calculate-ha1 1, password_column with calculate_ha1 1 (password)' },
  ha1: { name: 'auth-ha1-column', kind: 'string', help: 'SQLite --auth-db: the MD5 HA1s, password_column with calculate_ha1 0 (ha1)' },
  ha1_sha256: { name: 'auth-ha1-sha256-column', kind: 'string', help: 'SQLite --auth-db: hash_column_sha256, the SHA-256 HA1s (ha1_sha256)' },
  ha1_sha512t256: { name: 'auth-ha1-sha512t256-column', kind: 'string', help: 'SQLite --auth-db: hash_column_sha512t256, the SHA-512-256 HA1s (ha1_sha512t256)' },
};

/** The flags naming the credential store (OpenSIPS auth_db `db_url`, its table and columns), for every command that reads or administers subscribers. */
export const AUTH_DB_FLAGS: readonly FlagSpec[] = [
  { name: 'auth-db', kind: 'string', help: "subscribers: sqlite:PATH (an OpenSIPS subscriber table), FILE.json, or redis://HOST:PORT[/DB] | redis-cluster://HOST:PORT,HOST:PORT,..." },
  { name: 'auth-db-key-prefix', kind: 'string', help: 'Redis --auth-db: prefix of the subscriber keys (sipreg:)' },
  TABLE_FLAG,
  ...Object.values(COLUMN_FLAGS),
];

/** What `--auth-db` names, checked (but not opened) by {@link parseAuthDbFlag}. */
export type AuthDbFlag =
  | {
    readonly kind: 'sqlite';
    readonly spec: string;
    readonly path: string;
    /** `--auth-table`, when given. */
    readonly table?: string;
    /** The `--auth-*-column` flags given, by column. */
    readonly columns?: Partial<SubscriberColumns>;
  }
  | { readonly kind: 'json'; readonly spec: string; readonly path: string }
  | { readonly kind: 'redis'; readonly spec: string; readonly keyPrefix?: string };

/** `--auth-table` and the `--auth-*-column` flags given; undefined when none is. */
function sqliteNames(values: FlagValues): { table?: string; columns?: Partial<SubscriberColumns> } | undefined {
  const table = flagValue<string>(values, TABLE_FLAG.name);
  const columns: Partial<Record<SubscriberColumn, string>> = {};
  for (const [column, flag] of Object.entries(COLUMN_FLAGS)) {
    const name = flagValue<string>(values, flag.name);
    if (name !== undefined) columns[column as SubscriberColumn] = name;
  }
  const hasColumns = Object.keys(columns).length > 0;
  if (table === undefined && !hasColumns) return undefined;
  return { ...(table === undefined ? {} : { table }), ...(hasColumns ? { columns } : {}) };
}

/**
 * The message of the SQLite store's option error with the flag of the option in front, e.g.
 * `--auth-user-column: SqliteCredentialStore columns.username must match ...`.
 */
function withNameFlag(message: string): string {
  const column = /columns\.([a-z0-9_]+)/.exec(message)?.[1];
  const flag = column !== undefined ? COLUMN_FLAGS[column as SubscriberColumn] : /^SqliteCredentialStore table /.test(message) ? TABLE_FLAG : undefined;
  return flag === undefined ? message : `--${flag.name}: ${message}`;
}

/** The SQLite store's `columns.x` in a message as the flag that sets it (`--auth-user-column`). */
const columnsAsFlags = (message: string): string =>
  message.replace(/columns\.([a-z0-9_]+)/g, (option, column: string) => {
    const flag = COLUMN_FLAGS[column as SubscriberColumn];
    return flag === undefined ? option : `--${flag.name}`;
  });

/**
 * `--auth-db` (and `--auth-db-key-prefix`, `--auth-table`, the `--auth-*-column` flags), checked
 * without opening anything; undefined when `--auth-db` is not given. A malformed value, or a
 * table or column flag without an SQLite `--auth-db`, is a {@link CliUsageError} (the names
 * themselves are the store's to check, when it opens); a file whose directory
 * does not exist, or, unless `create`, a file that does not exist, a {@link CliRuntimeError}
 * (a mistyped path would otherwise become a new, empty store).
 *
 * @param options.create - the command creates a missing file (`sipreg user add`)
 */
export function parseAuthDbFlag(values: FlagValues, options: { readonly create: boolean }): AuthDbFlag | undefined {
  const spec = flagValue<string>(values, 'auth-db');
  const keyPrefix = flagValue<string>(values, 'auth-db-key-prefix');
  const names = sqliteNames(values);
  const isSqlite = spec !== undefined && spec.startsWith('sqlite:');
  if (names !== undefined && !isSqlite) {
    const given = [TABLE_FLAG, ...Object.values(COLUMN_FLAGS)].find((f) => values.has(f.name));
    throw new CliUsageError(`--${given?.name} needs --auth-db sqlite:PATH (it names the OpenSIPS subscriber table or one of its columns)`);
  }
  if (spec !== undefined && isRedisUrl(spec)) {
    if (keyPrefix !== undefined && /[{}]/.test(keyPrefix)) throw new CliUsageError(`--auth-db-key-prefix must not contain { or } (they are Redis Cluster hash tags), got '${keyPrefix}'`);
    return keyPrefix === undefined ? { kind: 'redis', spec } : { kind: 'redis', spec, keyPrefix };
  }
  if (keyPrefix !== undefined) throw new CliUsageError('--auth-db-key-prefix needs --auth-db redis://… or redis-cluster://…');
  if (spec === undefined) return undefined;
  if (isSqlite && spec.length > 'sqlite:'.length) {
    const path = spec.slice('sqlite:'.length);
    checkSqlitePath('--auth-db', spec, path, !options.create);
    return { kind: 'sqlite', spec, path, ...names };
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
 * without it they must exist. A table or column name SQLite cannot take, or two columns of one
 * name, is a {@link CliUsageError} naming its flag (checked by `SqliteCredentialStore` before it
 * opens the file). A driver that is not installed, a store that cannot be opened
 * (no table, bad content) or a Redis that cannot be reached is a {@link CliRuntimeError} naming
 * the flag and the value, e.g. `--auth-db sqlite:./users.db: sqlite credential store: ./users.db has no table "subscriber"; ...`.
 */
export async function openCredentialStore(flag: AuthDbFlag, options: { readonly create: boolean }): Promise<CredentialAdmin> {
  const shown = redactUrl(flag.spec);
  const failed = (e: unknown, message = e instanceof Error ? e.message : String(e)): CliRuntimeError => new CliRuntimeError(`--auth-db ${shown}: ${message}`, { cause: e });
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
    return new SqliteCredentialStore({ path: flag.path, create: options.create, table: flag.table, columns: flag.columns });
  } catch (e) {
    // The store checks the names the flags give (it alone knows its rules) before it opens the file.
    if (e instanceof ConfigError) throw new CliUsageError(withNameFlag(e.message));
    throw e instanceof StoreError ? failed(e, columnsAsFlags(e.message)) : e;
  }
}
