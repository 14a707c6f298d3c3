import type { Clock, TimerHandle } from '../ports/clock';
import { ConfigError } from '../errors/sdk-error';

/** A timer waiting in a {@link ManualClock}. `seq` keeps equal due times in scheduling order. */
interface ManualTimer {
  readonly dueAt: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** True when `a` must fire before `b`: earlier due time first, then scheduling order. */
const firesBefore = (a: ManualTimer, b: ManualTimer): boolean =>
  a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);

/**
 * A {@link Clock} that only moves when the test says so, so registration timers
 * (RFC 3261 §10.2.1 expiry, RFC 5626 §4.4 flow timers, registrant refresh) are tested
 * without fake timers or real waiting.
 *
 * Timers fire inside {@link ManualClock.advance}, in due-time order (ties in scheduling
 * order), with {@link ManualClock.now} set to each timer's due time while it runs. A timer
 * scheduled by a firing timer also fires in the same `advance` call when it falls due within
 * the advanced window. If a timer throws, `advance` stops and rethrows: the clock stays at that
 * timer's due time and later timers stay pending.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_700_000_000_000);
 * clock.setTimer(1000, () => console.log('fired at', clock.now()));
 * clock.advance(1000); // fired at 1700000001000
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #live = 0;
  /**
   * Binary min-heap ordered by {@link firesBefore}. Cancelled timers are dropped when they reach
   * the top, or all at once when they outnumber the live ones (tests that re-arm timers often).
   */
  #heap: ManualTimer[] = [];

  /**
   * @param startMs - Initial time, epoch milliseconds.
   * @defaultValue `startMs` = 0
   */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new ConfigError(`ManualClock startMs must be a finite number, got ${startMs}`);
    this.#now = startMs;
  }

  /** Current time, epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Schedule `fn` to run once when the clock reaches `now() + delayMs`. A negative or
   * non-finite delay counts as 0 (like `setTimeout`), so it fires on the next `advance`.
   */
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: ManualTimer = { dueAt: this.#now + delay, seq: this.#seq++, fn, cancelled: false };
    this.#push(timer);
    this.#live++;
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.#live--;
        if (this.#heap.length > 2 * this.#live + 64) this.#compact();
      },
    };
  }

  /**
   * Move time forward by `ms` (≥ 0), firing every timer that falls due on the way, then
   * leave the clock at the end of the window.
   * @throws {@link ConfigError} when `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ConfigError(`ManualClock.advance needs a finite ms >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (let next = this.#peek(); next !== undefined && next.dueAt <= target; next = this.#peek()) {
      this.#pop();
      if (next.cancelled) continue;
      next.cancelled = true;
      this.#live--;
      this.#now = next.dueAt;
      next.fn();
    }
    this.#now = target;
  }

  /** Number of timers scheduled and neither fired nor cancelled. */
  pending(): number {
    return this.#live;
  }

  /** Drop cancelled timers; a sorted array is a valid heap. */
  #compact(): void {
    this.#heap = this.#heap
      .filter((t) => !t.cancelled)
      .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
  }

  #peek(): ManualTimer | undefined {
    return this.#heap[0];
  }

  #push(timer: ManualTimer): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!firesBefore(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && firesBefore(heap[right], heap[left]) ? right : left;
      if (!firesBefore(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}
