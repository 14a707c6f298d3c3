import type { CredentialAdmin, DigestAlgorithm, StoredCredentials, SubscriberRecord } from '../ports/credential-store';
import { digestHash } from '../auth/digest-hash';
import { ConfigError } from '../errors/sdk-error';
import { closedStoreError } from './closed-store-error';
import { checkSubscriberName, checkSubscriberRecord } from './check-subscriber-record';
import { compareCredentials } from './compare-credentials';
import { HA1_COLUMNS, credentialsFromRow, type CredentialField } from './credentials-from-row';
import { describeValue } from './describe-value';

const STORE = 'MemoryCredentialStore';

/** The subscribers of one realm (keyed by its lower-case form). */
interface RealmBucket {
  /** By username, exactly as written. */
  readonly users: Map<string, StoredCredentials>;
  /** Per algorithm, `H(username ":" realm)` → subscriber; built on first use, dropped when the realm's subscribers change. */
  userhashes: Partial<Record<DigestAlgorithm, Map<string, StoredCredentials>>>;
}

/** The value of `field` in credentials given in code. */
const fieldOf = (input: StoredCredentials, field: CredentialField): unknown => {
  switch (field) {
    case 'username': return input.username;
    case 'domain': return input.realm;
    case 'password': return input.password;
    case 'aliases': return input.aliases;
    case 'ha1': return input.ha1?.['MD5'];
    case 'ha1_sha256': return input.ha1?.['SHA-256'];
    case 'ha1_sha512t256': return input.ha1?.['SHA-512-256'];
  }
};

/** `field` as {@link StoredCredentials} names it, for error messages. */
const inputName = (field: CredentialField): string => {
  if (field === 'domain') return 'realm';
  for (const [algorithm, column] of Object.entries(HA1_COLUMNS)) if (column === field) return `ha1["${algorithm}"]`;
  return field;
};

/**
 * Subscribers held in process memory, for hosts that provision them in code and for tests
 * (OpenSIPS auth with credentials in the script). Every method answers synchronously with a
 * plain value, so the registrar verifies a REGISTER without awaiting; nothing survives a restart.
 *
 * Usernames compare exactly and realms case-insensitively, as OpenSIPS matches its `domain`
 * column (the realm inside a digest stays case-sensitive, RFC 2617 §1.2: the HA1s are computed
 * over the realm as stored). Subscribers are validated and
 * copied on the way in ({@link StoredCredentials}: `''` passwords and HA1s are dropped, aliases
 * are `user@domain`) and handed out frozen.
 *
 * {@link MemoryCredentialStore.lookupByUserhash} (RFC 7616 §3.4.4) hashes `username ":" realm`
 * with the realm as stored, the one the HA1s are computed over, once per realm and algorithm on
 * first use; a `put` or `remove` in that realm drops its hashes.
 *
 * @example
 * ```ts
 * const credentials = new MemoryCredentialStore([
 *   { username: 'alice', realm: 'example.com', ha1: computeHa1s('alice', 'example.com', 'secret') },
 *   { username: 'bob', realm: 'example.com', password: 'hunter2', aliases: ['robert@example.com'] },
 * ]);
 * ```
 */
export class MemoryCredentialStore implements CredentialAdmin {
  /** Realm buckets by lower-case realm. */
  readonly #realms = new Map<string, RealmBucket>();
  /** The realm {@link lookup} was last asked for, as given, and its bucket; forgotten whenever a bucket is added or removed. */
  #lastRealm: string | undefined;
  #lastBucket: RealmBucket | undefined;
  #closed = false;

  /**
   * @param subscribers - the initial subscribers; (username, realm) must be unique, realms compared case-insensitively
   * @throws {@link ConfigError} for an invalid or repeated subscriber (its index named)
   */
  constructor(subscribers: readonly StoredCredentials[] = []) {
    if (!Array.isArray(subscribers)) throw new ConfigError(`${STORE}: subscribers must be an array, got ${describeValue(subscribers)}`);
    subscribers.forEach((input, index) => {
      if (input === null || typeof input !== 'object') throw new ConfigError(`${STORE}: subscribers[${index}] must be an object, got ${describeValue(input)}`);
      const credentials = credentialsFromRow((field) => fieldOf(input, field), (field, problem) => {
        throw new ConfigError(`${STORE}: subscribers[${index}].${inputName(field)} ${problem}`);
      });
      const bucket = this.#bucket(credentials.realm);
      if (bucket.users.has(credentials.username)) {
        throw new ConfigError(`${STORE}: subscribers[${index}] repeats ${credentials.username}@${credentials.realm}`);
      }
      bucket.users.set(credentials.username, credentials);
    });
  }

  /** The subscriber `username` in `realm` (case-insensitive), frozen; undefined when there is none. */
  lookup(username: string, realm: string): StoredCredentials | undefined {
    this.#assertOpen();
    // The requests of a realm come one after another: its bucket again without lower-casing it.
    if (realm !== this.#lastRealm) {
      this.#lastBucket = this.#realms.get(realm.toLowerCase());
      this.#lastRealm = realm;
    }
    return this.#lastBucket?.users.get(username);
  }

  /**
   * The subscriber in `realm` whose `H(username ":" realm)` with `algorithm` is `userhash`
   * (RFC 7616 §3.4.4), the realm hashed as stored; undefined when there is none.
   * @throws {@link ConfigError} for an unknown algorithm or after `close()`
   */
  lookupByUserhash(userhash: string, realm: string, algorithm: DigestAlgorithm): StoredCredentials | undefined {
    this.#assertOpen();
    if (HA1_COLUMNS[algorithm] === undefined) throw new ConfigError(`${STORE}: unknown digest algorithm ${describeValue(algorithm)}; use MD5, SHA-256 or SHA-512-256`);
    const bucket = this.#realms.get(realm.toLowerCase());
    if (bucket === undefined) return undefined;
    let index = bucket.userhashes[algorithm];
    if (index === undefined) {
      index = new Map();
      for (const credentials of bucket.users.values()) index.set(digestHash(algorithm, `${credentials.username}:${credentials.realm}`), credentials);
      bucket.userhashes[algorithm] = index;
    }
    return index.get(userhash);
  }

  /**
   * Add the subscriber, or replace the HA1s of the one with that username in that realm (any
   * case): its realm is then written as given, its password dropped and its aliases kept.
   * @throws {@link ConfigError} for an invalid record or after `close()`
   */
  put(record: SubscriberRecord): void {
    this.#assertOpen();
    const { username, realm, ha1 } = checkSubscriberRecord(STORE, record);
    const bucket = this.#bucket(realm);
    const aliases = bucket.users.get(username)?.aliases;
    bucket.users.set(username, Object.freeze(aliases === undefined ? { username, realm, ha1 } : { username, realm, ha1, aliases }));
    bucket.userhashes = {};
  }

  /**
   * Remove the subscriber `username` in `realm` (case-insensitive).
   * @returns false when there was none
   * @throws {@link ConfigError} for an invalid argument or after `close()`
   */
  remove(username: string, realm: string): boolean {
    this.#assertOpen();
    checkSubscriberName(STORE, username, realm);
    const key = realm.toLowerCase();
    const bucket = this.#realms.get(key);
    if (bucket === undefined || !bucket.users.delete(username)) return false;
    if (bucket.users.size === 0) {
      this.#realms.delete(key);
      this.#lastRealm = undefined;
    }
    else bucket.userhashes = {};
    return true;
  }

  /**
   * Every subscriber, or those of `realm` (case-insensitive), by realm then username: a frozen
   * array of frozen credentials.
   * @throws {@link ConfigError} for an invalid argument or after `close()`
   */
  list(realm?: string): readonly StoredCredentials[] {
    this.#assertOpen();
    if (realm !== undefined && typeof realm !== 'string') throw new ConfigError(`${STORE}: realm must be a string, got ${describeValue(realm)}`);
    const buckets = realm === undefined ? [...this.#realms.values()] : [this.#realms.get(realm.toLowerCase())];
    const out: StoredCredentials[] = [];
    for (const bucket of buckets) if (bucket !== undefined) out.push(...bucket.users.values());
    return Object.freeze(out.sort(compareCredentials));
  }

  /** Drop every subscriber. Later calls throw a {@link ConfigError}; closing twice is a no-op. */
  close(): void {
    this.#closed = true;
    this.#realms.clear();
    this.#lastRealm = undefined;
    this.#lastBucket = undefined;
  }

  #bucket(realm: string): RealmBucket {
    const key = realm.toLowerCase();
    let bucket = this.#realms.get(key);
    if (bucket === undefined) {
      bucket = { users: new Map(), userhashes: {} };
      this.#realms.set(key, bucket);
      this.#lastRealm = undefined;
    }
    return bucket;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }
}
