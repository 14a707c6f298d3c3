import { registrantKeyText, type RegistrantKey, type RegistrantRecord, type RegistrantStore } from '../ports/registrant-store';
import { ConfigError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import {
  assertEnabledFlag,
  assertRegistrantKey,
  describeRegistrantKey,
  recordFromInput,
} from './registrant-record-from-row';

const STORE = 'MemoryRegistrantStore';

/**
 * Registrants held in process memory, for hosts that configure them in code (OpenSIPS
 * uac_registrant without a database) and for tests. Every method answers synchronously with a
 * plain value; nothing survives a restart.
 *
 * Records are validated and copied on the way in (`aor`, `bindingUri` and `registrar` must be
 * non-empty strings; `''` optional fields and `expirySec: 0` are dropped, unknown properties
 * ignored) and handed out frozen, in insertion order.
 *
 * @example
 * ```ts
 * const registrants = new MemoryRegistrantStore([
 *   { aor: 'sip:pbx@itsp.example', bindingUri: 'sip:pbx@203.0.113.4', registrar: 'sip:itsp.example',
 *     username: 'pbx', password: 'secret', expirySec: 600, enabled: true },
 * ]);
 * ```
 */
export class MemoryRegistrantStore implements RegistrantStore {
  /** Frozen records by {@link registrantKeyText}, in insertion order. */
  readonly #records = new Map<string, RegistrantRecord>();
  #closed = false;

  /**
   * @param records - the initial registrants; keys (aor, bindingUri, registrar) must be unique
   * @throws {@link ConfigError} for an invalid record or a repeated key (both named)
   */
  constructor(records: readonly RegistrantRecord[] = []) {
    if (!Array.isArray(records)) throw new ConfigError(`${STORE}: records must be an array`);
    records.forEach((input, index) => {
      const record = recordFromInput(STORE, `records[${index}]`, input);
      const key = registrantKeyText(record);
      if (this.#records.has(key)) {
        throw new ConfigError(`${STORE}: records[${index}] repeats the key ${describeRegistrantKey(record)}`);
      }
      this.#records.set(key, record);
    });
  }

  /** Every record, enabled or not, in insertion order: a frozen array of frozen records. */
  loadAll(): readonly RegistrantRecord[] {
    this.#assertOpen();
    return Object.freeze([...this.#records.values()]);
  }

  /**
   * Set the enabled flag of the record with `key`.
   * @returns false when no record has that key
   * @throws {@link ConfigError} for an invalid argument or after `close()`
   */
  setEnabled(key: RegistrantKey, enabled: boolean): boolean {
    this.#assertOpen();
    assertRegistrantKey(STORE, key);
    assertEnabledFlag(STORE, enabled);
    const text = registrantKeyText(key);
    const record = this.#records.get(text);
    if (record === undefined) return false;
    if (record.enabled !== enabled) this.#records.set(text, Object.freeze({ ...record, enabled }));
    return true;
  }

  /**
   * Add a record, or replace the one with the same key (keeping its position).
   * @returns true when a record was replaced
   * @throws {@link ConfigError} for an invalid record or after `close()`
   */
  put(record: RegistrantRecord): boolean {
    this.#assertOpen();
    const copy = recordFromInput(STORE, 'record', record);
    const key = registrantKeyText(copy);
    const replaced = this.#records.has(key);
    this.#records.set(key, copy);
    return replaced;
  }

  /**
   * Remove the record with `key`.
   * @returns false when no record has that key
   * @throws {@link ConfigError} for an invalid key or after `close()`
   */
  delete(key: RegistrantKey): boolean {
    this.#assertOpen();
    assertRegistrantKey(STORE, key);
    return this.#records.delete(registrantKeyText(key));
  }

  /** Drop every record. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  close(): void {
    this.#closed = true;
    this.#records.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
