import Database from 'better-sqlite3';
import { registrantKeyText, type RegistrantKey, type RegistrantRecord, type RegistrantStore } from '../ports/registrant-store';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { sqliteStoreError } from './sqlite-store-error';
import { closedStoreError } from './closed-store-error';
import {
  OPENSIPS_REGISTRANT_COLUMNS,
  REGISTRANT_FIELDS,
  assertEnabledFlag,
  assertRegistrantKey,
  describeRegistrantKey,
  recordFromInput,
  registrantRecordFromRow,
  type RegistrantColumns,
  type RegistrantField,
} from './registrant-record-from-row';

export { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns, type RegistrantField } from './registrant-record-from-row';

/** Options of {@link SqliteRegistrantStore}. */
export interface SqliteRegistrantStoreOptions {
  /** Database file (created if missing), or `':memory:'` for a private in-memory database. */
  readonly path: string;
  /**
   * The registrants table (uac_registrant `table_name`). Letters, digits and `_` only.
   * @defaultValue `'registrant'`
   */
  readonly table?: string;
  /**
   * Column names that differ from the OpenSIPS table's, keyed by record field: each entry is
   * the uac_registrant `*_column` parameter of that field (see {@link RegistrantColumns} for the
   * mapping), e.g. `{ aor: 'to_uri', bindingUri: 'contact_uri', enabled: 'status' }` for
   * `aor_column`, `binding_URI_column` and `state_column`. Letters, digits and `_` only.
   * @defaultValue {@link OPENSIPS_REGISTRANT_COLUMNS}
   */
  readonly columns?: Partial<RegistrantColumns>;
  /**
   * How long a statement waits for another connection's lock (OpenSIPS writing `state`, say)
   * before failing with a transient {@link StoreError} (SQLite `busy_timeout`).
   * @defaultValue 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * Create the table with OpenSIPS's `registrant` schema (under the configured names) when it
   * does not exist. With `false` a missing table is a {@link StoreError} at construction.
   * @defaultValue true
   */
  readonly create?: boolean;
}

interface ResolvedOptions {
  readonly path: string;
  readonly table: string;
  readonly columns: RegistrantColumns;
  readonly busyTimeoutMs: number;
  readonly create: boolean;
}

const STORE = 'SqliteRegistrantStore';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const resolveOptions = (options: SqliteRegistrantStoreOptions): ResolvedOptions => {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new ConfigError(`${STORE} needs options.path (a file path or ":memory:")`);
  }
  const table = options.table ?? 'registrant';
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new ConfigError(`${STORE} table must match ${IDENTIFIER}, got ${JSON.stringify(table)}`);
  }
  const overrides: Readonly<Record<string, unknown>> = options.columns ?? {};
  if (overrides === null || typeof overrides !== 'object') throw new ConfigError(`${STORE} columns must be an object`);
  for (const field of Object.keys(overrides)) {
    if (!(REGISTRANT_FIELDS as readonly string[]).includes(field)) {
      throw new ConfigError(`${STORE} columns has unknown field "${field}"; fields are ${REGISTRANT_FIELDS.join(', ')}`);
    }
  }
  const columns = {} as Record<RegistrantField, string>;
  const seen = new Map<string, RegistrantField>();
  const create = options.create ?? true;
  if (typeof create !== 'boolean') throw new ConfigError(`${STORE} create must be a boolean`);
  for (const field of REGISTRANT_FIELDS) {
    const name = overrides[field] ?? OPENSIPS_REGISTRANT_COLUMNS[field];
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
      throw new ConfigError(`${STORE} columns.${field} must match ${IDENTIFIER}, got ${JSON.stringify(name)}`);
    }
    // SQLite identifiers are case-insensitive: binding_URI and binding_uri are one column.
    const folded = name.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined) throw new ConfigError(`${STORE} columns.${field} and columns.${other} are both "${name}"`);
    if (create && folded === 'id') throw new ConfigError(`${STORE} columns.${field} cannot be "id", the created table's primary key`);
    seen.set(folded, field);
    columns[field] = name;
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ConfigError(`${STORE} busyTimeoutMs must be an integer >= 0, got ${busyTimeoutMs}`);
  }
  return Object.freeze({ path: options.path, table, columns: Object.freeze(columns), busyTimeoutMs, create });
};

/** A driver failure of this store ({@link sqliteStoreError}). */
const toStoreError = (operation: string, error: unknown): StoreError => sqliteStoreError('sqlite registrant store', operation, error);

/** OpenSIPS's `registrant` table (scripts/sqlite/registrant-create.sql, table version 3) under the configured names. */
const createTableSql = (table: string, c: RegistrantColumns): string => `
  CREATE TABLE IF NOT EXISTS "${table}" (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "${c.registrar}" CHAR(255) DEFAULT '' NOT NULL,
    "${c.proxy}" CHAR(255) DEFAULT NULL,
    "${c.aor}" CHAR(255) DEFAULT '' NOT NULL,
    "${c.thirdPartyRegistrant}" CHAR(255) DEFAULT NULL,
    "${c.username}" CHAR(64) DEFAULT NULL,
    "${c.password}" CHAR(64) DEFAULT NULL,
    "${c.bindingUri}" CHAR(255) DEFAULT '' NOT NULL,
    "${c.bindingParams}" CHAR(64) DEFAULT NULL,
    "${c.expirySec}" INTEGER DEFAULT NULL,
    "${c.forcedSocket}" CHAR(64) DEFAULT NULL,
    "${c.clusterShtag}" CHAR(64) DEFAULT NULL,
    "${c.enabled}" INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT "${table}_registrant_idx" UNIQUE ("${c.aor}", "${c.bindingUri}", "${c.registrar}")
  )`;

/**
 * Registrants in an SQLite table laid out like OpenSIPS uac_registrant's `registrant` table, so
 * a table OpenSIPS uses can be read as is, through `better-sqlite3`. Every method answers
 * synchronously with plain values.
 *
 * Table and column names default to OpenSIPS's and are overridden like the module's
 * `table_name` and `*_column` parameters ({@link SqliteRegistrantStoreOptions.columns}). Unless
 * `create` is false, a missing table is created with OpenSIPS's schema: `id INTEGER PRIMARY KEY
 * AUTOINCREMENT`, the text columns, `expiry INTEGER`, `state INTEGER DEFAULT 0 NOT NULL` and
 * `UNIQUE (aor, binding_URI, registrar)`. Only the mapped columns are read; others are ignored.
 *
 * Reading a row: NULL or `''` leaves an optional field absent; `expiry` NULL or 0 leaves
 * `expirySec` absent; `state` 0 (or NULL) is enabled, any other integer disabled. Where OpenSIPS
 * skips a bad row with a log line, {@link SqliteRegistrantStore.loadAll} rejects the whole read
 * with a {@link StoreError} naming the row and column (empty `aor`, non-integer `expiry`, ...),
 * as it does for two rows with the same (aor, binding_URI, registrar).
 *
 * The file is switched to WAL (readers never block a writer) with `busy_timeout` set. Driver
 * failures throw {@link StoreError} with the driver error as `cause`; `transient` is true for
 * `SQLITE_BUSY`/`SQLITE_LOCKED`.
 *
 * @example
 * ```ts
 * // modparam("uac_registrant", "aor_column", "to_uri") and friends:
 * const registrants = new SqliteRegistrantStore({
 *   path: '/var/lib/opensips/opensips.db',
 *   columns: { aor: 'to_uri', bindingUri: 'contact_uri', enabled: 'status' },
 *   create: false,
 * });
 * ```
 */
export class SqliteRegistrantStore implements RegistrantStore {
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #columns: RegistrantColumns;
  readonly #selectAll: Database.Statement;
  readonly #updateState: Database.Statement;
  readonly #insert: Database.Statement;
  #closed = false;

  /**
   * Open (or create) the database and, unless `create` is false, the table.
   * @throws {@link ConfigError} for invalid options; {@link StoreError} when the file cannot be
   * opened or the table (or one of its columns) is missing or unusable.
   */
  constructor(options: SqliteRegistrantStoreOptions) {
    const { path, table, columns, busyTimeoutMs, create } = resolveOptions(options);
    this.#table = table;
    this.#columns = columns;
    try {
      this.#db = new Database(path, { timeout: busyTimeoutMs });
    } catch (error) {
      throw toStoreError(`open ${path}`, error);
    }
    const db = this.#db;
    const quoted = (field: RegistrantField): string => `"${columns[field]}"`;
    try {
      db.pragma('journal_mode = WAL');
      if (create) db.exec(createTableSql(table, columns));
      this.#selectAll = db.prepare(
        `SELECT ${REGISTRANT_FIELDS.map((f) => `${quoted(f)} AS "${f}"`).join(', ')} FROM "${table}"`,
      );
      this.#updateState = db.prepare(
        `UPDATE "${table}" SET ${quoted('enabled')} = ? WHERE ${quoted('aor')} = ? AND ${quoted('bindingUri')} = ? AND ${quoted('registrar')} = ?`,
      );
      this.#insert = db.prepare(
        `INSERT INTO "${table}" (${REGISTRANT_FIELDS.map(quoted).join(', ')}) VALUES (${REGISTRANT_FIELDS.map(() => '?').join(', ')})`,
      );
    } catch (error) {
      db.close();
      throw toStoreError(`prepare table "${table}" in ${path}`, error);
    }
  }

  /**
   * Every row as a frozen record, in the table's scan order (one `SELECT`).
   * @throws {@link StoreError} when the read fails, a row is invalid or a key is repeated
   */
  loadAll(): readonly RegistrantRecord[] {
    this.#assertOpen();
    let rows: Record<string, unknown>[];
    try {
      rows = this.#selectAll.all() as Record<string, unknown>[];
    } catch (error) {
      throw toStoreError('loadAll', error);
    }
    const records: RegistrantRecord[] = [];
    const seen = new Set<string>();
    rows.forEach((row, index) => {
      const where = `table "${this.#table}" row ${index + 1}${typeof row.aor === 'string' && row.aor !== '' ? ` (aor ${JSON.stringify(row.aor)})` : ''}`;
      const record = registrantRecordFromRow((field) => row[field], 'state', (field, problem) => {
        throw new StoreError(`sqlite registrant store: ${where}: column "${this.#columns[field]}" ${problem}`);
      });
      const key = registrantKeyText(record);
      if (seen.has(key)) {
        throw new StoreError(`sqlite registrant store: ${where} repeats the key ${describeRegistrantKey(record)}`);
      }
      seen.add(key);
      records.push(record);
    });
    return Object.freeze(records);
  }

  /**
   * Write the `state` column (0 enabled, 1 disabled) of the row(s) matching (aor, binding_URI,
   * registrar), as OpenSIPS `reg_enable`/`reg_disable` do.
   * @returns whether a row matched (true also when the state was already that value)
   * @throws {@link ConfigError} for invalid arguments or after `close()`; {@link StoreError} when the update fails
   */
  setEnabled(key: RegistrantKey, enabled: boolean): boolean {
    this.#assertOpen();
    assertRegistrantKey(STORE, key);
    assertEnabledFlag(STORE, enabled);
    try {
      return this.#updateState.run(enabled ? 0 : 1, key.aor, key.bindingUri, key.registrar).changes > 0;
    } catch (error) {
      throw toStoreError('setEnabled', error);
    }
  }

  /**
   * Insert one row (absent fields as NULL, `enabled` as `state` 0/1); the `id` is assigned by
   * the table. For provisioning and tests: the scheduler itself only reads and toggles.
   * @throws {@link ConfigError} for an invalid record or after `close()`; {@link StoreError}
   * when the insert fails, e.g. the table's unique (aor, binding_URI, registrar) key is taken.
   */
  insert(record: RegistrantRecord): void {
    this.#assertOpen();
    const r = recordFromInput(STORE, 'record', record);
    try {
      this.#insert.run(
        REGISTRANT_FIELDS.map((field) => (field === 'enabled' ? (r.enabled ? 0 : 1) : (r[field] ?? null))),
      );
    } catch (error) {
      throw toStoreError(`insert ${describeRegistrantKey(r)}`, error);
    }
  }

  /** Close the database. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } catch (error) {
      throw toStoreError('close', error);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
