import { registrantKeyText, type RegistrantKey, type RegistrantRecord, type RegistrantStore } from '../ports/registrant-store';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import type { RedisClient } from './redis-client';
import { redisStoreError } from './redis-store-error';
import {
  assertEnabledFlag,
  assertRegistrantKey,
  recordFromInput,
  registrantRecordFromRow,
} from './registrant-record-from-row';

/** Options of {@link RedisRegistrantStore}. */
export interface RedisRegistrantStoreOptions {
  /** A connected ioredis client (`Redis` or `Cluster`), e.g. from {@link connectRedis}. */
  readonly client: RedisClient;
  /**
   * Close the client with the store.
   * @defaultValue false
   */
  readonly ownsClient?: boolean;
  /**
   * Prefix of the registrants hash (`<keyPrefix>registrants`), so several deployments share a Redis.
   * @defaultValue `'sipreg:'`
   */
  readonly keyPrefix?: string;
}

type Resolved = Readonly<Required<Omit<RedisRegistrantStoreOptions, 'client'>>>;

/** The driver with the compare-and-set script defined on it. */
type ScriptedClient = RedisClient & {
  sipregRegistrantSwap(key: string, field: string, expected: string, replacement: string): Promise<number>;
};

/**
 * `HSET field replacement` only while the field still holds `expected`: 1 done, 0 the field is
 * gone, -1 it holds something else now (the caller reads again and retries).
 */
const SWAP_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if current ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/** How often `setEnabled` retries a compare-and-set that lost a race before giving up (transient). */
const SWAP_ATTEMPTS = 16;
const STORE = 'RedisRegistrantStore';
const DRIVER = 'redis registrant store';

const resolveOptions = (options: RedisRegistrantStoreOptions): Resolved => {
  if (options?.client === undefined) throw new ConfigError(`${STORE} needs options.client: an ioredis client, e.g. await connectRedis("redis://127.0.0.1:6379")`);
  const ownsClient = options.ownsClient ?? false;
  if (typeof ownsClient !== 'boolean') throw new ConfigError(`${STORE} ownsClient must be a boolean, got ${String(ownsClient)}`);
  const keyPrefix = options.keyPrefix ?? 'sipreg:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new ConfigError(`${STORE} keyPrefix must be a string without { or } (they are Redis Cluster hash tags), got ${JSON.stringify(keyPrefix)}`);
  }
  return Object.freeze({ ownsClient, keyPrefix });
};

/**
 * Registrants (OpenSIPS uac_registrant `db_url` + `table_name`) in one Redis hash, so every
 * node of a cluster reads the same table and `reg_enable` / `reg_disable` on one node is seen
 * by the others on their next `reload`. Works on a single Redis and on a Redis Cluster (the hash
 * is one key, so it lives in one slot).
 *
 * Layout, under {@link RedisRegistrantStoreOptions.keyPrefix} (`sipreg:`): the hash
 * `sipreg:registrants`; each field is the record's key, `registrantKeyText`
 * (`["<aor>","<bindingUri>","<registrar>"]`), and its value the record as JSON, with the field
 * names of {@link RegistrantRecord} (`enabled` a boolean, absent optional fields left out).
 *
 * Hosts provision with {@link RedisRegistrantStore.put} and {@link RedisRegistrantStore.delete}
 * (as on the memory store); the scheduler only reads and toggles. `setEnabled` is a
 * compare-and-set in one Lua script, so it never resurrects a record deleted meanwhile nor undoes
 * a `put` made meanwhile by another node. Driver failures reject with a {@link StoreError}
 * (`transient` for connection failures and timeouts, and for a Redis that is loading or failing over).
 *
 * @example
 * ```ts
 * const registrants = new RedisRegistrantStore({ client: await connectRedis('redis://127.0.0.1:6379'), ownsClient: true });
 * await registrants.put({ aor: 'sip:pbx@itsp.example', bindingUri: 'sip:pbx@203.0.113.4',
 *   registrar: 'sip:itsp.example', clusterShtag: 'vip/1', enabled: true });
 * ```
 */
export class RedisRegistrantStore implements RegistrantStore {
  readonly #client: ScriptedClient;
  readonly #o: Resolved;
  readonly #key: string;
  #closed = false;

  /** @throws {@link ConfigError} for invalid options. */
  constructor(options: RedisRegistrantStoreOptions) {
    this.#o = resolveOptions(options);
    this.#key = `${this.#o.keyPrefix}registrants`;
    const client = options.client;
    // A fixed numberOfKeys puts the key first, where ioredis's cluster auto-pipelining looks for it.
    if (!('sipregRegistrantSwap' in client)) client.defineCommand('sipregRegistrantSwap', { numberOfKeys: 1, lua: SWAP_SCRIPT });
    this.#client = client as ScriptedClient;
  }

  /**
   * Every record (one `HGETALL`), frozen, in the hash's order.
   * @throws {@link StoreError} when the read fails, or a value is not JSON, not a valid record,
   *   or filed under another record's key (naming the field)
   */
  async loadAll(): Promise<readonly RegistrantRecord[]> {
    this.#assertOpen();
    let hash: Record<string, string>;
    try {
      hash = await this.#client.hgetall(this.#key);
    } catch (error) {
      throw redisStoreError(DRIVER, 'loadAll', error);
    }
    const records: RegistrantRecord[] = [];
    for (const [field, json] of Object.entries(hash)) records.push(this.#parse(field, json));
    return Object.freeze(records);
  }

  /**
   * Set the enabled flag of the record with `key` (OpenSIPS `reg_enable` / `reg_disable`), as a
   * compare-and-set of its JSON retried while other writers win the race.
   * @returns false when no record has that key (true also when the flag already had that value)
   * @throws {@link ConfigError} for an invalid argument or after `close()`; {@link StoreError}
   *   when Redis fails or the stored value is invalid
   */
  async setEnabled(key: RegistrantKey, enabled: boolean): Promise<boolean> {
    this.#assertOpen();
    assertRegistrantKey(STORE, key);
    assertEnabledFlag(STORE, enabled);
    const field = registrantKeyText(key);
    for (let attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
      let json: string | null;
      try {
        json = await this.#client.hget(this.#key, field);
      } catch (error) {
        throw redisStoreError(DRIVER, 'setEnabled', error);
      }
      if (json === null) return false;
      const record = this.#parse(field, json);
      if (record.enabled === enabled) return true;
      let swapped: number;
      try {
        swapped = await this.#client.sipregRegistrantSwap(this.#key, field, json, JSON.stringify({ ...record, enabled }));
      } catch (error) {
        throw redisStoreError(DRIVER, 'setEnabled', error);
      }
      if (swapped !== -1) return swapped === 1;
    }
    throw new StoreError(`${DRIVER}: setEnabled failed: the record changed under each of ${SWAP_ATTEMPTS} attempts`, { transient: true });
  }

  /**
   * Add a record, or replace the one with the same key (one `HSET`). Records are validated and
   * normalised as the memory store does (`''` optional fields and `expirySec: 0` dropped).
   * @returns true when a record was replaced
   * @throws {@link ConfigError} for an invalid record or after `close()`; {@link StoreError} when Redis fails
   */
  async put(record: RegistrantRecord): Promise<boolean> {
    this.#assertOpen();
    const copy = recordFromInput(STORE, 'record', record);
    try {
      return (await this.#client.hset(this.#key, registrantKeyText(copy), JSON.stringify(copy))) === 0;
    } catch (error) {
      throw redisStoreError(DRIVER, 'put', error);
    }
  }

  /**
   * Remove the record with `key` (one `HDEL`).
   * @returns false when no record has that key
   * @throws {@link ConfigError} for an invalid key or after `close()`; {@link StoreError} when Redis fails
   */
  async delete(key: RegistrantKey): Promise<boolean> {
    this.#assertOpen();
    assertRegistrantKey(STORE, key);
    try {
      return (await this.#client.hdel(this.#key, registrantKeyText(key))) > 0;
    } catch (error) {
      throw redisStoreError(DRIVER, 'delete', error);
    }
  }

  /** With `ownsClient`, close the connection. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#o.ownsClient) await this.#client.quit().catch(() => this.#client.disconnect());
  }

  /** The record stored under `field`, validated like a table row. */
  #parse(field: string, json: string): RegistrantRecord {
    const where = `hash "${this.#key}" field ${field}`;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new StoreError(`${DRIVER}: ${where} is not valid JSON`, { cause: error });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new StoreError(`${DRIVER}: ${where} must hold a JSON object`);
    }
    const input = value as Readonly<Record<string, unknown>>;
    const record = registrantRecordFromRow((f) => input[f], 'boolean', (f, problem) => {
      throw new StoreError(`${DRIVER}: ${where}: ${f} ${problem}`);
    });
    if (registrantKeyText(record) !== field) throw new StoreError(`${DRIVER}: ${where} holds the record of ${registrantKeyText(record)}`);
    return record;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
