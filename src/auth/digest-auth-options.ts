import { randomBytes } from 'node:crypto';
import type { Clock } from '../ports/clock';
import type { CredentialStore, DigestAlgorithm } from '../ports/credential-store';
import type { Logger } from '../ports/logger';
import { systemClock } from '../ports/clock';
import { silentLogger } from '../ports/logger';
import { ConfigError } from '../errors/sdk-error';
import { DIGEST_ALGORITHMS } from './digest-hash';
import { parseAlgorithm } from './parse-algorithm';

/** A quality of protection the server offers (RFC 7616 §3.3): `auth`, or `auth-int`, which also signs the body. */
export type DigestQop = 'auth' | 'auth-int';

/**
 * Options of `createDigestAuthenticator`: server-side digest authentication (RFC 3261 §22,
 * RFC 7616, RFC 8760), the OpenSIPS auth / auth_db and Kamailio auth module parameters.
 * Resolved once, at construction, by {@link resolveDigestAuthOptions}.
 */
export interface DigestAuthOptions {
  /** Where subscribers and their HA1s are found (OpenSIPS auth_db `db_url`). */
  credentials: CredentialStore;
  /**
   * The realm of every challenge (RFC 3261 §22.1). @defaultValue the To domain for a REGISTER,
   * the From domain otherwise, lower-cased (OpenSIPS `www_authorize("")`)
   */
  realm?: string;
  /**
   * The algorithms challenged with, one `WWW-Authenticate` each, sent strongest first
   * (RFC 8760 §2.4, RFC 7616 §3.7). @defaultValue ['MD5']
   */
  algorithms?: readonly DigestAlgorithm[];
  /** The qop offered; `[]` is the RFC 2069 form without qop, cnonce or nc. @defaultValue ['auth'] */
  qop?: readonly DigestQop[];
  /** Seconds a nonce stays valid; an older one is answered `stale=true` (RFC 7616 §3.3). @defaultValue 30 */
  nonceExpire?: number;
  /**
   * The HMAC key of the stateless nonces; with several, the first signs and every one verifies,
   * so a key can be rotated without failing the nonces in flight. Nodes sharing one realm share it.
   * @defaultValue 32 random bytes drawn at construction (nonces do not survive a restart)
   */
  secret?: string | readonly string[];
  /** The nonce also covers the source IP address: a nonce used from another address is refused. @defaultValue false */
  nonceBindsSource?: boolean;
  /** Refuse a nonce count seen before (replay), as Kamailio `nonce_count`. @defaultValue true */
  nonceCount?: boolean;
  /**
   * The nonces issued here whose counts are kept: the last this many, rounded up to a power of
   * two, in a fixed table (48 bytes each); an older one is answered `stale=true`. Make it at least
   * the challenges per second times `nonceExpire`. Nonces another node with the same secret
   * issued are counted in a table of a sixteenth of it (at least 1024, least recently used ones
   * forgotten). @defaultValue 100000
   */
  nonceCountCapacity?: number;
  /** Compute HA1 from the stored plain password instead of reading the HA1 columns (OpenSIPS `calculate_ha1`). @defaultValue false */
  calculateHa1?: boolean;
  /**
   * Offer `userhash=true` (RFC 7616 §3.4.4): clients may hide the username; the store must then
   * have `lookupByUserhash`. @defaultValue false
   */
  userhash?: boolean;
  /** `Retry-After` seconds of the 503 sent while the credential store is down; 0 sends none. @defaultValue 5 */
  retryAfter?: number;
  /** Time source of the nonces. @defaultValue the system clock */
  clock?: Clock;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

/** {@link DigestAuthOptions} with every default applied and every value checked (RFC 7616 §3.3 for the algorithm and qop lists). */
export interface ResolvedDigestAuthOptions {
  readonly credentials: CredentialStore;
  readonly realm: string | undefined;
  /** Without duplicates, strongest first. */
  readonly algorithms: readonly DigestAlgorithm[];
  /** Without duplicates, `auth` first. */
  readonly qop: readonly DigestQop[];
  readonly nonceExpire: number;
  /** The HMAC keys, the signing one first. */
  readonly secrets: readonly Uint8Array[];
  readonly nonceBindsSource: boolean;
  readonly nonceCount: boolean;
  readonly nonceCountCapacity: number;
  readonly calculateHa1: boolean;
  readonly userhash: boolean;
  readonly retryAfter: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

const QOPS: readonly DigestQop[] = ['auth', 'auth-int'];

/** True when `s` would break out of a header line or a quoted-string (RFC 3261 §25.1 `qdtext`). */
const hasControl = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20 || s.charCodeAt(i) === 0x7f) return true;
  return false;
};

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** The secrets as HMAC keys; throws when none or an empty one is given. */
function resolveSecrets(secret: string | readonly string[] | undefined): readonly Uint8Array[] {
  if (secret === undefined) return Object.freeze([randomBytes(32)]);
  const list = typeof secret === 'string' ? [secret] : secret;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError('DigestAuthOptions.secret must be a string or a non-empty array of strings (the first signs nonces)');
  return Object.freeze(list.map((s: unknown, i) => {
    if (typeof s !== 'string' || s === '') throw new ConfigError(`DigestAuthOptions.secret[${i}] must be a non-empty string; leave secret out for a random one`);
    return Buffer.from(s, 'utf8');
  }));
}

/** The options of {@link DigestAuthOptions} that are ports, not values. */
type DigestAuthPorts = 'credentials' | 'clock' | 'logger';

/** Apply defaults and validate (RFC 7616 §3.3); throws {@link ConfigError} naming the bad option. */
export function resolveDigestAuthOptions(options: DigestAuthOptions): ResolvedDigestAuthOptions {
  const credentials = options?.credentials;
  if (credentials === undefined || typeof credentials.lookup !== 'function') {
    throw new ConfigError('DigestAuthOptions.credentials is required: pass a CredentialStore (for instance a MemoryCredentialStore)');
  }
  const settings = resolveDigestAuthSettings(options);
  if (settings.userhash && typeof credentials.lookupByUserhash !== 'function') {
    throw new ConfigError('DigestAuthOptions.userhash needs a credential store with lookupByUserhash; use such a store or leave userhash off');
  }
  return Object.freeze({ ...settings, credentials, clock: options.clock ?? systemClock, logger: options.logger ?? silentLogger });
}

/**
 * Check the options that are values, not ports (RFC 7616 §3.3): what a command line can check
 * before it opens the credential store.
 * @throws {@link ConfigError} as {@link resolveDigestAuthOptions} does, but for the ports.
 */
export function resolveDigestAuthSettings(options: Omit<DigestAuthOptions, DigestAuthPorts>): Omit<ResolvedDigestAuthOptions, DigestAuthPorts> {
  const realm = options.realm;
  if (realm !== undefined && (typeof realm !== 'string' || realm.trim() === '' || hasControl(realm))) {
    throw new ConfigError(`DigestAuthOptions.realm must be a non-empty string without control characters, got ${JSON.stringify(realm)}; leave it out to use the To/From domain`);
  }
  const algorithms = options.algorithms ?? ['MD5'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new ConfigError('DigestAuthOptions.algorithms must list at least one of MD5, SHA-256, SHA-512-256');
  for (const a of algorithms) {
    if (!DIGEST_ALGORITHMS.includes(a)) throw new ConfigError(`DigestAuthOptions.algorithms: unknown algorithm ${JSON.stringify(a)}; use MD5, SHA-256 or SHA-512-256`);
  }
  const qop = options.qop ?? ['auth'];
  if (!Array.isArray(qop)) throw new ConfigError("DigestAuthOptions.qop must be an array of 'auth' and 'auth-int' ([] for none)");
  for (const q of qop) if (!QOPS.includes(q)) throw new ConfigError(`DigestAuthOptions.qop: ${JSON.stringify(q)} is not 'auth' or 'auth-int'`);
  const nonceExpire = options.nonceExpire ?? 30;
  if (!isPositiveInteger(nonceExpire)) throw new ConfigError(`DigestAuthOptions.nonceExpire must be a positive integer of seconds, got ${String(nonceExpire)}`);
  const nonceCountCapacity = options.nonceCountCapacity ?? 100_000;
  if (!isPositiveInteger(nonceCountCapacity)) throw new ConfigError(`DigestAuthOptions.nonceCountCapacity must be a positive integer, got ${String(nonceCountCapacity)}`);
  const retryAfter = options.retryAfter ?? 5;
  if (!Number.isInteger(retryAfter) || retryAfter < 0) throw new ConfigError(`DigestAuthOptions.retryAfter must be a non-negative integer of seconds (0 = no Retry-After), got ${String(retryAfter)}`);
  return {
    realm,
    algorithms: Object.freeze([...DIGEST_ALGORITHMS].reverse().filter((a) => algorithms.includes(a))),
    qop: Object.freeze(QOPS.filter((q) => qop.includes(q))),
    nonceExpire,
    secrets: resolveSecrets(options.secret),
    nonceBindsSource: options.nonceBindsSource ?? false,
    nonceCount: options.nonceCount ?? true,
    nonceCountCapacity,
    calculateHa1: options.calculateHa1 ?? false,
    userhash: options.userhash ?? false,
    retryAfter,
  };
}

/** The comma-separated elements of a command-line value, trimmed; throws on an empty one. */
function listElements(value: string, what: string): string[] {
  return value.split(',').map((e) => {
    const t = e.trim();
    if (t === '') throw new ConfigError(`${what}: empty element in ${JSON.stringify(value)}`);
    return t;
  });
}

/**
 * The algorithms of a command-line list such as `md5,sha-256` or `SHA-512-256`, case-insensitive
 * (RFC 7616 §6.1, RFC 8760 §2), for {@link DigestAuthOptions.algorithms}.
 * @throws {@link ConfigError} naming an unknown algorithm (a `-sess` variant is not offered by the server).
 */
export function parseDigestAlgorithms(value: string): DigestAlgorithm[] {
  return listElements(value, 'digest algorithms').map((name) => {
    const parsed = parseAlgorithm(name);
    if (parsed === undefined || parsed.sess) throw new ConfigError(`unknown digest algorithm ${JSON.stringify(name)} in ${JSON.stringify(value)}: use MD5, SHA-256 or SHA-512-256`);
    return parsed.algorithm;
  });
}

/**
 * The qop list of a command-line value: `auth`, `auth-int` or `auth,auth-int` (RFC 7616 §3.3),
 * case-insensitive; '' is none (RFC 2069), as Kamailio's empty `qop`.
 * @throws {@link ConfigError} naming a value that is neither `auth` nor `auth-int`.
 */
export function parseQop(value: string): DigestQop[] {
  if (value.trim() === '') return [];
  return listElements(value, 'qop').map((q) => {
    const lower = q.toLowerCase();
    if (lower !== 'auth' && lower !== 'auth-int') throw new ConfigError(`unknown qop ${JSON.stringify(q)} in ${JSON.stringify(value)}: use auth, auth-int or auth,auth-int`);
    return lower;
  });
}
