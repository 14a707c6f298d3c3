import { readFileSync } from 'node:fs';
import type { CredentialAdmin, DigestAlgorithm, StoredCredentials, SubscriberRecord } from '../ports/credential-store';
import { ConfigError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import { checkSubscriberName, checkSubscriberRecord } from './check-subscriber-record';
import { HA1_COLUMNS, SUBSCRIBER_COLUMNS, credentialsFromRow, type CredentialField } from './credentials-from-row';
import { fileStoreError } from './file-store-error';
import { MemoryCredentialStore } from './memory-credential-store';
import { replaceFileAtomically } from './replace-file-atomically';

const STORE = 'JsonFileCredentialStore';
const DRIVER = 'json credential store';

/** The keys an entry may have: the `subscriber` columns, `aliases`, and the table's `id` (ignored). */
const KEYS: ReadonlySet<string> = new Set([...SUBSCRIBER_COLUMNS, 'aliases', 'id']);

/** Permissions of a file this store creates: it holds HA1s, which authenticate as the user in their realm. */
const NEW_FILE_MODE = 0o600;

/** Options of {@link JsonFileCredentialStore}. */
export interface JsonFileCredentialStoreOptions {
  /**
   * Treat a missing file as empty and create it (mode 0600) on the first `put`, as
   * `sipreg user add` does. Without it a missing file is a {@link StoreError} at construction.
   * @defaultValue false
   */
  readonly create?: boolean;
}

/**
 * Subscribers in a JSON file the host edits by hand, generates, or administers with
 * `sipreg user add|passwd|rm|list`: an array of objects with the OpenSIPS `subscriber` table's
 * column names, so an export of that table loads as is:
 *
 * ```json
 * [
 *   { "username": "alice", "domain": "example.com",
 *     "ha1": "<md5 hex>", "ha1_sha256": "<sha-256 hex>", "ha1_sha512t256": "<sha-512/256 hex>" },
 *   { "username": "bob", "domain": "example.com", "password": "hunter2",
 *     "aliases": ["robert@example.com", "1002@example.com"] }
 * ]
 * ```
 *
 * `username` and `domain` (the realm) are required non-empty strings; `password`, `ha1`,
 * `ha1_sha256` and `ha1_sha512t256` (HA1 per algorithm, RFC 7616 §3.4.2) are optional strings,
 * `null` or `''` meaning absent; `aliases` lists further AORs the subscriber may register
 * (`user@domain`, OpenSIPS `dbaliases`); `id` is allowed and ignored. Other keys are refused,
 * so a typo does not silently drop a secret. (username, domain) must be unique, domains
 * compared case-insensitively.
 *
 * The file is read at construction and again by {@link JsonFileCredentialStore.reload} (what
 * the server commands do on SIGHUP); lookups answer synchronously from memory (see
 * {@link MemoryCredentialStore}, which also gives `lookupByUserhash`), so edits made by others
 * are seen after a reload only. {@link JsonFileCredentialStore.put} and
 * {@link JsonFileCredentialStore.remove} rewrite the file atomically (temporary file beside it
 * with its permissions, fsynced, renamed over it), keeping every other entry and key as read.
 *
 * Errors: a file that cannot be read (missing without `create`, no permission) or rewritten is
 * a {@link StoreError}; content that is not such an array a {@link ConfigError} naming the entry
 * and key, e.g. `users.json: entry 2: key "ha1" must be a string or null, got 42`.
 */
export class JsonFileCredentialStore implements CredentialAdmin {
  readonly #path: string;
  readonly #create: boolean;
  /** The entries as last written or read, unknown-free but otherwise as in the file. */
  #entries: readonly Readonly<Record<string, unknown>>[];
  #memory: MemoryCredentialStore;
  #closed = false;

  /**
   * Read and validate the file.
   * @throws {@link ConfigError} without a path or for invalid content; {@link StoreError} when
   *   the file cannot be read (or is missing, unless `create`)
   */
  constructor(path: string, options: JsonFileCredentialStoreOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new ConfigError(`${STORE} needs a file path`);
    const create = options.create ?? false;
    if (typeof create !== 'boolean') throw new ConfigError(`${STORE}: create must be a boolean, got ${String(create)}`);
    this.#path = path;
    this.#create = create;
    const { entries, subscribers } = readFile(path, create);
    this.#entries = entries;
    this.#memory = new MemoryCredentialStore(subscribers);
  }

  /**
   * Read the file again and answer from what it holds now, as OpenSIPS re-reads its tables on
   * `reload`: subscribers added, changed or removed by hand take effect without a restart.
   * Nothing changes when the file is bad: the subscribers loaded before stay.
   * @returns the number of subscribers loaded
   * @throws as the constructor: {@link ConfigError} for invalid content (or after `close()`),
   *   {@link StoreError} when the file cannot be read (or is missing, unless `create`)
   */
  reload(): number {
    this.#assertOpen();
    const { entries, subscribers } = readFile(this.#path, this.#create);
    const memory = new MemoryCredentialStore(subscribers);
    this.#memory.close();
    this.#entries = entries;
    this.#memory = memory;
    return subscribers.length;
  }

  /** The subscriber `username` in `realm` (case-insensitive), from memory; undefined when there is none. */
  lookup(username: string, realm: string): StoredCredentials | undefined {
    return this.#memory.lookup(username, realm);
  }

  /** As {@link MemoryCredentialStore.lookupByUserhash} (RFC 7616 §3.4.4). */
  lookupByUserhash(userhash: string, realm: string, algorithm: DigestAlgorithm): StoredCredentials | undefined {
    return this.#memory.lookupByUserhash(userhash, realm, algorithm);
  }

  /**
   * Add the subscriber, or replace the HA1s of the entry with that username and realm (any
   * case; its `domain` is then written as given, its `password` removed, other keys kept), and
   * rewrite the file (created with mode 0600 when missing).
   * @throws {@link ConfigError} for an invalid record or after `close()`; {@link StoreError}
   *   when the file cannot be rewritten (memory then keeps the old entry)
   */
  put(record: SubscriberRecord): void {
    this.#assertOpen();
    const checked = checkSubscriberRecord(STORE, record);
    const index = this.#indexOf(checked.username, checked.realm);
    const hashes: Record<string, string> = {};
    for (const [algorithm, column] of Object.entries(HA1_COLUMNS)) hashes[column] = checked.ha1[algorithm as DigestAlgorithm];
    const next = [...this.#entries];
    if (index < 0) {
      next.push({ username: checked.username, domain: checked.realm, ...hashes });
    } else {
      const { password: _dropped, ...kept } = next[index];
      next[index] = { ...kept, domain: checked.realm, ...hashes };
    }
    this.#write(next);
    this.#memory.put(checked);
  }

  /**
   * Remove the entry of `username` in `realm` (case-insensitive) and rewrite the file.
   * @returns false when there was none (the file is left untouched)
   * @throws {@link ConfigError} for an invalid argument or after `close()`; {@link StoreError}
   *   when the file cannot be rewritten
   */
  remove(username: string, realm: string): boolean {
    this.#assertOpen();
    checkSubscriberName(STORE, username, realm);
    const index = this.#indexOf(username, realm);
    if (index < 0) return false;
    this.#write(this.#entries.filter((_, i) => i !== index));
    return this.#memory.remove(username, realm);
  }

  /** Every subscriber, or those of `realm` (case-insensitive), by realm then username. */
  list(realm?: string): readonly StoredCredentials[] {
    return this.#memory.list(realm);
  }

  /** Drop the subscribers from memory. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  close(): void {
    this.#closed = true;
    this.#memory.close();
  }

  #indexOf(username: string, realm: string): number {
    const folded = realm.toLowerCase();
    return this.#entries.findIndex((entry) => entry.username === username && (entry.domain as string).toLowerCase() === folded);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }

  #write(entries: readonly Readonly<Record<string, unknown>>[]): void {
    replaceFileAtomically(DRIVER, this.#path, `${JSON.stringify(entries, null, 2)}\n`, NEW_FILE_MODE);
    this.#entries = entries;
  }
}

/** The entries and subscribers of the file at `path`; none when it is missing and `create`. */
function readFile(path: string, create: boolean): ReturnType<typeof parseFile> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!create || (error as { code?: unknown }).code !== 'ENOENT') throw fileStoreError(DRIVER, path, 'read', error);
    return { entries: [], subscribers: [] };
  }
  return parseFile(path, text);
}

/** The entries of the file and the subscribers they hold, validated. */
function parseFile(path: string, text: string): { entries: Readonly<Record<string, unknown>>[]; subscribers: StoredCredentials[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around an unexpected token, which may be a password: the token alone is named.
    const why = (error as Error).message.replace(/, (\.\.\.)?"[\s\S]*"(\.\.\.)? is not valid JSON$/, '');
    throw new ConfigError(`${path}: not valid JSON: ${why}`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${path}: must hold a JSON array of subscriber objects`);
  const subscribers: StoredCredentials[] = [];
  const firstIndex = new Map<string, number>();
  parsed.forEach((entry: unknown, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ConfigError(`${path}: entry ${index}: must be an object`);
    const row = entry as Record<string, unknown>;
    for (const key of Object.keys(row)) {
      if (!KEYS.has(key)) throw new ConfigError(`${path}: entry ${index}: unknown key "${key}"; keys are ${[...KEYS].join(', ')}`);
    }
    const credentials = credentialsFromRow((field: CredentialField) => row[field], (field, problem) => {
      throw new ConfigError(`${path}: entry ${index}: key "${field}" ${problem}`);
    });
    const key = `${credentials.realm.toLowerCase()}\n${credentials.username}`;
    const previous = firstIndex.get(key);
    if (previous !== undefined) throw new ConfigError(`${path}: entry ${index}: repeats ${credentials.username}@${credentials.realm} of entry ${previous}`);
    firstIndex.set(key, index);
    subscribers.push(credentials);
  });
  return { entries: parsed as Record<string, unknown>[], subscribers };
}
