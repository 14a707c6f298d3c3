import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { CredentialAdmin, DigestAlgorithm, StoredCredentials, SubscriberRecord } from '../ports/credential-store';
import { digestHash } from '../auth/digest-hash';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { checkSubscriberName, checkSubscriberRecord } from './check-subscriber-record';
import { closedStoreError } from './closed-store-error';
import { compareCredentials } from './compare-credentials';
import {
  HA1_COLUMNS,
  OPENSIPS_SUBSCRIBER_COLUMNS,
  SUBSCRIBER_COLUMNS,
  credentialsFromRow,
  type SubscriberColumn,
  type SubscriberColumns,
} from './credentials-from-row';
import { describeValue } from './describe-value';
import { sqliteStoreError } from './sqlite-store-error';

/** Options of {@link SqliteCredentialStore}. */
export interface SqliteCredentialStoreOptions {
  /** Database file, or `':memory:'` for a private in-memory database. */
  readonly path: string;
  /**
   * The subscribers table (the table name given to OpenSIPS `www_authorize`). Letters, digits and `_` only.
   * @defaultValue `'subscriber'`
   */
  readonly table?: string;
  /**
   * Column names that differ from the OpenSIPS table's: each entry is an auth_db `*_column`
   * parameter (see {@link SubscriberColumns} for the mapping), e.g. `{ username: 'user', ha1: 'hash' }`
   * for `user_column` and `password_column`. Letters, digits and `_` only.
   * @defaultValue {@link OPENSIPS_SUBSCRIBER_COLUMNS}
   */
  readonly columns?: Partial<SubscriberColumns>;
  /**
   * The OpenSIPS alias_db table whose rows (`alias_username`, `alias_domain`, `username`,
   * `domain`) give each subscriber's aliases, read when it exists. Letters, digits and `_` only.
   * @defaultValue `'dbaliases'`
   */
  readonly aliasTable?: string;
  /**
   * How long a statement waits for another connection's lock (OpenSIPS or `sipreg user` writing)
   * before failing with a transient {@link StoreError} (SQLite `busy_timeout`). Lookups are
   * synchronous: this is also how long a lookup may block the event loop.
   * @defaultValue 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * Create the database file (mode 0600) and the table, with OpenSIPS's `subscriber` schema
   * under the configured names, when they do not exist (`sipreg user add`). Without it a missing file or
   * table is a {@link StoreError} at construction.
   * @defaultValue false
   */
  readonly create?: boolean;
}

interface ResolvedOptions {
  readonly path: string;
  readonly table: string;
  readonly columns: SubscriberColumns;
  readonly aliasTable: string;
  readonly busyTimeoutMs: number;
  readonly create: boolean;
}

const STORE = 'SqliteCredentialStore';
const DRIVER = 'sqlite credential store';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Permissions of a database file this store creates. */
const NEW_FILE_MODE = 0o600;

const identifier = (name: string, value: unknown): string => {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) throw new ConfigError(`${STORE} ${name} must match ${IDENTIFIER}, got ${describeValue(value)}`);
  return value;
};

const resolveOptions = (options: SqliteCredentialStoreOptions): ResolvedOptions => {
  if (typeof options?.path !== 'string' || options.path === '') throw new ConfigError(`${STORE} needs options.path (a file path or ":memory:")`);
  const table = identifier('table', options.table ?? 'subscriber');
  const aliasTable = identifier('aliasTable', options.aliasTable ?? 'dbaliases');
  const overrides: Readonly<Record<string, unknown>> = options.columns ?? {};
  if (overrides === null || typeof overrides !== 'object') throw new ConfigError(`${STORE} columns must be an object`);
  for (const key of Object.keys(overrides)) {
    if (!(SUBSCRIBER_COLUMNS as readonly string[]).includes(key)) throw new ConfigError(`${STORE} columns has unknown key "${key}"; keys are ${SUBSCRIBER_COLUMNS.join(', ')}`);
  }
  const columns = {} as Record<SubscriberColumn, string>;
  const seen = new Map<string, SubscriberColumn>();
  for (const column of SUBSCRIBER_COLUMNS) {
    const name = identifier(`columns.${column}`, overrides[column] ?? OPENSIPS_SUBSCRIBER_COLUMNS[column]);
    // SQLite identifiers are case-insensitive.
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) throw new ConfigError(`${STORE} columns.${column} and columns.${other} are both "${name}"`);
    seen.set(name.toLowerCase(), column);
    columns[column] = name;
  }
  if (seen.has('id')) throw new ConfigError(`${STORE} columns.${seen.get('id')} cannot be "id", the table's primary key`);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new ConfigError(`${STORE} busyTimeoutMs must be an integer >= 0, got ${describeValue(busyTimeoutMs)}`);
  const create = options.create ?? false;
  if (typeof create !== 'boolean') throw new ConfigError(`${STORE} create must be a boolean, got ${describeValue(create)}`);
  return Object.freeze({ path: options.path, table, columns: Object.freeze(columns), aliasTable, busyTimeoutMs, create });
};

/** OpenSIPS's `subscriber` table (scripts/sqlite/auth_db-create.sql, table version 8) under the configured names. */
const createTableSql = (table: string, c: SubscriberColumns): string => `
  CREATE TABLE IF NOT EXISTS "${table}" (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "${c.username}" CHAR(64) DEFAULT '' NOT NULL,
    "${c.domain}" CHAR(64) DEFAULT '' NOT NULL,
    "${c.password}" CHAR(25) DEFAULT '' NOT NULL,
    "${c.ha1}" CHAR(64) DEFAULT '' NOT NULL,
    "${c.ha1_sha256}" CHAR(64) DEFAULT '' NOT NULL,
    "${c.ha1_sha512t256}" CHAR(64) DEFAULT '' NOT NULL,
    CONSTRAINT "${table}_account_idx" UNIQUE ("${c.username}", "${c.domain}")
  );
  CREATE INDEX IF NOT EXISTS "${table}_username_idx" ON "${table}" ("${c.username}")`;

/** An alias row: whose alias it is, and the alias. */
interface AliasRow {
  readonly username: string;
  readonly domain: string;
  readonly alias_username: unknown;
  readonly alias_domain: unknown;
}

/** `alias_username@alias_domain`, or undefined when either part is NULL or empty (such a row names no AOR). */
const aliasOf = (row: AliasRow): string | undefined =>
  typeof row.alias_username === 'string' && row.alias_username !== '' && typeof row.alias_domain === 'string' && row.alias_domain !== ''
    ? `${row.alias_username}@${row.alias_domain}`
    : undefined;

/**
 * Subscribers in an SQLite table laid out like OpenSIPS auth_db's `subscriber` table, so a
 * table OpenSIPS authenticates from is read as is, through `better-sqlite3`. Every method
 * answers synchronously (prepared statements), so the registrar verifies a REGISTER without
 * awaiting.
 *
 * Table and column names default to OpenSIPS's and are overridden like auth_db's `*_column`
 * parameters ({@link SqliteCredentialStoreOptions.columns}). Usernames compare exactly and
 * domains (realms) ASCII case-insensitively (`COLLATE NOCASE`). A `password`, `ha1`,
 * `ha1_sha256` or `ha1_sha512t256` holding `''` or NULL is absent. When the alias_db table
 * (`dbaliases`) exists, a subscriber's rows there become its `aliases`
 * (`alias_username@alias_domain`, by alias domain then user).
 *
 * The table is created only with `create` (OpenSIPS's schema version 8: `id INTEGER PRIMARY KEY
 * AUTOINCREMENT`, the six columns `NOT NULL DEFAULT ''`, `UNIQUE (username, domain)`); OpenSIPS
 * itself also wants its `version` row (`INSERT INTO version VALUES ('subscriber', '8')`) unless
 * `skip_version_check` is set. `put` writes the three HA1 columns and `''` as the password, in
 * one transaction. The file is switched to WAL, so a lookup never waits for a writer.
 *
 * `lookupByUserhash` (RFC 7616 §3.4.4) hashes `username ":" domain` of a realm's rows once per
 * realm and algorithm and keeps the result until the table changes (its own writes, or another
 * connection's, seen through `PRAGMA data_version`).
 *
 * Driver failures throw {@link StoreError} with the driver error as `cause`; `transient` is true
 * for `SQLITE_BUSY`/`SQLITE_LOCKED`.
 *
 * @example
 * ```ts
 * // modparam("auth_db", "user_column", "user") and modparam("auth_db", "password_column", "hash"):
 * const credentials = new SqliteCredentialStore({
 *   path: '/var/lib/opensips/opensips.db',
 *   columns: { username: 'user', ha1: 'hash' },
 * });
 * ```
 */
export class SqliteCredentialStore implements CredentialAdmin {
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #columns: SubscriberColumns;
  readonly #selectOne: Database.Statement;
  readonly #selectRealm: Database.Statement;
  readonly #selectAll: Database.Statement;
  readonly #selectAliases: Database.Statement | undefined;
  readonly #selectAllAliases: Database.Statement | undefined;
  readonly #dataVersion: Database.Statement;
  readonly #put: (record: SubscriberRecord) => void;
  readonly #delete: Database.Statement;
  /** Per `algorithm realm` (realm in lower case): userhash → username, valid while the data version is {@link #hashedVersion}. */
  readonly #userhashes = new Map<string, Map<string, string>>();
  #hashedVersion: unknown;
  #closed = false;

  /**
   * Open the database and check the table (creating both with `create`).
   * @throws {@link ConfigError} for invalid options; {@link StoreError} when the file cannot be
   *   opened or the table (or one of its columns) is missing or unusable
   */
  constructor(options: SqliteCredentialStoreOptions) {
    const { path, table, columns: c, aliasTable, busyTimeoutMs, create } = resolveOptions(options);
    this.#table = table;
    this.#columns = c;
    const isNewFile = create && path !== ':memory:' && !existsSync(path);
    try {
      this.#db = new Database(path, { timeout: busyTimeoutMs, fileMustExist: !create });
      // The file holds HA1s, each as good as the password for its realm: readable by its owner only.
      if (isNewFile) chmodSync(path, NEW_FILE_MODE);
    } catch (error) {
      throw sqliteStoreError(DRIVER, `open ${path}`, error);
    }
    const db = this.#db;
    try {
      const tableExists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).pluck();
      if (!create && tableExists.get(table) === undefined) {
        throw new StoreError(`${DRIVER}: ${path} has no table "${table}"; create it with OpenSIPS's auth_db schema, or add a user with sipreg user add`);
      }
      db.pragma('journal_mode = WAL');
      if (create) db.exec(createTableSql(table, c));
      const present = new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).map((name) => name.toLowerCase()));
      const missing = SUBSCRIBER_COLUMNS.find((column) => !present.has(c[column].toLowerCase()));
      if (missing !== undefined) {
        throw new StoreError(`${DRIVER}: table "${table}" in ${path} has no column "${c[missing]}"; name the column that holds it with columns.${missing}`);
      }
      const selected = SUBSCRIBER_COLUMNS.map((column) => `"${c[column]}" AS "${column}"`).join(', ');
      const match = `"${c.username}" = ? AND "${c.domain}" = ? COLLATE NOCASE`;
      this.#selectOne = db.prepare(`SELECT ${selected} FROM "${table}" WHERE ${match} LIMIT 1`);
      this.#selectRealm = db.prepare(`SELECT ${selected} FROM "${table}" WHERE "${c.domain}" = ? COLLATE NOCASE`);
      this.#selectAll = db.prepare(`SELECT ${selected} FROM "${table}"`);
      this.#delete = db.prepare(`DELETE FROM "${table}" WHERE ${match}`);
      const hashes = Object.values(HA1_COLUMNS).map((column) => `"${c[column]}" = ?`).join(', ');
      const update = db.prepare(`UPDATE "${table}" SET "${c.domain}" = ?, "${c.password}" = '', ${hashes} WHERE ${match}`);
      const insert = db.prepare(
        `INSERT INTO "${table}" ("${c.username}", "${c.domain}", "${c.password}", ${Object.values(HA1_COLUMNS).map((column) => `"${c[column]}"`).join(', ')}) VALUES (?, ?, '', ?, ?, ?)`,
      );
      this.#put = db.transaction(({ username, realm, ha1 }: SubscriberRecord) => {
        const values = [ha1['MD5'], ha1['SHA-256'], ha1['SHA-512-256']];
        if (update.run(realm, ...values, username, realm).changes === 0) insert.run(username, realm, ...values);
      });
      if (tableExists.get(aliasTable) !== undefined) {
        this.#selectAliases = db.prepare(
          `SELECT alias_username, alias_domain FROM "${aliasTable}" WHERE username = ? AND domain = ? COLLATE NOCASE ORDER BY alias_domain, alias_username`,
        );
        this.#selectAllAliases = db.prepare(`SELECT username, domain, alias_username, alias_domain FROM "${aliasTable}" ORDER BY alias_domain, alias_username`);
      }
      this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    } catch (error) {
      db.close();
      throw error instanceof StoreError ? error : sqliteStoreError(DRIVER, `prepare table "${table}" in ${path}`, error);
    }
  }

  /**
   * The subscriber `username` in `realm` (ASCII case-insensitive), with its aliases: one or two
   * indexed `SELECT`s.
   * @throws {@link StoreError} when the read fails or the row is invalid
   */
  lookup(username: string, realm: string): StoredCredentials | undefined {
    this.#assertOpen();
    let row: Record<string, unknown> | undefined;
    let aliases: AliasRow[] | undefined;
    try {
      row = this.#selectOne.get(username, realm) as Record<string, unknown> | undefined;
      if (row !== undefined) aliases = this.#selectAliases?.all(row.username, row.domain) as AliasRow[] | undefined;
    } catch (error) {
      throw sqliteStoreError(DRIVER, 'lookup', error);
    }
    if (row === undefined) return undefined;
    const list: string[] = [];
    for (const aliasRow of aliases ?? []) {
      const alias = aliasOf(aliasRow);
      if (alias !== undefined) list.push(alias);
    }
    return this.#credentials(row, list);
  }

  /**
   * The subscriber in `realm` whose `H(username ":" domain)` with `algorithm` is `userhash`
   * (RFC 7616 §3.4.4), the domain hashed as stored; undefined when there is none.
   * @throws {@link ConfigError} for an unknown algorithm or after `close()`; {@link StoreError} when the read fails
   */
  lookupByUserhash(userhash: string, realm: string, algorithm: DigestAlgorithm): StoredCredentials | undefined {
    this.#assertOpen();
    if (HA1_COLUMNS[algorithm] === undefined) throw new ConfigError(`${STORE}: unknown digest algorithm ${describeValue(algorithm)}; use MD5, SHA-256 or SHA-512-256`);
    let rows: Record<string, unknown>[] | undefined;
    const key = `${algorithm} ${realm.toLowerCase()}`;
    try {
      const version = this.#dataVersion.get();
      if (version !== this.#hashedVersion) {
        this.#userhashes.clear();
        this.#hashedVersion = version;
      }
      if (!this.#userhashes.has(key)) rows = this.#selectRealm.all(realm) as Record<string, unknown>[];
    } catch (error) {
      throw sqliteStoreError(DRIVER, 'lookupByUserhash', error);
    }
    if (rows !== undefined) {
      // A realm without subscribers is not remembered: requests naming made-up realms cost a query, not memory.
      if (rows.length === 0) return undefined;
      const index = new Map<string, string>();
      for (const row of rows) {
        const { username, realm: stored } = this.#credentials(row, []);
        index.set(digestHash(algorithm, `${username}:${stored}`), username);
      }
      this.#userhashes.set(key, index);
    }
    const username = this.#userhashes.get(key)?.get(userhash);
    return username === undefined ? undefined : this.lookup(username, realm);
  }

  /**
   * Add the subscriber, or replace the HA1s of its row (any case of the domain; the domain is
   * then written as given and the password set to `''`), in one transaction.
   * @throws {@link ConfigError} for an invalid record or after `close()`; {@link StoreError} when the write fails
   */
  put(record: SubscriberRecord): void {
    this.#assertOpen();
    const checked = checkSubscriberRecord(STORE, record);
    try {
      this.#put(checked);
    } catch (error) {
      throw sqliteStoreError(DRIVER, `put ${checked.username}@${checked.realm}`, error);
    } finally {
      this.#userhashes.clear();
    }
  }

  /**
   * Delete the row(s) of `username` in `realm` (ASCII case-insensitive). Its `dbaliases` rows are left alone.
   * @returns false when there was none
   * @throws {@link ConfigError} for an invalid argument or after `close()`; {@link StoreError} when the delete fails
   */
  remove(username: string, realm: string): boolean {
    this.#assertOpen();
    checkSubscriberName(STORE, username, realm);
    try {
      return this.#delete.run(username, realm).changes > 0;
    } catch (error) {
      throw sqliteStoreError(DRIVER, `remove ${username}@${realm}`, error);
    } finally {
      this.#userhashes.clear();
    }
  }

  /**
   * Every subscriber, or those of `realm` (ASCII case-insensitive), with their aliases, by realm
   * then username: a frozen array of frozen credentials.
   * @throws {@link StoreError} when the read fails or a row is invalid
   */
  list(realm?: string): readonly StoredCredentials[] {
    this.#assertOpen();
    if (realm !== undefined && typeof realm !== 'string') throw new ConfigError(`${STORE}: realm must be a string, got ${describeValue(realm)}`);
    let rows: Record<string, unknown>[];
    let aliasRows: AliasRow[];
    try {
      rows = (realm === undefined ? this.#selectAll.all() : this.#selectRealm.all(realm)) as Record<string, unknown>[];
      aliasRows = (this.#selectAllAliases?.all() ?? []) as AliasRow[];
    } catch (error) {
      throw sqliteStoreError(DRIVER, 'list', error);
    }
    const aliases = new Map<string, string[]>();
    for (const row of aliasRows) {
      const alias = aliasOf(row);
      if (alias === undefined || typeof row.domain !== 'string') continue;
      const owner = `${row.domain.toLowerCase()}\n${row.username}`;
      const list = aliases.get(owner);
      if (list === undefined) aliases.set(owner, [alias]);
      else list.push(alias);
    }
    const out = rows.map((row) => this.#credentials(row, aliases.get(`${String(row.domain).toLowerCase()}\n${String(row.username)}`) ?? []));
    return Object.freeze(out.sort(compareCredentials));
  }

  /** Close the database. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#userhashes.clear();
    try {
      this.#db.close();
    } catch (error) {
      throw sqliteStoreError(DRIVER, 'close', error);
    }
  }

  /** The credentials of a row selected under the {@link SubscriberColumn} names. */
  #credentials(row: Record<string, unknown>, aliases: readonly string[]): StoredCredentials {
    return credentialsFromRow((field) => (field === 'aliases' ? aliases : row[field]), (field, problem) => {
      const who = typeof row.username === 'string' ? ` (username ${JSON.stringify(row.username)})` : '';
      const column = field === 'aliases' ? 'dbaliases' : `column "${this.#columns[field]}"`;
      throw new StoreError(`${DRIVER}: table "${this.#table}" row${who}: ${column} ${problem}`);
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
