import Database from 'better-sqlite3';
import { BindingFlags, type AorSnapshot, type Binding, type UpstreamRegistration } from '../ports/binding';
import type { AorPage, CommitOutcome, LocationStore } from '../ports/location-store';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { sqliteStoreError } from './sqlite-store-error';
import { closedStoreError } from './closed-store-error';
import { COMMIT_CONFLICT } from './commit-conflict';
import { checkPageLimit } from './check-page-limit';

/** Options of {@link SqliteLocationStore}. */
export interface SqliteLocationStoreOptions {
  /** Database file (created if missing), or `':memory:'` for a private in-memory database. */
  readonly path: string;
  /**
   * Bindings table; the version table is `<table>_aor`. Letters, digits and `_` only.
   * @defaultValue `'location'` (the OpenSIPS usrloc table name)
   */
  readonly table?: string;
  /**
   * How long a statement waits for another connection's lock before failing with a transient
   * {@link StoreError} (SQLite `busy_timeout`).
   * @defaultValue 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite `synchronous` level. With WAL, `'normal'` never corrupts the file and a committed
   * registration survives a process crash; only an OS crash or power loss may roll back the last
   * commits (phones simply re-register). `'full'` also fsyncs every commit, for that case.
   * @defaultValue `'normal'`
   */
  readonly synchronous?: 'normal' | 'full';
}

type ResolvedSqliteOptions = Readonly<Required<SqliteLocationStoreOptions>>;

/** One row of the bindings table (columns after OpenSIPS usrloc `location`). */
interface LocationRow {
  readonly contact: string;
  readonly received: string | null;
  readonly path: string | null;
  readonly expires_at: number;
  readonly q: number;
  readonly callid: string;
  readonly cseq: number;
  readonly last_modified: number;
  readonly flags: number;
  readonly user_agent: string | null;
  readonly socket: string | null;
  readonly methods: string | null;
  readonly sip_instance: string | null;
  readonly reg_id: number | null;
  readonly attr: string | null;
  readonly ownership_tag: string | null;
  readonly params: string | null;
  readonly flow: string | null;
  readonly upstream: string | null;
}

/** A row of the load query: the AOR version, joined with its bindings (all null when none). */
type LoadRow = { readonly version: number } & { readonly [K in keyof LocationRow]: LocationRow[K] | null };

type MutableBinding = { -readonly [K in keyof Binding]: Binding[K] };

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** AORs fetched per query while iterating {@link SqliteLocationStore.aors}. */
const AOR_BATCH = 500;
const NO_BINDINGS: readonly Binding[] = Object.freeze([]);

/** Binding columns, in the order {@link bindingParams} fills them after `aor`. */
const BINDING_COLUMNS = [
  'contact',
  'received',
  'path',
  'expires_at',
  'q',
  'callid',
  'cseq',
  'last_modified',
  'flags',
  'user_agent',
  'socket',
  'methods',
  'sip_instance',
  'reg_id',
  'attr',
  'ownership_tag',
  'params',
  'flow',
  'upstream',
] as const satisfies readonly (keyof LocationRow)[];

const resolveOptions = (options: SqliteLocationStoreOptions): ResolvedSqliteOptions => {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new ConfigError('SqliteLocationStore needs options.path (a file path or ":memory:")');
  }
  const table = options.table ?? 'location';
  if (!TABLE_NAME.test(table)) throw new ConfigError(`SqliteLocationStore table must match ${TABLE_NAME}, got "${table}"`);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ConfigError(`SqliteLocationStore busyTimeoutMs must be an integer >= 0, got ${busyTimeoutMs}`);
  }
  const synchronous = options.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ConfigError(`SqliteLocationStore synchronous must be "normal" or "full", got "${String(synchronous)}"`);
  }
  return Object.freeze({ path: options.path, table, busyTimeoutMs, synchronous });
};

/** A driver failure of this store ({@link sqliteStoreError}). */
const toStoreError = (operation: string, error: unknown): StoreError => sqliteStoreError('sqlite location store', operation, error);

const isMemoryOnly = (binding: Binding): boolean => (binding.flags & BindingFlags.memoryOnly) !== 0;

const encodeList = (list: readonly string[] | undefined): string | null => (list === undefined ? null : JSON.stringify(list));

/** Statement parameters of one binding: the AOR, then {@link BINDING_COLUMNS} in order. */
const bindingParams = (aor: string, b: Binding): unknown[] => [
  aor,
  b.contact,
  b.received ?? null,
  encodeList(b.path),
  b.expiresAt,
  b.q,
  b.callId,
  b.cseq,
  b.updatedAt,
  b.flags,
  b.userAgent ?? null,
  b.socket ?? null,
  encodeList(b.methods),
  b.instanceId ?? null,
  b.regId ?? null,
  b.attr ?? null,
  b.ownershipTag ?? null,
  b.params ?? null,
  b.flow ?? null,
  b.upstream === undefined ? null : JSON.stringify(b.upstream),
];

/** Rebuild a binding from its row: NULL columns become absent fields, never `undefined` values. */
const rowToBinding = (row: LocationRow): Binding => {
  const binding: MutableBinding = {
    contact: row.contact,
    callId: row.callid,
    cseq: row.cseq,
    expiresAt: row.expires_at,
    q: row.q,
    updatedAt: row.last_modified,
    flags: row.flags,
  };
  if (row.received !== null) binding.received = row.received;
  if (row.path !== null) binding.path = JSON.parse(row.path) as string[];
  if (row.socket !== null) binding.socket = row.socket;
  if (row.user_agent !== null) binding.userAgent = row.user_agent;
  if (row.methods !== null) binding.methods = JSON.parse(row.methods) as string[];
  if (row.sip_instance !== null) binding.instanceId = row.sip_instance;
  if (row.reg_id !== null) binding.regId = row.reg_id;
  if (row.attr !== null) binding.attr = row.attr;
  if (row.ownership_tag !== null) binding.ownershipTag = row.ownership_tag;
  if (row.params !== null) binding.params = row.params;
  if (row.flow !== null) binding.flow = row.flow;
  if (row.upstream !== null) binding.upstream = JSON.parse(row.upstream) as UpstreamRegistration;
  return binding;
};

/**
 * A durable location service (RFC 3261 §10.2) in one SQLite file through `better-sqlite3`,
 * answering synchronously with plain values. A store reopened on the same file returns every
 * binding, field for field, with the same versions.
 *
 * Schema (created if missing), named after OpenSIPS usrloc's `location` table:
 * - `<table>`: one row per binding: `aor, contact, received, path, expires_at` (epoch ms)`, q,
 *   callid, cseq, last_modified` (epoch ms)`, flags, user_agent, socket, methods, sip_instance,
 *   reg_id, attr, ownership_tag, params, flow, upstream`. `path` and `methods` hold JSON arrays,
 *   `upstream` a JSON object; NULL means the field is absent. Rows of an AOR keep their commit order.
 * - `<table>_aor`: one row per AOR, `version INTEGER PRIMARY KEY AUTOINCREMENT, aor UNIQUE`. The
 *   compare-and-set version is that number: every commit replaces the row, so a version is never
 *   reused, even after the AOR is deleted and created again.
 *
 * Durability: WAL journal (readers never block the writer), `synchronous` per
 * {@link SqliteLocationStoreOptions.synchronous}, and one `BEGIN IMMEDIATE` transaction per
 * commit, so a commit is all or nothing and other processes sharing the file are serialised.
 *
 * Bindings flagged {@link BindingFlags.memoryOnly} (OpenSIPS save flag `m`) never reach the file:
 * they live in an in-process overlay, are returned by `load` after the durable ones and are
 * counted and expired like them, and are gone after a restart (an AOR left with no durable
 * binding is then removed when the store opens). Other processes sharing the file do not see them.
 *
 * Driver failures throw {@link StoreError} with the driver error as `cause`; `transient` is true
 * for `SQLITE_BUSY`/`SQLITE_LOCKED`.
 */
export class SqliteLocationStore implements LocationStore {
  readonly #db: Database.Database;
  /** Memory-only bindings per AOR; an AOR is present only while it has some. */
  readonly #overlay = new Map<string, readonly Binding[]>();
  #overlayBindings = 0;
  #closed = false;
  readonly #selectAor: Database.Statement;
  readonly #selectExpired: Database.Statement;
  readonly #selectCounts: Database.Statement;
  readonly #firstAors: Database.Statement;
  readonly #nextAors: Database.Statement;
  /** Runs one compare-and-set commit; returns the new version, `null` (deleted) or `false` (conflict). */
  readonly #commit: (aor: string, expected: unknown, durable: readonly Binding[], keep: boolean) => number | null | false;

  /**
   * Open (or create) the database and its tables.
   * @throws {@link ConfigError} for invalid options; {@link StoreError} when the file cannot be opened.
   */
  constructor(options: SqliteLocationStoreOptions) {
    const { path, table, busyTimeoutMs, synchronous } = resolveOptions(options);
    const bindings = `"${table}"`;
    const aors = `"${table}_aor"`;
    try {
      this.#db = new Database(path, { timeout: busyTimeoutMs });
    } catch (error) {
      throw toStoreError(`open ${path}`, error);
    }
    const db = this.#db;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.exec(`
        CREATE TABLE IF NOT EXISTS ${aors} (
          version INTEGER PRIMARY KEY AUTOINCREMENT,
          aor TEXT NOT NULL UNIQUE
        );
        CREATE TABLE IF NOT EXISTS ${bindings} (
          id INTEGER PRIMARY KEY,
          aor TEXT NOT NULL,
          contact TEXT NOT NULL,
          received TEXT,
          path TEXT,
          expires_at INTEGER NOT NULL,
          q INTEGER NOT NULL,
          callid TEXT NOT NULL,
          cseq INTEGER NOT NULL,
          last_modified INTEGER NOT NULL,
          flags INTEGER NOT NULL,
          user_agent TEXT,
          socket TEXT,
          methods TEXT,
          sip_instance TEXT,
          reg_id INTEGER,
          attr TEXT,
          ownership_tag TEXT,
          params TEXT,
          flow TEXT,
          upstream TEXT
        );
        CREATE INDEX IF NOT EXISTS "${table}_aor_idx" ON ${bindings} (aor);
        CREATE INDEX IF NOT EXISTS "${table}_expires_idx" ON ${bindings} (expires_at);
        DELETE FROM ${aors} WHERE NOT EXISTS (SELECT 1 FROM ${bindings} b WHERE b.aor = ${aors}.aor);
      `);
      // Files created before RFC 5626 flows were stored get the column (sipreg 0.1.0).
      const columns = db.prepare(`PRAGMA table_info(${bindings})`).all() as { name: string }[];
      if (!columns.some((c) => c.name === 'flow')) db.exec(`ALTER TABLE ${bindings} ADD COLUMN flow TEXT`);
      // And the mid-registrar's upstream registration (JSON) to files from before it (sipreg 0.1.0 and 0.2 previews).
      if (!columns.some((c) => c.name === 'upstream')) db.exec(`ALTER TABLE ${bindings} ADD COLUMN upstream TEXT`);
      this.#selectAor = db.prepare(
        `SELECT a.version AS version, ${BINDING_COLUMNS.map((c) => `b.${c}`).join(', ')}
         FROM ${aors} a LEFT JOIN ${bindings} b ON b.aor = a.aor WHERE a.aor = ? ORDER BY b.id`,
      );
      this.#selectExpired = db.prepare(`SELECT DISTINCT aor FROM ${bindings} WHERE expires_at <= ? LIMIT ?`);
      this.#selectCounts = db.prepare(
        `SELECT (SELECT COUNT(*) FROM ${aors}) AS aors, (SELECT COUNT(*) FROM ${bindings}) AS bindings`,
      );
      this.#firstAors = db.prepare(`SELECT aor FROM ${aors} ORDER BY aor LIMIT ?`).pluck();
      this.#nextAors = db.prepare(`SELECT aor FROM ${aors} WHERE aor > ? ORDER BY aor LIMIT ?`).pluck();
      const selectVersion = db.prepare(`SELECT version FROM ${aors} WHERE aor = ?`);
      const deleteBindings = db.prepare(`DELETE FROM ${bindings} WHERE aor = ?`);
      const deleteAor = db.prepare(`DELETE FROM ${aors} WHERE aor = ?`);
      const replaceAor = db.prepare(`REPLACE INTO ${aors} (aor) VALUES (?)`);
      const insertBinding = db.prepare(
        `INSERT INTO ${bindings} (aor, ${BINDING_COLUMNS.join(', ')}) VALUES (?, ${BINDING_COLUMNS.map(() => '?').join(', ')})`,
      );
      const transaction = db.transaction(
        (aor: string, expected: unknown, durable: readonly Binding[], keep: boolean): number | null | false => {
          const row = selectVersion.get(aor) as { version: number } | undefined;
          if ((expected ?? null) !== (row?.version ?? null)) return false;
          deleteBindings.run(aor);
          if (!keep) {
            deleteAor.run(aor);
            return null;
          }
          const version = Number(replaceAor.run(aor).lastInsertRowid);
          for (const binding of durable) insertBinding.run(bindingParams(aor, binding));
          return version;
        },
      );
      this.#commit = (aor, expected, durable, keep) => transaction.immediate(aor, expected, durable, keep);
    } catch (error) {
      db.close();
      throw toStoreError(`prepare ${path}`, error);
    }
  }

  /** The AOR's bindings, durable ones in commit order then memory-only ones; `version` is `null` when absent. */
  load(aor: string): AorSnapshot {
    this.#assertOpen();
    let rows: LoadRow[];
    try {
      rows = this.#selectAor.all(aor) as LoadRow[];
    } catch (error) {
      throw toStoreError('load', error);
    }
    const memoryOnly = this.#overlay.get(aor);
    if (rows.length === 0) return { aor, bindings: memoryOnly ?? NO_BINDINGS, version: null };
    const bindings: Binding[] = [];
    for (const row of rows) if (row.contact !== null) bindings.push(rowToBinding(row as LocationRow));
    if (memoryOnly !== undefined) bindings.push(...memoryOnly);
    return { aor, bindings, version: rows[0].version };
  }

  /**
   * Replace the AOR's bindings in one transaction if `expected` is still its version (`null`:
   * the AOR must be absent). An empty list deletes the AOR and yields version `null`.
   */
  commit(aor: string, expected: unknown, bindings: readonly Binding[]): CommitOutcome {
    this.#assertOpen();
    const memoryOnly = bindings.filter(isMemoryOnly);
    const durable = memoryOnly.length === 0 ? bindings : bindings.filter((b) => !isMemoryOnly(b));
    let version: number | null | false;
    try {
      version = this.#commit(aor, expected, durable, bindings.length > 0);
    } catch (error) {
      throw toStoreError('commit', error);
    }
    if (version === false) return COMMIT_CONFLICT;
    this.#overlayBindings += memoryOnly.length - (this.#overlay.get(aor)?.length ?? 0);
    if (memoryOnly.length > 0) this.#overlay.set(aor, Object.freeze(memoryOnly));
    else this.#overlay.delete(aor);
    return { ok: true, version };
  }

  /** Up to `limit` AORs holding a binding with `expiresAt <= nowMs` (durable or memory-only). */
  expiredAors(nowMs: number, limit: number): readonly string[] {
    this.#assertOpen();
    if (limit <= 0) return [];
    const due = new Set<string>();
    for (const [aor, memoryOnly] of this.#overlay) {
      if (due.size >= limit) break;
      if (memoryOnly.some((b) => b.expiresAt <= nowMs)) due.add(aor);
    }
    if (due.size < limit) {
      let rows: { aor: string }[];
      try {
        rows = this.#selectExpired.all(nowMs, limit) as { aor: string }[];
      } catch (error) {
        throw toStoreError('expiredAors', error);
      }
      for (const row of rows) {
        if (due.size >= limit) break;
        due.add(row.aor);
      }
    }
    return [...due];
  }

  /**
   * Every AOR in ascending order, fetched in batches of 500 so other calls may run between
   * batches (AORs committed meanwhile may or may not be visited).
   */
  aors(): Iterable<string> {
    this.#assertOpen();
    return this.#iterateAors();
  }

  /**
   * Up to `limit` AORs after `cursor`, in ascending order (the same order as
   * {@link SqliteLocationStore.aors}); the cursor is the last AOR of the previous page, so it
   * stays valid across commits, restarts and processes sharing the file.
   */
  aorPage(cursor: string | undefined, limit: number): AorPage {
    this.#assertOpen();
    const aors = this.#aorsAfter(cursor, checkPageLimit('SqliteLocationStore', limit));
    return { aors, next: aors.length < limit ? undefined : aors[aors.length - 1] };
  }

  /** Number of AORs and bindings (durable and memory-only). */
  count(): { readonly aors: number; readonly bindings: number } {
    this.#assertOpen();
    let counts: { aors: number; bindings: number };
    try {
      counts = this.#selectCounts.get() as { aors: number; bindings: number };
    } catch (error) {
      throw toStoreError('count', error);
    }
    return { aors: counts.aors, bindings: counts.bindings + this.#overlayBindings };
  }

  /**
   * Close the database (memory-only bindings are dropped). Later calls throw a
   * {@link ConfigError}; closing twice is a no-op.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#overlay.clear();
    this.#overlayBindings = 0;
    try {
      this.#db.close();
    } catch (error) {
      throw toStoreError('close', error);
    }
  }

  *#iterateAors(): Generator<string> {
    let last: string | undefined;
    for (;;) {
      this.#assertOpen();
      const batch = this.#aorsAfter(last, AOR_BATCH);
      yield* batch;
      if (batch.length < AOR_BATCH) return;
      last = batch[batch.length - 1];
    }
  }

  /** Up to `limit` AORs after `last` (from the first when undefined), ascending. */
  #aorsAfter(last: string | undefined, limit: number): string[] {
    try {
      return (last === undefined ? this.#firstAors.all(limit) : this.#nextAors.all(last, limit)) as string[];
    } catch (error) {
      throw toStoreError('aors', error);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
