/** What decides how long a failed registrant waits before its next attempt. */
export interface RetryDelayInput {
  /** Consecutive failures, this one included (≥ 1). */
  readonly failures: number;
  /** The longest wait (s): `failure_retry_interval`, or the registrant's expiry when not set. */
  readonly capSec: number;
  /** RFC 5626 §4.5 base-time (s); 0 turns the backoff off (always wait `capSec`). */
  readonly baseSec: number;
  /** A `Retry-After` the registrar sent (RFC 3261 §20.33), which wins. */
  readonly retryAfterSec?: number;
  /** A random number in [0, 1) for the jitter. */
  readonly random: number;
}

/**
 * Milliseconds until the next attempt after a failure. A `Retry-After` is honoured as sent.
 * Otherwise the RFC 5626 §4.5 backoff: `wait = min(capSec, baseSec · 2^failures)`, and the
 * actual delay is uniformly 50–100 % of `wait`, so registrants that failed together (a registrar
 * restart) do not come back together.
 */
export function retryDelayMs(input: RetryDelayInput): number {
  if (input.retryAfterSec !== undefined) return input.retryAfterSec * 1000;
  if (input.baseSec === 0) return input.capSec * 1000;
  const waitSec = Math.min(input.capSec, input.baseSec * 2 ** Math.min(input.failures, 30));
  return Math.round(waitSec * 1000 * (0.5 + input.random / 2));
}
