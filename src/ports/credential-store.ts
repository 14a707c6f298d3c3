import type { MaybePromise } from './location-store';

/** The digest algorithms sipreg answers and verifies (RFC 7616 §6.1, RFC 8760 §2). */
export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'SHA-512-256';

/**
 * A subscriber's secrets for one realm, as a credential store holds them (the OpenSIPS
 * `subscriber` table row). HA1 is `H(username ":" realm ":" password)` in lower-case hex
 * (RFC 7616 §3.4.2); a store that keeps plain passwords gives `password` instead
 * (OpenSIPS `calculate_ha1`).
 */
export interface StoredCredentials {
  readonly username: string;
  readonly realm: string;
  /** HA1 per algorithm (`ha1`, `ha1_sha256`, `ha1_sha512t256` columns); absent algorithms cannot be verified from HA1. */
  readonly ha1?: Readonly<Partial<Record<DigestAlgorithm, string>>>;
  /** The plain password (`password` column), when the store keeps one. */
  readonly password?: string;
  /**
   * Further AORs this subscriber may register and subscribe to, as `user@domain` (OpenSIPS
   * `dbaliases`); its own `username@realm` is always allowed.
   */
  readonly aliases?: readonly string[];
}

/**
 * Where the digest authenticator finds subscribers (OpenSIPS auth_db `db_url` + `user_column`,
 * `domain_column`, `password_column` ...). Adapters reject with a `StoreError` when the backend
 * fails (`transient` when retrying later may help): the request is then answered 503 with
 * `Retry-After` (or 500), never accepted. Every adapter must pass `credentialStoreContract`
 * from `sipreg/testing`.
 */
export interface CredentialStore {
  /** The subscriber `username` in `realm`; undefined when there is none. Usernames compare exactly, realms case-insensitively. */
  lookup(username: string, realm: string): MaybePromise<StoredCredentials | undefined>;
  /**
   * The subscriber whose `H(username ":" realm)` with `algorithm`'s hash is `userhash` (lower-case
   * hex), for clients that hide the username (RFC 7616 §3.4.4). Optional: without it such
   * requests are refused.
   */
  lookupByUserhash?(userhash: string, realm: string, algorithm: DigestAlgorithm): MaybePromise<StoredCredentials | undefined>;
  /** Release the store's resources. */
  close?(): MaybePromise<void>;
}

/** A subscriber as {@link CredentialAdmin.put} stores it: HA1s only, never the password. */
export interface SubscriberRecord {
  readonly username: string;
  readonly realm: string;
  /** HA1 for every algorithm (see `computeHa1s`). */
  readonly ha1: Readonly<Record<DigestAlgorithm, string>>;
}

/** A credential store that can also be administered (`sipreg user add|passwd|rm|list`, `opensips-cli -x user`). */
export interface CredentialAdmin extends CredentialStore {
  /** Add the subscriber, or replace its HA1s (and clear any plain password) when it exists. */
  put(record: SubscriberRecord): MaybePromise<void>;
  /** Remove the subscriber; false when there was none. */
  remove(username: string, realm: string): MaybePromise<boolean>;
  /** Every subscriber, or those of one realm, ordered by realm then username. */
  list(realm?: string): MaybePromise<readonly StoredCredentials[]>;
}
