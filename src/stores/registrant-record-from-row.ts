import type { RegistrantKey, RegistrantRecord } from '../ports/registrant-store';
import { ConfigError } from '../errors/sdk-error';
import { describeValue as describe } from './describe-value';
import { optionalRowText } from './optional-row-text';
import { requiredRowText } from './required-row-text';

/** A field of {@link RegistrantRecord}; each maps to one column of the OpenSIPS `registrant` table. */
export type RegistrantField = keyof RegistrantRecord;

/**
 * The column holding each {@link RegistrantRecord} field, keyed by field name. The defaults
 * ({@link OPENSIPS_REGISTRANT_COLUMNS}) are the OpenSIPS `registrant` table's; each entry
 * overrides the uac_registrant module parameter noted below:
 *
 * | field                  | OpenSIPS parameter               | default column            |
 * | ---------------------- | -------------------------------- | ------------------------- |
 * | `registrar`            | `registrar_column`               | `registrar`               |
 * | `proxy`                | `proxy_column`                   | `proxy`                   |
 * | `aor`                  | `aor_column`                     | `aor`                     |
 * | `thirdPartyRegistrant` | `third_party_registrant_column`  | `third_party_registrant`  |
 * | `username`             | `username_column`                | `username`                |
 * | `password`             | `password_column`                | `password`                |
 * | `bindingUri`           | `binding_URI_column`             | `binding_URI`             |
 * | `bindingParams`        | `binding_params_column`          | `binding_params`          |
 * | `expirySec`            | `expiry_column`                  | `expiry`                  |
 * | `forcedSocket`         | `forced_socket_column`           | `forced_socket`           |
 * | `clusterShtag`         | `cluster_shtag_column`           | `cluster_shtag`           |
 * | `enabled`              | `state_column`                   | `state` (0 enabled, else disabled) |
 */
export type RegistrantColumns = { readonly [F in RegistrantField]: string };

/** The OpenSIPS `registrant` table's column names (uac_registrant `*_column` defaults). */
export const OPENSIPS_REGISTRANT_COLUMNS: RegistrantColumns = Object.freeze({
  registrar: 'registrar',
  proxy: 'proxy',
  aor: 'aor',
  thirdPartyRegistrant: 'third_party_registrant',
  username: 'username',
  password: 'password',
  bindingUri: 'binding_URI',
  bindingParams: 'binding_params',
  expirySec: 'expiry',
  forcedSocket: 'forced_socket',
  clusterShtag: 'cluster_shtag',
  enabled: 'state',
});

/** Every record field, in the order of the OpenSIPS table's columns. */
export const REGISTRANT_FIELDS = Object.freeze(Object.keys(OPENSIPS_REGISTRANT_COLUMNS) as RegistrantField[]);

const KEY_FIELDS = ['aor', 'bindingUri', 'registrar'] as const satisfies readonly RegistrantField[];
const TEXT_FIELDS = [
  'proxy',
  'thirdPartyRegistrant',
  'username',
  'password',
  'bindingParams',
  'forcedSocket',
  'clusterShtag',
] as const satisfies readonly RegistrantField[];

/**
 * How the enabled flag is written where a row comes from: `'state'`, the OpenSIPS integer
 * column (NULL or 0 enabled, any other integer disabled); `'boolean'`, the record's own
 * `enabled` (absent or null: enabled).
 */
export type EnabledEncoding = 'state' | 'boolean';

/** Reports an invalid value of `field`; the caller throws the error fitting its source. */
export type RowFailure = (field: RegistrantField, problem: string) => never;

type MutableRecord = { -readonly [F in RegistrantField]?: RegistrantRecord[F] };

/**
 * Build a frozen {@link RegistrantRecord} from one row, the single place the SQLite and JSON
 * registrant stores (and the memory store's input validation) turn stored values into a record.
 *
 * - `aor`, `bindingUri`, `registrar`: non-empty strings.
 * - Other text fields: a string; NULL (`null`/`undefined`) or `''` leaves the field absent.
 * - `expirySec`: an integer >= 0; NULL or 0 leaves it absent (the scheduler's default).
 * - `enabled`: per `enabled` ({@link EnabledEncoding}).
 *
 * @param read - the stored value of a field (already looked up under its column or key name)
 * @param fail - called with the first invalid field; must throw
 */
export function registrantRecordFromRow(
  read: (field: RegistrantField) => unknown,
  enabled: EnabledEncoding,
  fail: RowFailure,
): RegistrantRecord {
  const record: MutableRecord = {};
  for (const field of KEY_FIELDS) record[field] = requiredRowText(read(field), field, fail);
  for (const field of TEXT_FIELDS) {
    const value = optionalRowText(read(field), field, fail);
    if (value !== undefined) record[field] = value;
  }
  const expiry = read('expirySec');
  if (expiry !== null && expiry !== undefined && expiry !== 0) {
    if (typeof expiry !== 'number' || !Number.isSafeInteger(expiry) || expiry < 0) {
      fail('expirySec', `must be an integer >= 0 or null, got ${describe(expiry)}`);
    }
    record.expirySec = expiry;
  }
  const flag = read('enabled');
  if (enabled === 'state') {
    if (flag !== null && flag !== undefined && (typeof flag !== 'number' || !Number.isSafeInteger(flag))) {
      fail('enabled', `must be an integer (0 enabled, 1 disabled), got ${describe(flag)}`);
    }
    record.enabled = flag === null || flag === undefined || flag === 0;
  } else {
    if (flag !== null && flag !== undefined && typeof flag !== 'boolean') {
      fail('enabled', `must be a boolean, got ${describe(flag)}`);
    }
    record.enabled = flag !== false;
  }
  return Object.freeze(record as RegistrantRecord);
}


/** A registrant key for error messages. */
export const describeRegistrantKey = (key: RegistrantKey): string =>
  `(aor ${JSON.stringify(key.aor)}, binding ${JSON.stringify(key.bindingUri)}, registrar ${JSON.stringify(key.registrar)})`;

/**
 * Check the key argument of `setEnabled`/`delete`: an object with three string fields.
 * @throws {@link ConfigError} naming the store and the bad field
 */
export const assertRegistrantKey = (store: string, key: RegistrantKey): void => {
  if (key === null || typeof key !== 'object') throw new ConfigError(`${store}: key must be an object, got ${describe(key)}`);
  for (const field of KEY_FIELDS) {
    if (typeof key[field] !== 'string') throw new ConfigError(`${store}: key.${field} must be a string, got ${describe(key[field])}`);
  }
};

/**
 * Check the flag argument of `setEnabled`.
 * @throws {@link ConfigError} unless it is a boolean
 */
export const assertEnabledFlag = (store: string, enabled: unknown): void => {
  if (typeof enabled !== 'boolean') throw new ConfigError(`${store}: enabled must be a boolean, got ${describe(enabled)}`);
};

/**
 * Validate a record given in code (memory store, SQLite `insert`) the way stored rows are read,
 * and return its normalised frozen copy ('' and expiry 0 dropped, unknown properties ignored).
 * @throws {@link ConfigError} naming `where` and the field
 */
export const recordFromInput = (store: string, where: string, record: RegistrantRecord): RegistrantRecord => {
  if (record === null || typeof record !== 'object') {
    throw new ConfigError(`${store}: ${where} must be an object, got ${describe(record)}`);
  }
  const input = record as unknown as Readonly<Record<string, unknown>>;
  return registrantRecordFromRow((field) => input[field], 'boolean', (field, problem) => {
    throw new ConfigError(`${store}: ${where}: ${field} ${problem}`);
  });
};
