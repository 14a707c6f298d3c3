import { ConfigError } from '../../errors/sdk-error';

/**
 * RFC 8599 (SIP push notification) support of the registrar: the OpenSIPS `pn_*` module
 * parameters in camelCase, with the same defaults, plus the retry policy of pushes that get no
 * re-REGISTER (OpenSIPS sends one push and gives up).
 */
export interface PushOptions {
  /**
   * Handle RFC 8599 Contacts (`pn_enable`): match them by {@link ctMatchParams}, answer with
   * Feature-Caps, push before lookups. When false the registrar installs no push feature and
   * `pn-*` Contacts are plain bindings. @defaultValue false
   */
  readonly enabled?: boolean;
  /**
   * Push Notification Services this registrar requests pushes from (`pn_providers`): RFC 8599
   * defines `apns`, `fcm` and `webpush`, other names are accepted. A REGISTER naming another
   * provider gets 555 (RFC 8599 §6). A list or a comma-separated string. Compared exactly.
   * Required (non-empty) when {@link enabled}, as OpenSIPS refuses to start without it.
   * @defaultValue none
   */
  readonly providers?: readonly string[] | string;
  /**
   * URI parameters that identify a device (`pn_ct_match_params`): a Contact carrying all of them
   * refreshes the stored binding with the same values, whatever the rest of its URI.
   * A list or a comma-separated string; names are case-insensitive.
   * @defaultValue `['pn-provider', 'pn-prid', 'pn-param']`
   */
  readonly ctMatchParams?: readonly string[] | string;
  /**
   * Seconds before expiry at which a UA that registered with `+sip.pnsreg` should refresh on its
   * own, sent as `+sip.pnsreg="<n>"` in the 200's Feature-Caps (`pn_pnsreg_interval`).
   * @defaultValue 130
   */
  readonly pnsregIntervalSec?: number;
  /**
   * Seconds before expiry at which a push binding that has not been refreshed gets a push with
   * reason `expiring` (`pn_trigger_interval`). @defaultValue 120
   */
  readonly triggerIntervalSec?: number;
  /**
   * Seconds after a (re)registration during which a push binding counts as reachable and lookups
   * send no push (`pn_skip_pn_interval`); 0 pushes on every lookup. @defaultValue 0
   */
  readonly skipPnIntervalSec?: number;
  /**
   * Seconds a lookup or `processPurr` waits for the pushed device's re-REGISTER
   * (`pn_refresh_timeout`). @defaultValue 6
   */
  readonly refreshTimeoutSec?: number;
  /**
   * Hand out a PURR (`+sip.pnspurr`) in the 200 so a UA can ask for pushes before mid-dialog
   * requests (`pn_enable_purr`, RFC 8599 long-lived dialogs). Needs {@link purrSecret}.
   * @defaultValue false
   */
  readonly enablePurr?: boolean;
  /**
   * Secret(s) the PURR tokens are sealed with (AES-256-GCM, see TokenSealer): the first seals,
   * all open, so a rotated-out secret keeps earlier PURRs valid while it stays listed.
   */
  readonly purrSecret?: string | readonly string[];
  /**
   * Pushes sent for one wake-up before giving up, the first included; 1 is the OpenSIPS behaviour.
   * @defaultValue 3
   */
  readonly maxPushAttempts?: number;
  /**
   * Delay before the first retry, in seconds; each further retry waits twice as long. A lookup's
   * retries stay within its {@link refreshTimeoutSec}; an `expiring` push retries until expiry.
   * @defaultValue 2
   */
  readonly pushRetrySec?: number;
  /** Random spread of each retry delay, as a fraction (0.2 = ±20 %). @defaultValue 0.2 */
  readonly pushRetryJitter?: number;
}

/** {@link PushOptions} with defaults applied and lists split. */
export interface ResolvedPushOptions {
  readonly enabled: boolean;
  readonly providers: readonly string[];
  /** Lower-cased. */
  readonly ctMatchParams: readonly string[];
  readonly pnsregIntervalSec: number;
  readonly triggerIntervalSec: number;
  readonly skipPnIntervalSec: number;
  readonly refreshTimeoutSec: number;
  readonly enablePurr: boolean;
  /** Empty unless {@link PushOptions.enablePurr}. */
  readonly purrSecret: readonly string[];
  readonly maxPushAttempts: number;
  readonly pushRetrySec: number;
  readonly pushRetryJitter: number;
}

/** A provider name or URI parameter name: RFC 3261 token characters, no quote or comma. */
const NAME = /^[A-Za-z0-9.!%*_+`'~-]+$/;

function list(value: readonly string[] | string | undefined, fallback: readonly string[], what: string): readonly string[] {
  if (value === undefined) return fallback;
  const items = (typeof value === 'string' ? value.split(',') : value).map((s) => (typeof s === 'string' ? s.trim() : s));
  const kept = items.filter((s) => s !== '');
  for (const s of kept) {
    if (typeof s !== 'string' || !NAME.test(s)) throw new ConfigError(`PushOptions.${what}: '${String(s)}' is not a token (letters, digits, - . ! % * _ + \` ' ~)`);
  }
  return Object.freeze([...new Set(kept)]);
}

function seconds(value: number | undefined, fallback: number, what: string, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new ConfigError(`PushOptions.${what} must be an integer of seconds >= ${min}, got ${String(v)}`);
  return v;
}

/**
 * Apply defaults and validate once; throws {@link ConfigError} saying which option to fix.
 * Push enabled without providers, or PURRs without a secret, are refused like OpenSIPS refuses
 * to start.
 */
export function resolvePushOptions(options: PushOptions = {}): ResolvedPushOptions {
  const enabled = options.enabled ?? false;
  const enablePurr = options.enablePurr ?? false;
  const providers = list(options.providers, [], 'providers');
  const ctMatchParams = list(options.ctMatchParams, ['pn-provider', 'pn-prid', 'pn-param'], 'ctMatchParams').map((p) => p.toLowerCase());
  if (ctMatchParams.length === 0) throw new ConfigError('PushOptions.ctMatchParams must name at least one URI parameter (e.g. "pn-provider, pn-prid")');
  if (enabled && providers.length === 0) throw new ConfigError('PushOptions.providers must list the push services to accept (e.g. ["apns", "fcm"]) when push is enabled');
  const secrets = options.purrSecret === undefined ? [] : typeof options.purrSecret === 'string' ? [options.purrSecret] : [...options.purrSecret];
  if (enablePurr && (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s === ''))) {
    throw new ConfigError('PushOptions.enablePurr needs purrSecret: one non-empty secret, or a list whose first entry seals');
  }
  const maxPushAttempts = options.maxPushAttempts ?? 3;
  if (!Number.isInteger(maxPushAttempts) || maxPushAttempts < 1) throw new ConfigError(`PushOptions.maxPushAttempts must be an integer >= 1 (1 = one push, no retry), got ${String(maxPushAttempts)}`);
  const pushRetrySec = options.pushRetrySec ?? 2;
  if (!Number.isFinite(pushRetrySec) || pushRetrySec <= 0) throw new ConfigError(`PushOptions.pushRetrySec must be a number of seconds > 0, got ${String(pushRetrySec)}`);
  const pushRetryJitter = options.pushRetryJitter ?? 0.2;
  if (!Number.isFinite(pushRetryJitter) || pushRetryJitter < 0 || pushRetryJitter >= 1) throw new ConfigError(`PushOptions.pushRetryJitter must be a fraction in [0, 1), got ${String(pushRetryJitter)}`);
  return Object.freeze({
    enabled,
    providers,
    ctMatchParams: Object.freeze(ctMatchParams),
    pnsregIntervalSec: seconds(options.pnsregIntervalSec, 130, 'pnsregIntervalSec', 0),
    triggerIntervalSec: seconds(options.triggerIntervalSec, 120, 'triggerIntervalSec', 0),
    skipPnIntervalSec: seconds(options.skipPnIntervalSec, 0, 'skipPnIntervalSec', 0),
    refreshTimeoutSec: seconds(options.refreshTimeoutSec, 6, 'refreshTimeoutSec', 1),
    enablePurr,
    purrSecret: Object.freeze(enablePurr ? secrets : []),
    maxPushAttempts,
    pushRetrySec,
    pushRetryJitter,
  });
}
