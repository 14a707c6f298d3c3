import type { DigestAlgorithm, StoredCredentials } from '../ports/credential-store';
import { DIGEST_ALGORITHMS } from '../auth/digest-hash';
import { describeValue } from './describe-value';
import { optionalRowText } from './optional-row-text';
import { requiredRowText } from './required-row-text';

/** A column of the OpenSIPS `subscriber` table that sipreg reads, by its default name. */
export type SubscriberColumn = 'username' | 'domain' | 'password' | 'ha1' | 'ha1_sha256' | 'ha1_sha512t256';

/**
 * The column name used for each {@link SubscriberColumn}. The defaults
 * ({@link OPENSIPS_SUBSCRIBER_COLUMNS}) are the OpenSIPS `subscriber` table's (auth_db schema
 * version 8); each entry overrides the auth_db module parameter noted below:
 *
 * | key              | OpenSIPS auth_db parameter                     | holds                                   |
 * | ---------------- | ---------------------------------------------- | --------------------------------------- |
 * | `username`       | `user_column`                                  | the user part (compared exactly)        |
 * | `domain`         | `domain_column`                                | the realm (compared case-insensitively) |
 * | `password`       | `password_column` with `calculate_ha1` = 1     | the plain password, `''` when none      |
 * | `ha1`            | `password_column` with `calculate_ha1` = 0     | MD5 HA1 (RFC 7616 §3.4.2)               |
 * | `ha1_sha256`     | `hash_column_sha256`                           | SHA-256 HA1 (RFC 7616 §3.4.2)           |
 * | `ha1_sha512t256` | `hash_column_sha512t256`                       | SHA-512-256 HA1 (RFC 7616 §3.4.2)       |
 *
 * OpenSIPS reads one `password_column`, either plain passwords or MD5 HA1s; sipreg reads both
 * columns and the authenticator's `calculateHa1` option picks which one it verifies with.
 */
export type SubscriberColumns = { readonly [C in SubscriberColumn]: string };

/** The OpenSIPS `subscriber` table's column names (auth_db defaults, schema version 8). */
export const OPENSIPS_SUBSCRIBER_COLUMNS: SubscriberColumns = Object.freeze({
  username: 'username',
  domain: 'domain',
  password: 'password',
  ha1: 'ha1',
  ha1_sha256: 'ha1_sha256',
  ha1_sha512t256: 'ha1_sha512t256',
});

/** Every {@link SubscriberColumn}, in the OpenSIPS table's order. */
export const SUBSCRIBER_COLUMNS = Object.freeze(Object.keys(OPENSIPS_SUBSCRIBER_COLUMNS) as SubscriberColumn[]);

/** The column holding each algorithm's HA1 (RFC 7616 §6.1, RFC 8760 §2). */
export const HA1_COLUMNS: Readonly<Record<DigestAlgorithm, SubscriberColumn>> = Object.freeze({
  'MD5': 'ha1',
  'SHA-256': 'ha1_sha256',
  'SHA-512-256': 'ha1_sha512t256',
});

/** What a stored subscriber is read from: its columns, and the `aliases` a store may keep beside them. */
export type CredentialField = SubscriberColumn | 'aliases';

/** Reports an invalid value of `field`; the caller throws the error fitting its source. */
export type CredentialRowFailure = (field: CredentialField, problem: string) => never;

/** True for `user@domain` with both parts non-empty (the form of an alias, OpenSIPS `dbaliases`). */
const isUserAtDomain = (value: string): boolean => {
  const at = value.lastIndexOf('@');
  return at > 0 && at < value.length - 1;
};

/**
 * Build a frozen {@link StoredCredentials} from one stored subscriber, the single place the
 * credential stores turn stored values into credentials:
 *
 * - `username`, `domain`: non-empty strings (`domain` becomes `realm`).
 * - `password`, `ha1`, `ha1_sha256`, `ha1_sha512t256`: a string; NULL (`null`/`undefined`) or
 *   `''` (what OpenSIPS's `NOT NULL DEFAULT ''` columns hold when unset) leaves it absent. `ha1`
 *   in the result is absent when no HA1 is stored.
 * - `aliases`: an array of `user@domain` strings, or NULL; empty leaves it absent.
 *
 * @param read - the stored value of a field (already looked up under its column or key name)
 * @param fail - called with the first invalid field; must throw
 */
export function credentialsFromRow(read: (field: CredentialField) => unknown, fail: CredentialRowFailure): StoredCredentials {
  const username = requiredRowText(read('username'), 'username', fail);
  const realm = requiredRowText(read('domain'), 'domain', fail);
  const out: { username: string; realm: string; ha1?: Partial<Record<DigestAlgorithm, string>>; password?: string; aliases?: readonly string[] } = { username, realm };
  const password = optionalRowText(read('password'), 'password', fail);
  if (password !== undefined) out.password = password;
  let ha1: Partial<Record<DigestAlgorithm, string>> | undefined;
  for (const algorithm of DIGEST_ALGORITHMS) {
    const value = optionalRowText(read(HA1_COLUMNS[algorithm]), HA1_COLUMNS[algorithm], fail);
    if (value !== undefined) (ha1 ??= {})[algorithm] = value;
  }
  if (ha1 !== undefined) out.ha1 = Object.freeze(ha1);
  const aliases = read('aliases');
  if (aliases !== null && aliases !== undefined) {
    if (!Array.isArray(aliases)) fail('aliases', `must be an array of user@domain strings, got ${describeValue(aliases)}`);
    for (const alias of aliases) {
      if (typeof alias !== 'string' || !isUserAtDomain(alias)) fail('aliases', `must hold user@domain strings, got ${describeValue(alias)}`);
    }
    if (aliases.length > 0) out.aliases = Object.freeze([...(aliases as string[])]);
  }
  return Object.freeze(out);
}
