import { randomBytes } from 'node:crypto';
import type { Authenticator } from '../auth/authenticator';
import { createDigestAuthenticator } from '../auth/digest-authenticator';
import type { DigestAuthOptions } from '../auth/digest-auth-options';
import { parseDigestAlgorithms, parseQop, resolveDigestAuthSettings } from '../auth/digest-auth-options';
import { createSourceGuard, type SourceGuard } from '../auth/source-guard';
import type { GuardAction, SourceGuardOptions } from '../auth/source-guard-options';
import { resolveSourceGuardOptions } from '../auth/source-guard-options';
import type { CredentialStore } from '../ports/credential-store';
import { JsonFileCredentialStore } from '../stores/json-file-credential-store';
import type { Logger } from '../ports/logger';
import { challengedMethods, type ProxyAuthOptions } from '../server/proxy-auth';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import { AUTH_DB_FLAGS, openCredentialStore, parseAuthDbFlag, type AuthDbFlag } from './auth-db-flag';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { redactUrl } from './redact-url';
import { withAbsolutePath } from './store-flag';

/** The environment variable holding `--auth-secret`'s value, so that it need not show in `ps`. */
export const AUTH_SECRET_ENV = 'SIPREG_AUTH_SECRET';

/**
 * Flags of digest authentication (RFC 3261 §22, RFC 7616, RFC 8760) for both server commands:
 * the OpenSIPS auth / auth_db module parameters. `--auth-db` turns it on; the others need it.
 */
export const AUTH_FLAGS: readonly FlagSpec[] = [
  ...AUTH_DB_FLAGS.map((f) => (f.name === 'auth-db' ? { ...f, help: `${f.help}; turns digest authentication on (off)` } : f)),
  { name: 'auth-realm', kind: 'string', help: 'realm of every challenge (the To domain of a REGISTER, the From domain otherwise)' },
  { name: 'auth-algorithms', kind: 'string', help: 'md5, sha-256, sha-512-256, comma-separated: one challenge each, strongest first (md5)' },
  { name: 'auth-qop', kind: 'string', help: "auth | auth-int | auth,auth-int; '' for none, RFC 2069 (auth)" },
  { name: 'nonce-expire', kind: 'int', help: 'seconds a nonce stays valid, then stale=true (30)' },
  { name: 'calculate-ha1', kind: 'bool', help: 'compute HA1 from the plain password column instead of reading the ha1 columns, 0/1 (0)' },
  { name: 'check-to', kind: 'bool', help: 'the AOR must be the authenticated user or one of its aliases, else 403, 0/1 (1)' },
  { name: 'nonce-binds-source', kind: 'bool', help: 'a nonce also covers the source IP address: credentials answering it from another address are challenged again, 0/1 (0)' },
  { name: 'auth-userhash', kind: 'bool', help: 'offer userhash=true (RFC 7616 §3.4.4): clients may send H(user:realm) instead of their user name, 0/1 (0)' },
  { name: 'auth-secret', kind: 'string', help: `nonce key SECRET[,OLD...]: the first signs, each verifies; or env ${AUTH_SECRET_ENV} (random per start)` },
];

/** The registrar's proxy authentication flag (RFC 3261 §22.3, OpenSIPS `proxy_authorize()`). */
export const PROXY_AUTH_FLAGS: readonly FlagSpec[] = [
  { name: 'auth-methods', kind: 'string', help: 'out-of-dialog requests of these methods are forwarded only with valid Proxy-Authorization, else 407, e.g. INVITE,MESSAGE (none)' },
];

/**
 * Flags of the source guard: a rate limit per source IP after the OpenSIPS `pike` module
 * (RFC 3261 §26.1.5) and bans after failed authentications (RFC 7616 §5).
 */
export const GUARD_FLAGS: readonly FlagSpec[] = [
  { name: 'pike-sampling-time-unit', kind: 'int', help: 'pike: the sampling period, s (2)' },
  { name: 'pike-reqs-density-per-unit', kind: 'int', help: 'pike: requests one IP may send per period, more are refused; turns the rate limit on (off)' },
  { name: 'pike-action', kind: 'string', help: 'pike: drop the requests over the rate, or reply 503 with Retry-After, drop | reply (drop)' },
  { name: 'ban-after', kind: 'int', help: 'failed authentications from one IP within --ban-window that ban it (see --ban-action); 0 off (10 with --auth-db)' },
  { name: 'ban-window', kind: 'int', help: 'the window of --ban-after, s (60)' },
  { name: 'ban-time', kind: 'int', help: 'how long a ban lasts, s (300)' },
  { name: 'ban-action', kind: 'string', help: 'drop the requests of a banned IP, or reply 403, drop | reply (drop)' },
  { name: 'guard-max-sources', kind: 'int', help: 'IPs each guard table (rates, failures, bans) keeps at most, the least recently seen forgotten first (100000)' },
];

/** Bans `--auth-db` brings without `--ban-after`: a phone retrying a stale password a few times is not banned. */
const DEFAULT_BAN_AFTER = 10;

/** Digest authentication as the flags set it, checked; the credential store is still to open. */
export interface DigestSettings {
  /** `--auth-db`, checked. */
  readonly db: AuthDbFlag;
  /** Everything of the authenticator but its ports. */
  readonly options: Omit<DigestAuthOptions, 'credentials' | 'clock' | 'logger'>;
  /** `--check-to`. */
  readonly checkTo: boolean;
  /** `--auth-methods`, upper-cased; empty: no proxy authentication. */
  readonly proxyMethods: readonly string[];
  /** For the startup line: the store (password hidden), the realm, the algorithms, never the secret. */
  readonly summary: string;
}

/** The guard's options as the flags set them, checked. */
export interface GuardSettings {
  readonly options: Omit<SourceGuardOptions, 'clock' | 'logger'>;
  /** For the startup line, e.g. `pike 30 requests per 2 s, ban after 10 failed authentications in 60 s for 300 s`. */
  readonly summary: string;
}

/** What the authentication and guard flags ask for, checked before anything opens. */
export interface AuthSettings {
  /** Undefined without `--auth-db`. */
  readonly digest: DigestSettings | undefined;
  /** Undefined when neither the rate limit nor bans are on. */
  readonly guard: GuardSettings | undefined;
}

/** Option paths (`DigestAuthOptions.x`, `SourceGuardOptions.x`) and the flags they come from, to name the flag of an option error. */
const OPTION_FLAGS: readonly (readonly [string, string])[] = [
  ['DigestAuthOptions.realm', 'auth-realm'],
  ['DigestAuthOptions.nonceExpire', 'nonce-expire'],
  ['DigestAuthOptions.userhash', 'auth-userhash'],
  ['SourceGuardOptions.pike.samplingTimeUnit', 'pike-sampling-time-unit'],
  ['SourceGuardOptions.pike.reqsDensityPerUnit', 'pike-reqs-density-per-unit'],
  ['SourceGuardOptions.pike.action', 'pike-action'],
  ['SourceGuardOptions.ban.after', 'ban-after'],
  ['SourceGuardOptions.ban.window', 'ban-window'],
  ['SourceGuardOptions.ban.time', 'ban-time'],
  ['SourceGuardOptions.ban.action', 'ban-action'],
  ['SourceGuardOptions.maxSources', 'guard-max-sources'],
];

/** `check()`, an option error becoming a usage error naming its flag (or `flag` when given). */
function checked<T>(check: () => T, flag?: string): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const name = flag ?? OPTION_FLAGS.find(([option]) => e.message.startsWith(option))?.[1];
    throw new CliUsageError(name === undefined ? e.message : `--${name}: ${e.message}`);
  }
}

/** The nonce secrets of `--auth-secret`, else of {@link AUTH_SECRET_ENV}; never echoed in an error. */
function secrets(values: FlagValues, env: NodeJS.ProcessEnv): string[] | undefined {
  const flag = flagValue<string>(values, 'auth-secret');
  const [source, value] = flag === undefined ? [AUTH_SECRET_ENV, env[AUTH_SECRET_ENV]] : ['--auth-secret', flag];
  if (value === undefined) return undefined;
  const list = value.split(',');
  if (list.includes('')) throw new CliUsageError(`${source}: a secret is empty; give SECRET[,OLD...] without an empty one, or leave it out for a random one`);
  return list;
}

/**
 * The environment that gives processes sharing one socket (`--workers`) one nonce secret, so that
 * a nonce one of them issued verifies on the others (RFC 7616 §3.3): a random
 * {@link AUTH_SECRET_ENV} when neither `--auth-secret` nor the variable names one, else nothing.
 */
export function sharedSecretEnv(values: FlagValues, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (values.has('auth-secret') || env[AUTH_SECRET_ENV] !== undefined) return {};
  return { [AUTH_SECRET_ENV]: randomBytes(32).toString('hex') };
}

/** ` (replied N)` for a guard that answers what it refuses, nothing for the default `drop`. */
const replied = (action: GuardAction, status: number): string => (action === 'reply' ? ` (replied ${status})` : '');

/** The guard of the flags (bans by default with `--auth-db`), checked; undefined when nothing is on. */
function guardSettings(values: FlagValues, authOn: boolean): GuardSettings | undefined {
  const density = flagValue<number>(values, 'pike-reqs-density-per-unit');
  const pikeOrphan = ['pike-sampling-time-unit', 'pike-action'].find((name) => values.has(name));
  if (density === undefined && pikeOrphan !== undefined) throw new CliUsageError(`--${pikeOrphan} needs --pike-reqs-density-per-unit (the requests one IP may send per period)`);
  const after = flagValue<number>(values, 'ban-after') ?? (authOn ? DEFAULT_BAN_AFTER : 0);
  const pikeAction = flagValue<GuardAction>(values, 'pike-action');
  const banAction = flagValue<GuardAction>(values, 'ban-action');
  const maxSources = flagValue<number>(values, 'guard-max-sources');
  const options = {
    pike: density === undefined ? undefined : { reqsDensityPerUnit: density, samplingTimeUnit: flagValue<number>(values, 'pike-sampling-time-unit'), action: pikeAction },
    ban: { after, window: flagValue<number>(values, 'ban-window'), time: flagValue<number>(values, 'ban-time'), action: banAction },
    maxSources,
  };
  const { pike, ban } = checked(() => resolveSourceGuardOptions(options));
  if (ban === undefined && banAction !== undefined) throw new CliUsageError('--ban-action: bans are off with --ban-after 0');
  if (pike === undefined && ban === undefined) {
    if (maxSources !== undefined) throw new CliUsageError('--guard-max-sources needs the rate limit (--pike-reqs-density-per-unit) or bans (--auth-db)');
    return undefined;
  }
  const parts = [
    ...(pike === undefined ? [] : [`pike ${pike.reqsDensityPerUnit} requests per ${pike.samplingTimeUnit} s${replied(pike.action, 503)}`]),
    ...(ban === undefined ? [] : [`ban after ${ban.after} failed authentications in ${ban.window} s for ${ban.time} s${replied(ban.action, 403)}`]),
    ...(maxSources === undefined ? [] : [`at most ${maxSources} IPs`]),
  ];
  return { options: ban === undefined ? { pike: options.pike, maxSources } : options, summary: parts.join(', ') };
}

/** The credential store of `--auth-db` for the startup line, as the location store's: a Redis password as `***`. */
function describeAuthDb(db: AuthDbFlag): string {
  if (db.kind === 'redis') return `redis ${redactUrl(db.spec)} (prefix ${db.keyPrefix ?? 'sipreg:'})`;
  return `${db.kind} ${withAbsolutePath(db.path)}${db.kind === 'sqlite' && db.table !== undefined ? ` table ${db.table}` : ''}`;
}

/**
 * The authentication and source-guard flags as settings, every value checked before any socket
 * or store opens (a missing `--auth-db` file is a runtime error here already). An authentication
 * or ban flag without `--auth-db` is a usage error naming `--auth-db`; the secret comes from
 * `--auth-secret` or else from `env`'s {@link AUTH_SECRET_ENV} and never appears in a message.
 * @throws {@link CliUsageError} naming the flag and the value; {@link CliRuntimeError} for a
 *   missing `--auth-db` file.
 */
export function resolveAuthSettings(values: FlagValues, env: NodeJS.ProcessEnv = process.env): AuthSettings {
  const db = parseAuthDbFlag(values, { create: false });
  if (db === undefined) {
    const orphan = [...AUTH_FLAGS, ...PROXY_AUTH_FLAGS, ...GUARD_FLAGS.filter((f) => f.name.startsWith('ban-'))].find((f) => values.has(f.name));
    if (orphan !== undefined) throw new CliUsageError(`--${orphan.name} needs --auth-db (the subscribers to authenticate against)`);
    return { digest: undefined, guard: guardSettings(values, false) };
  }
  const algorithms = flagValue<string>(values, 'auth-algorithms');
  const qop = flagValue<string>(values, 'auth-qop');
  const methods = flagValue<string>(values, 'auth-methods');
  const options = {
    realm: flagValue<string>(values, 'auth-realm'),
    algorithms: algorithms === undefined ? undefined : checked(() => parseDigestAlgorithms(algorithms), 'auth-algorithms'),
    qop: qop === undefined ? undefined : checked(() => parseQop(qop), 'auth-qop'),
    nonceExpire: flagValue<number>(values, 'nonce-expire'),
    calculateHa1: flagValue<boolean>(values, 'calculate-ha1'),
    nonceBindsSource: flagValue<boolean>(values, 'nonce-binds-source'),
    userhash: flagValue<boolean>(values, 'auth-userhash'),
    secret: secrets(values, env),
  };
  const resolved = checked(() => resolveDigestAuthSettings(options));
  const proxyMethods = methods === undefined ? [] : [...checked(() => challengedMethods(methods.split(',')), 'auth-methods')];
  const summary = [
    describeAuthDb(db),
    `realm ${resolved.realm ?? 'To/From domain'}`,
    `algorithms ${resolved.algorithms.join(', ')}`,
    ...(resolved.userhash ? ['userhash'] : []),
    ...(resolved.nonceBindsSource ? ['nonces bound to the source IP'] : []),
    ...(proxyMethods.length === 0 ? [] : [`proxy authentication of ${proxyMethods.join(', ')}`]),
  ].join('; ');
  return {
    digest: { db, options, checkTo: flagValue<boolean>(values, 'check-to') ?? true, proxyMethods, summary },
    guard: guardSettings(values, true),
  };
}

/** What {@link startAuth} opened and built. */
export interface RunningAuth {
  /** The digest authenticator, shared by the registrar, the reg-event notifier and proxy authentication. */
  readonly authenticator: Authenticator | undefined;
  /** Proxy authentication for the registrar server, when `--auth-methods` was given. */
  readonly proxyAuth: ProxyAuthOptions | undefined;
  /** The guard for the registrar server; it logs its own bans and rate limits. */
  readonly guard: SourceGuard | undefined;
  /** The startup lines (`auth: ...`, `guard: ...`). */
  readonly lines: readonly string[];
  /** A JSON-file `--auth-db` and its path, which SIGHUP reads again (`reloadCredentialsOnSighup`). */
  readonly jsonFile: { readonly path: string; readonly store: JsonFileCredentialStore } | undefined;
  /** Close the credential store. */
  close(): Promise<void>;
}

/**
 * Open the credential store of {@link resolveAuthSettings}'s settings and build the authenticator
 * and the guard on `logger`. A store that cannot be opened (no `subscriber` table, bad JSON, an
 * unreachable Redis, a driver not installed) is a {@link CliRuntimeError} naming `--auth-db`; a
 * store without `lookupByUserhash` given `--auth-userhash 1` a {@link CliUsageError} naming it.
 */
export async function startAuth(settings: AuthSettings, logger: Logger): Promise<RunningAuth> {
  const { digest, guard } = settings;
  let store: CredentialStore | undefined;
  let authenticator: Authenticator | undefined;
  if (digest !== undefined) {
    const opened = await openCredentialStore(digest.db, { create: false });
    store = opened;
    try {
      authenticator = checked(() => createDigestAuthenticator({ ...digest.options, credentials: opened, logger }));
    } catch (e) {
      await opened.close?.();
      throw e;
    }
  }
  const methods = digest?.proxyMethods ?? [];
  return {
    authenticator,
    proxyAuth: authenticator === undefined || methods.length === 0 ? undefined : { authenticator, methods },
    guard: guard === undefined ? undefined : createSourceGuard({ ...guard.options, logger }),
    lines: [...(digest === undefined ? [] : [`auth: ${digest.summary}`]), ...(guard === undefined ? [] : [`guard: ${guard.summary}`])],
    jsonFile: digest?.db.kind === 'json' && store instanceof JsonFileCredentialStore ? { path: digest.db.path, store } : undefined,
    async close() {
      await store?.close?.();
    },
  };
}
