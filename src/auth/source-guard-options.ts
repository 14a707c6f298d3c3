import { ConfigError } from '../errors/sdk-error';
import { integerOption } from '../errors/integer-option';
import { systemClock, type Clock } from '../ports/clock';
import { silentLogger, type Logger } from '../ports/logger';

/**
 * What the host does with a refused request: `drop` sends nothing (the flood gets no amplification
 * and learns nothing), `reply` answers it (503 `rate-limited` with `Retry-After`, RFC 3261 §21.5.4,
 * or 403 `source-banned`, §21.4.4).
 */
export type GuardAction = 'drop' | 'reply';

/**
 * The per-source rate limit against floods (RFC 3261 §26.1.5 denial of service), after the
 * OpenSIPS/Kamailio `pike` module: a source sending more than `reqsDensityPerUnit` requests per
 * `samplingTimeUnit` seconds is refused until its rate falls back.
 */
export interface PikeOptions {
  /** `sampling_time_unit` (s): the sampling period. @defaultValue 2 */
  readonly samplingTimeUnit?: number;
  /** `reqs_density_per_unit`: requests a source may send per sampling unit. @defaultValue 30 */
  readonly reqsDensityPerUnit?: number;
  /** What to do with a request refused as `rate-limited`. @defaultValue 'drop' */
  readonly action?: GuardAction;
}

/**
 * Bans after failed authentications, against online password guessing of digest credentials
 * (RFC 7616 §5 security considerations): the fail2ban `maxretry` / `findtime` / `bantime` triple,
 * in process.
 */
export interface BanOptions {
  /** Failed authentications within `window` that ban a source (fail2ban `maxretry`); 0 turns bans off. At most 100. */
  readonly after: number;
  /** The window (s) the failures are counted in (fail2ban `findtime`). @defaultValue 60 */
  readonly window?: number;
  /** How long (s) a ban lasts (fail2ban `bantime`). @defaultValue 300 */
  readonly time?: number;
  /** What to do with a request from a banned source. @defaultValue 'drop' */
  readonly action?: GuardAction;
}

/** Options of {@link createSourceGuard}. Each protection is off unless its options are given. */
export interface SourceGuardOptions {
  /** The per-source rate limit. @defaultValue absent: no rate limit */
  readonly pike?: PikeOptions;
  /** Bans after failed authentications. @defaultValue absent: no bans */
  readonly ban?: BanOptions;
  /** Entries each per-source table (rates, failures, bans) holds at most, least recently seen evicted first. @defaultValue 100000 */
  readonly maxSources?: number;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Receives one `warn` line per ban and per source turning hot. @defaultValue silent */
  readonly logger?: Logger;
}

/** {@link PikeOptions} with every default applied. */
export interface ResolvedPikeOptions {
  readonly samplingTimeUnit: number;
  readonly reqsDensityPerUnit: number;
  readonly action: GuardAction;
}

/** {@link BanOptions} with every default applied; only present when `after` > 0. */
export interface ResolvedBanOptions {
  readonly after: number;
  readonly window: number;
  readonly time: number;
  readonly action: GuardAction;
}

/** {@link SourceGuardOptions} with every default applied, frozen. */
export interface ResolvedSourceGuardOptions {
  /** Absent when the rate limit is off. */
  readonly pike: ResolvedPikeOptions | undefined;
  /** Absent when bans are off (no `ban`, or `ban.after` 0). */
  readonly ban: ResolvedBanOptions | undefined;
  readonly maxSources: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The most failures a ban may wait for: each failing source keeps the times of its last `after` failures. */
const MAX_BAN_AFTER = 100;

const integer = (name: string, value: number | undefined, fallback: number, min: number, max?: number): number =>
  integerOption('SourceGuardOptions', name, value, fallback, min, max);

function action(name: string, value: GuardAction | undefined): GuardAction {
  const v = value ?? 'drop';
  if (v !== 'drop' && v !== 'reply') throw new ConfigError(`SourceGuardOptions.${name} must be 'drop' or 'reply', got ${String(v)}`);
  return v;
}

function resolvePike(pike: PikeOptions): ResolvedPikeOptions {
  return Object.freeze({
    samplingTimeUnit: integer('pike.samplingTimeUnit', pike.samplingTimeUnit, 2, 1, 3600),
    reqsDensityPerUnit: integer('pike.reqsDensityPerUnit', pike.reqsDensityPerUnit, 30, 1),
    action: action('pike.action', pike.action),
  });
}

function resolveBan(ban: BanOptions): ResolvedBanOptions | undefined {
  if (ban.after === undefined) throw new ConfigError('SourceGuardOptions.ban needs after: the number of failed authentications that ban a source (0 for no bans)');
  const after = integer('ban.after', ban.after, 0, 0, MAX_BAN_AFTER);
  const resolved = Object.freeze({
    after,
    window: integer('ban.window', ban.window, 60, 1),
    time: integer('ban.time', ban.time, 300, 1),
    action: action('ban.action', ban.action),
  });
  return after === 0 ? undefined : resolved;
}

function section<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new ConfigError(`SourceGuardOptions.${name} must be an object (leave it out to turn it off), got ${String(value)}`);
  }
  return value;
}

/**
 * Check and freeze the options.
 * @throws {@link ConfigError} for a `pike` or `ban` that is not an object, a `ban` without
 *   `after`, a value out of range or not an integer, or an action other than `drop` / `reply`.
 */
export function resolveSourceGuardOptions(options: SourceGuardOptions = {}): ResolvedSourceGuardOptions {
  const pike = section('pike', options.pike);
  const ban = section('ban', options.ban);
  return Object.freeze({
    pike: pike === undefined ? undefined : resolvePike(pike),
    ban: ban === undefined ? undefined : resolveBan(ban),
    maxSources: integer('maxSources', options.maxSources, 100_000, 1, 10_000_000),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  });
}
