import type { Clock, TimerHandle } from '../ports/clock';

/**
 * Calls `retransmit` after `firstMs`, then at intervals doubling up to `capMs`, until cancelled:
 * Timer A of an INVITE client transaction (RFC 3261 §17.1.1.2, no cap) and Timer G of an INVITE
 * server transaction (§17.2.1, capped at T2).
 */
export function retransmitTimer(clock: Clock, firstMs: number, capMs: number, retransmit: () => void): TimerHandle {
  let intervalMs = firstMs;
  let timer: TimerHandle;
  const arm = (): void => {
    timer = clock.setTimer(intervalMs, () => {
      intervalMs = Math.min(2 * intervalMs, capMs);
      arm();
      retransmit();
    });
  };
  arm();
  return { cancel: () => timer.cancel() };
}
