import type { DigestAlgorithm, SubscriberRecord } from '../ports/credential-store';
import { DIGEST_ALGORITHMS } from '../auth/digest-hash';
import { ConfigError } from '../errors/sdk-error';
import { describeValue } from './describe-value';

/** Hex digits of each algorithm's HA1: 128 bits for MD5, 256 for SHA-256 and SHA-512/256 (RFC 7616 §6.1). */
const HA1_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { 'MD5': 32, 'SHA-256': 64, 'SHA-512-256': 64 };
const LOWER_HEX = /^[0-9a-f]+$/;

/**
 * Check the `username` and `realm` arguments a credential store is given (`remove`): non-empty strings.
 * @throws {@link ConfigError} naming the store and the argument
 */
export function checkSubscriberName(store: string, username: unknown, realm: unknown): void {
  if (typeof username !== 'string' || username === '') throw new ConfigError(`${store}: username must be a non-empty string, got ${describeValue(username)}`);
  if (typeof realm !== 'string' || realm === '') throw new ConfigError(`${store}: realm must be a non-empty string, got ${describeValue(realm)}`);
}

/**
 * Check a {@link SubscriberRecord} given to `CredentialAdmin.put` and return a frozen copy:
 * `username` and `realm` non-empty strings, and an HA1 for every algorithm, in lower-case hex
 * of the algorithm's length (RFC 7616 §3.4.2; `computeHa1s` makes them).
 * @throws {@link ConfigError} naming the store and the bad field
 */
export function checkSubscriberRecord(store: string, record: SubscriberRecord): SubscriberRecord {
  if (record === null || typeof record !== 'object') throw new ConfigError(`${store}: record must be an object, got ${describeValue(record)}`);
  checkSubscriberName(store, record.username, record.realm);
  const given: unknown = record.ha1;
  if (given === null || typeof given !== 'object') throw new ConfigError(`${store}: record.ha1 must hold an HA1 per algorithm (see computeHa1s), got ${describeValue(given)}`);
  const ha1 = {} as Record<DigestAlgorithm, string>;
  for (const algorithm of DIGEST_ALGORITHMS) {
    const value = (given as Record<string, unknown>)[algorithm];
    if (typeof value !== 'string' || value.length !== HA1_HEX_LENGTH[algorithm] || !LOWER_HEX.test(value)) {
      throw new ConfigError(`${store}: record.ha1["${algorithm}"] must be ${HA1_HEX_LENGTH[algorithm]} lower-case hex digits (see computeHa1s), got ${describeValue(value)}`);
    }
    ha1[algorithm] = value;
  }
  return Object.freeze({ username: record.username, realm: record.realm, ha1: Object.freeze(ha1) });
}
