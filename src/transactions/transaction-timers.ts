import { integerOption } from '../errors/integer-option';

/** The timer values of the transaction layer (RFC 3261 §17, Table 4), in milliseconds. */
export interface TransactionTimers {
  /** T1, the round-trip estimate: the first retransmission interval (Timers A, E, G). @defaultValue 500 */
  readonly t1Ms: number;
  /** T2, the longest retransmission interval of a non-INVITE request and of an INVITE's final response (Timers E, G). @defaultValue 4000 */
  readonly t2Ms: number;
  /** T4, how long a message may stay in the network: Timers I and K. @defaultValue 5000 */
  readonly t4Ms: number;
  /**
   * The transaction timeout, Timer F; Timers B, D, H, L and M last as long (RFC 3261 Table 4,
   * RFC 6026 §8.11). @defaultValue 64 × `t1Ms`
   */
  readonly timerFMs: number;
}

/**
 * The timers with their defaults applied.
 * @param owner - the options type, named in the error (`NodeTransportOptions`).
 * @throws {@link ConfigError} when a value is not a positive integer.
 */
export function resolveTransactionTimers(owner: string, options: Partial<TransactionTimers>): TransactionTimers {
  const t1Ms = integerOption(owner, 't1Ms', options.t1Ms, 500, 1);
  return Object.freeze({
    t1Ms,
    t2Ms: integerOption(owner, 't2Ms', options.t2Ms, 4000, 1),
    t4Ms: integerOption(owner, 't4Ms', options.t4Ms, 5000, 1),
    timerFMs: integerOption(owner, 'timerFMs', options.timerFMs, 64 * t1Ms, 1),
  });
}
