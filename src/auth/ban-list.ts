import { LRUCache } from 'lru-cache';
import type { Clock } from '../ports/clock';
import type { ResolvedBanOptions } from './source-guard-options';

/** A source banned after failed authentications (RFC 7616 §5, online password guessing). */
export interface SourceBan {
  /** The source IP address, as the host passed it. */
  readonly address: string;
  /** When the ban runs out, epoch ms. */
  readonly untilMs: number;
  /** The failed authentications within the window that caused it. */
  readonly failures: number;
}

/**
 * Why a ban ended: it ran out (seen when the source came back, or listed), `unban` lifted it, or
 * the ban table was full and a newer ban evicted it before it ran out.
 */
export type UnbanReason = 'expired' | 'unban' | 'evicted';

/** The times of one source's last `after` failures, a ring over a fixed array (nothing allocated per failure). */
class FailureTimes {
  readonly #times: Float64Array;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.#times = new Float64Array(size);
  }

  /** Record a failure at `nowMs`; true when it is the last of `size` failures within `windowMs`. */
  record(nowMs: number, windowMs: number): boolean {
    const times = this.#times;
    times[this.#next] = nowMs;
    this.#next = this.#next + 1 === times.length ? 0 : this.#next + 1;
    if (this.#count < times.length) this.#count++;
    return this.#count === times.length && nowMs - times[this.#next] < windowMs;
  }
}

/**
 * Failed authentications per source and the bans they lead to: a source with `after` failures
 * within `window` seconds is banned for `time` seconds (fail2ban's `maxretry`, `findtime`,
 * `bantime`). A ban clears the source's failures; failures reported while it is banned do not count
 * (they cannot extend it).
 *
 * Two separate LRU tables of `maxSources` entries each bound the memory: the failure times (a
 * sliding window, exact, `after` numbers per failing source) and the bans. Requests alone never
 * touch the ban table, so a flood of new sources cannot push a ban out; only `maxSources` newer
 * bans can, each earned with `after` failed authentications. The least recently seen ban goes
 * first, reported as `evicted`. Expired bans are removed lazily, when the source comes back or the
 * bans are listed.
 */
export class BanList {
  readonly #failures: LRUCache<string, FailureTimes>;
  readonly #bans: LRUCache<string, SourceBan>;
  readonly #windowMs: number;
  readonly #timeMs: number;

  /** `onLift` hears every ban that ends, with why, after it left the table. */
  constructor(
    private readonly options: ResolvedBanOptions,
    maxSources: number,
    clock: Clock,
    private readonly onLift: (ban: SourceBan, reason: UnbanReason) => void,
  ) {
    this.#windowMs = options.window * 1000;
    this.#timeMs = options.time * 1000;
    this.#failures = new LRUCache({ max: maxSources });
    this.#bans = new LRUCache({
      max: maxSources,
      disposeAfter: (ban, _address, reason) => {
        if (reason === 'evict') onLift(ban, ban.untilMs > clock.now() ? 'evicted' : 'expired');
      },
    });
  }

  /** Whether `address` is banned at `nowMs`; a ban found run out is removed and reported `expired`. */
  isBanned(address: string, nowMs: number): boolean {
    const ban = this.#bans.get(address);
    if (ban === undefined) return false;
    if (nowMs < ban.untilMs) return true;
    this.#bans.delete(address);
    this.onLift(ban, 'expired');
    return false;
  }

  /** Count a failed authentication of `address` at `nowMs`; answers the ban it starts, if it does. */
  failed(address: string, nowMs: number): SourceBan | undefined {
    if (this.isBanned(address, nowMs)) return undefined;
    let times = this.#failures.get(address);
    if (times === undefined) {
      times = new FailureTimes(this.options.after);
      this.#failures.set(address, times);
    }
    if (!times.record(nowMs, this.#windowMs)) return undefined;
    this.#failures.delete(address);
    const ban: SourceBan = Object.freeze({ address, untilMs: nowMs + this.#timeMs, failures: this.options.after });
    this.#bans.set(address, ban);
    return ban;
  }

  /** Lift the ban of `address`, reported `unban`; false when it was not banned (or its ban had run out). */
  lift(address: string, nowMs: number): boolean {
    const ban = this.#bans.peek(address);
    if (ban === undefined) return false;
    this.#bans.delete(address);
    const active = nowMs < ban.untilMs;
    this.onLift(ban, active ? 'unban' : 'expired');
    return active;
  }

  /** The bans in force at `nowMs`, most recently seen first; the ones run out are removed and reported `expired`. */
  list(nowMs: number): readonly SourceBan[] {
    const active: SourceBan[] = [];
    const expired: SourceBan[] = [];
    for (const ban of this.#bans.values()) (nowMs < ban.untilMs ? active : expired).push(ban);
    for (const ban of expired) {
      this.#bans.delete(ban.address);
      this.onLift(ban, 'expired');
    }
    return active;
  }

  /** Entries in the failure table (sources with failures and no ban). */
  get failureEntries(): number {
    return this.#failures.size;
  }

  /** Entries in the ban table, including bans run out and not yet seen. */
  get banEntries(): number {
    return this.#bans.size;
  }
}
