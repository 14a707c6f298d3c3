/** A cancellable timer handle from a {@link Clock}. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The only time source of sipreg. The default is the system clock; tests use the manual clock
 * from `sipreg/testing` and advance time explicitly (no fake timers).
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Run `fn` once after `delayMs`. The timer must not keep the process alive. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

/** The system clock: `Date.now()` and unref'd `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, delayMs);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
});
