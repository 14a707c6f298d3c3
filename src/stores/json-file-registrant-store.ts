import { readFileSync } from 'node:fs';
import { registrantKeyText, type RegistrantKey, type RegistrantRecord, type RegistrantStore } from '../ports/registrant-store';
import { ConfigError, type StoreError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import { fileStoreError } from './file-store-error';
import { replaceFileAtomically } from './replace-file-atomically';
import {
  OPENSIPS_REGISTRANT_COLUMNS,
  REGISTRANT_FIELDS,
  assertEnabledFlag,
  assertRegistrantKey,
  describeRegistrantKey,
  registrantRecordFromRow,
  type RegistrantField,
} from './registrant-record-from-row';

const STORE = 'JsonFileRegistrantStore';
const DRIVER = 'json registrant store';

/** How an entry of the file names its keys. */
type KeyStyle = 'record' | 'column';

/** Keys only the record style uses (`bindingUri`, ..., `enabled`). */
const RECORD_ONLY = new Set<string>(REGISTRANT_FIELDS.filter((f) => OPENSIPS_REGISTRANT_COLUMNS[f] !== f));
/** Keys only the OpenSIPS column style uses (`binding_URI`, ..., `state`, and the table's `id`). */
const COLUMN_ONLY = new Set<string>([...REGISTRANT_FIELDS.filter((f) => OPENSIPS_REGISTRANT_COLUMNS[f] !== f).map((f) => OPENSIPS_REGISTRANT_COLUMNS[f]), 'id']);
/** Keys both styles share (`aor`, `registrar`, `proxy`, `username`, `password`). */
const SHARED = new Set<string>(REGISTRANT_FIELDS.filter((f) => OPENSIPS_REGISTRANT_COLUMNS[f] === f));

/** The file as last read: its entries as parsed, and what they mean. */
interface ParsedFile {
  readonly entries: Record<string, unknown>[];
  readonly styles: readonly KeyStyle[];
  readonly records: readonly RegistrantRecord[];
}

const keyOf = (style: KeyStyle, field: RegistrantField): string => (style === 'record' ? field : OPENSIPS_REGISTRANT_COLUMNS[field]);

/** Which key style an entry uses; throws when it mixes both or has an unknown key. */
const styleOf = (path: string, index: number, entry: Record<string, unknown>): KeyStyle => {
  let recordKey: string | undefined;
  let columnKey: string | undefined;
  for (const key of Object.keys(entry)) {
    if (RECORD_ONLY.has(key)) recordKey ??= key;
    else if (COLUMN_ONLY.has(key)) columnKey ??= key;
    else if (!SHARED.has(key)) {
      throw new ConfigError(
        `${path}: entry ${index}: unknown key "${key}"; use the record fields (${REGISTRANT_FIELDS.join(', ')}) ` +
          `or the OpenSIPS columns (${REGISTRANT_FIELDS.map((f) => OPENSIPS_REGISTRANT_COLUMNS[f]).join(', ')}, id)`,
      );
    }
  }
  if (recordKey !== undefined && columnKey !== undefined) {
    throw new ConfigError(
      `${path}: entry ${index}: key "${columnKey}" is an OpenSIPS column name but key "${recordKey}" is a record field name; ` +
        'use one style per entry',
    );
  }
  return columnKey !== undefined ? 'column' : 'record';
};

/**
 * Registrants in a JSON file the host edits by hand or generates: an array of objects, each
 * written with EITHER the record's field names or the OpenSIPS `registrant` table's column names
 * (one style per entry, styles may be mixed across entries):
 *
 * ```json
 * [
 *   { "aor": "sip:pbx@itsp.example", "bindingUri": "sip:pbx@203.0.113.4", "registrar": "sip:itsp.example",
 *     "username": "pbx", "password": "secret", "expirySec": 600, "enabled": true },
 *   { "aor": "sip:fax@itsp.example", "binding_URI": "sip:fax@203.0.113.4", "registrar": "sip:itsp.example",
 *     "expiry": 600, "state": 1 }
 * ]
 * ```
 *
 * Record style: `aor, bindingUri, registrar, proxy, thirdPartyRegistrant, username, password,
 * bindingParams, expirySec, forcedSocket, clusterShtag, enabled` (boolean, absent: true).
 * Column style: `aor, binding_URI, registrar, proxy, third_party_registrant, username, password,
 * binding_params, expiry, forced_socket, cluster_shtag, state` (0 enabled, other integers
 * disabled, absent: 0) and `id` (an integer, ignored), so an export of an OpenSIPS table loads
 * as is. In both, `null` or `''` leaves an optional field absent and an expiry of 0 means the
 * scheduler's default.
 *
 * {@link JsonFileRegistrantStore.loadAll} reads the file on every call, so a reload picks up
 * edits. {@link JsonFileRegistrantStore.setEnabled} rewrites the file atomically (a temporary
 * file in the same directory with the original's permissions, fsynced, then renamed over it),
 * writing `enabled` or `state` as the changed entry's style has it. The rewrite re-indents the
 * file (two spaces) but keeps every entry's keys and order. Writers in other processes are
 * not locked out: the last rename wins.
 *
 * Errors: an unreadable file (missing, no permission) or a failed rewrite is a
 * {@link StoreError}; content that is not such an array (bad JSON, unknown key, wrong type,
 * empty `aor`, a repeated (aor, bindingUri, registrar)) is a {@link ConfigError} naming the
 * entry index and key, e.g. `registrants.json: entry 2: key "expiry" must be an integer >= 0 or null, got "600"`.
 */
export class JsonFileRegistrantStore implements RegistrantStore {
  readonly #path: string;
  #closed = false;

  /**
   * @param path - the JSON file; it is first read by `loadAll`, not here
   * @throws {@link ConfigError} when `path` is not a non-empty string
   */
  constructor(path: string) {
    if (typeof path !== 'string' || path === '') throw new ConfigError(`${STORE} needs a file path`);
    this.#path = path;
  }

  /**
   * Read and validate the file: every entry as a frozen record, in file order.
   * @throws {@link StoreError} when the file cannot be read; {@link ConfigError} for invalid content
   */
  loadAll(): readonly RegistrantRecord[] {
    this.#assertOpen();
    return this.#read().records;
  }

  /**
   * Set the enabled flag of the entry with `key` and rewrite the file (skipped when the entry
   * already has that value).
   * @returns false when no entry has that key (the file is left untouched)
   * @throws {@link ConfigError} for invalid arguments, invalid content or after `close()`;
   * {@link StoreError} when the file cannot be read or rewritten
   */
  setEnabled(key: RegistrantKey, enabled: boolean): boolean {
    this.#assertOpen();
    assertRegistrantKey(STORE, key);
    assertEnabledFlag(STORE, enabled);
    const { entries, styles, records } = this.#read();
    const wanted = registrantKeyText(key);
    const index = records.findIndex((record) => registrantKeyText(record) === wanted);
    if (index < 0) return false;
    if (records[index].enabled === enabled) return true;
    if (styles[index] === 'record') entries[index].enabled = enabled;
    else entries[index].state = enabled ? 0 : 1;
    replaceFileAtomically(DRIVER, this.#path, `${JSON.stringify(entries, null, 2)}\n`);
    return true;
  }

  /** Later calls throw a {@link ConfigError}; closing twice is a no-op. Nothing is held open. */
  close(): void {
    this.#closed = true;
  }

  #read(): ParsedFile {
    const path = this.#path;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw fileStoreError(DRIVER, path, 'read', error);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (!Array.isArray(parsed)) throw new ConfigError(`${path}: must hold a JSON array of registrant objects`);
    const styles: KeyStyle[] = [];
    const records: RegistrantRecord[] = [];
    const firstIndex = new Map<string, number>();
    parsed.forEach((entry: unknown, index) => {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        throw new ConfigError(`${path}: entry ${index}: must be an object`);
      }
      const row = entry as Record<string, unknown>;
      const style = styleOf(path, index, row);
      if (style === 'column' && row.id !== undefined && row.id !== null && !Number.isSafeInteger(row.id)) {
        throw new ConfigError(`${path}: entry ${index}: key "id" must be an integer or null, got ${JSON.stringify(row.id)}`);
      }
      const record = registrantRecordFromRow(
        (field) => row[keyOf(style, field)],
        style === 'record' ? 'boolean' : 'state',
        (field, problem) => {
          throw new ConfigError(`${path}: entry ${index}: key "${keyOf(style, field)}" ${problem}`);
        },
      );
      const keyText = registrantKeyText(record);
      const previous = firstIndex.get(keyText);
      if (previous !== undefined) {
        throw new ConfigError(`${path}: entry ${index}: repeats the key ${describeRegistrantKey(record)} of entry ${previous}`);
      }
      firstIndex.set(keyText, index);
      styles.push(style);
      records.push(record);
    });
    return { entries: parsed as Record<string, unknown>[], styles, records: Object.freeze(records) };
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
