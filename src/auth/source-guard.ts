import { EventEmitter } from 'eventemitter3';
import { LRUCache } from 'lru-cache';
import { BanList, type SourceBan, type UnbanReason } from './ban-list';
import { RateWindow } from './rate-window';
import type { SourceGuardEvents } from './source-guard-events';
import { resolveSourceGuardOptions, type GuardAction, type ResolvedSourceGuardOptions, type SourceGuardOptions } from './source-guard-options';

/**
 * The verdict of {@link SourceGuard.admit}: `ok`, `rate-limited` (over the `pike` density; reply
 * 503 with `Retry-After`, RFC 3261 §21.5.4, or drop) or `banned` (after failed authentications;
 * reply 403, §21.4.4, or drop).
 */
export type AdmitVerdict = 'ok' | 'rate-limited' | 'banned';

/** Sizes of the per-source tables of a {@link SourceGuard}, each at most `maxSources`. */
export interface SourceGuardStats {
  /** Sources with a request rate (0 without `pike`). */
  readonly rateEntries: number;
  /** Sources with failed authentications and no ban (0 without `ban`). */
  readonly failureEntries: number;
  /** Bans, including those run out and not yet seen (0 without `ban`). */
  readonly banEntries: number;
}

/**
 * Abuse protection per source IP address, in front of the registrar: a rate limit after the
 * OpenSIPS/Kamailio `pike` module (RFC 3261 §26.1.5 denial of service) and bans after failed
 * authentications, fail2ban-style (RFC 7616 §5, online password guessing). Create it with
 * {@link createSourceGuard}; the host calls {@link SourceGuard.admit} for every request before
 * parsing it further, and {@link SourceGuard.authFailed} for every authentication that failed.
 *
 * The rate limit counts a source's requests per sampling unit with a sliding estimate (the
 * previous unit weighted by the part of it still within the last unit, plus the current unit), so
 * a burst straddling a unit boundary is caught. A source whose estimate exceeds
 * `reqsDensityPerUnit` is hot: refused until the estimate falls back to the density. Refused
 * requests count too, as in pike, so a flood that keeps going stays refused; at most
 * `reqsDensityPerUnit` requests of a source are admitted per unit.
 *
 * A successful authentication does not reset the failures (there is no such call): a guesser that
 * holds one valid account and interleaves it with its guesses is still banned, as with fail2ban,
 * which only sees failures. A legitimate phone with a wrong password is banned like a guesser;
 * {@link SourceGuard.unban} lifts it.
 *
 * Memory is bounded under a flood of distinct (spoofed) sources: the rate, failure and ban tables
 * are separate LRU caches of `maxSources` entries each; at the bound the least recently seen
 * entry is dropped. Requests only touch the rate table, so a flood of new sources evicts rate
 * entries (forgetting a quiet source's rate costs nothing) but never a ban. Each operation is
 * O(1), and a request from a known source allocates nothing.
 */
export class SourceGuard {
  /** The resolved options (frozen). */
  readonly options: ResolvedSourceGuardOptions;
  /** `banned`, `unbanned`, `rate-limited`. */
  readonly events = new EventEmitter<SourceGuardEvents>();
  readonly #rates: LRUCache<string, RateWindow> | undefined;
  readonly #bans: BanList | undefined;
  readonly #unitMs: number;
  readonly #density: number;

  /** @throws {@link ConfigError} for bad options (see {@link resolveSourceGuardOptions}). */
  constructor(options?: SourceGuardOptions) {
    this.options = resolveSourceGuardOptions(options);
    const { pike, ban, maxSources, clock } = this.options;
    this.#unitMs = (pike?.samplingTimeUnit ?? 0) * 1000;
    this.#density = pike?.reqsDensityPerUnit ?? 0;
    this.#rates = pike === undefined ? undefined : new LRUCache({ max: maxSources });
    this.#bans = ban === undefined ? undefined : new BanList(ban, maxSources, clock, this.#lifted);
  }

  /** What the host does with a `rate-limited` request. @defaultValue 'drop' */
  get pikeAction(): GuardAction {
    return this.options.pike?.action ?? 'drop';
  }

  /** What the host does with a `banned` request. @defaultValue 'drop' */
  get banAction(): GuardAction {
    return this.options.ban?.action ?? 'drop';
  }

  /**
   * Count a request from `address` (the source IP) and say whether to serve it. Bans are checked
   * first; a banned source's requests do not count for the rate. When a source turns hot, one
   * `rate-limited` event and one `warn` line; nothing more while it stays hot.
   */
  admit(address: string): AdmitVerdict {
    const nowMs = this.options.clock.now();
    if (this.#bans?.isBanned(address, nowMs) === true) return 'banned';
    const rates = this.#rates;
    if (rates === undefined) return 'ok';
    let window = rates.get(address);
    if (window === undefined) {
      window = new RateWindow(nowMs, this.#unitMs);
      rates.set(address, window);
    }
    const rate = window.count(nowMs);
    if (rate <= this.#density) {
      window.hot = false;
      return 'ok';
    }
    if (!window.hot) {
      window.hot = true;
      this.#turnedHot(address, Math.ceil(rate));
    }
    return 'rate-limited';
  }

  /**
   * Report a failed authentication from `address` (an `AuthOutcome` with `failed: true`).
   * The `ban.after`-th failure within `ban.window` seconds bans the source for `ban.time` seconds,
   * with one `banned` event and one `warn` line for fail2ban:
   * `sipreg: banned <address> for <time> s after <n> failed authentications`, with
   * `{ source, banSec, failures }`. Failures of a banned source do not count. Nothing without `ban`.
   */
  authFailed(address: string): void {
    const ban = this.#bans?.failed(address, this.options.clock.now());
    if (ban === undefined) return;
    const banSec = this.options.ban?.time;
    this.options.logger.warn({ source: address, banSec, failures: ban.failures }, `sipreg: banned ${address} for ${banSec} s after ${ban.failures} failed authentications`);
    this.events.emit('banned', ban);
  }

  /** Lift the ban of `address` (an `unbanned` event with reason `unban`); false when it was not banned. */
  unban(address: string): boolean {
    return this.#bans?.lift(address, this.options.clock.now()) ?? false;
  }

  /** The bans in force, most recently seen first; bans found run out end here (`unbanned`, `expired`). */
  bans(): readonly SourceBan[] {
    return this.#bans?.list(this.options.clock.now()) ?? [];
  }

  /** Current sizes of the per-source tables. */
  stats(): SourceGuardStats {
    return {
      rateEntries: this.#rates?.size ?? 0,
      failureEntries: this.#bans?.failureEntries ?? 0,
      banEntries: this.#bans?.banEntries ?? 0,
    };
  }

  #turnedHot(address: string, rate: number): void {
    const unit = this.#unitMs / 1000;
    this.options.logger.warn({ source: address, rate, samplingTimeUnit: unit }, `sipreg: rate-limited ${address}: ${rate} requests in ${unit} s, over ${this.#density}`);
    this.events.emit('rate-limited', { address, rate });
  }

  readonly #lifted = (ban: SourceBan, reason: UnbanReason): void => {
    const { address } = ban;
    if (reason === 'evicted') {
      this.options.logger.warn({ source: address, untilMs: ban.untilMs }, `sipreg: ban table full (maxSources ${this.options.maxSources}), lifted the ban of ${address} before it ran out`);
    } else {
      this.options.logger.info({ source: address, reason }, `sipreg: unbanned ${address} (${reason})`);
    }
    this.events.emit('unbanned', { address, reason });
  };
}

/**
 * Create a {@link SourceGuard}. Each protection is off unless its options are given.
 * @throws {@link ConfigError} for bad options (see {@link resolveSourceGuardOptions}).
 * @example
 * ```ts
 * const guard = createSourceGuard({ pike: { reqsDensityPerUnit: 30 }, ban: { after: 5 }, logger });
 * if (guard.admit(rinfo.address) !== 'ok') return; // drop
 * ```
 */
export function createSourceGuard(options?: SourceGuardOptions): SourceGuard {
  return new SourceGuard(options);
}
