import type { TimerHandle } from '../ports/clock';
import type { SipResponse } from '../sip/message';
import type { ClientTransactionOptions } from './client-transaction-options';

/** Options of {@link NonInviteClientTransaction}. */
export type NonInviteClientTransactionOptions = ClientTransactionOptions;

/** The states of RFC 3261 Figure 6. */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/**
 * One non-INVITE client transaction (RFC 3261 §17.1.2) whose TU owns the sending (a proxy's
 * branch, and the table behind `Transport.request`). Over UDP the request is retransmitted on
 * Timer E (T1 doubling to T2; every T2 once a provisional response came); Timer F (64·T1) ends it
 * with `onTimeout`. A final
 * response moves it to Completed, absorbing that response's retransmissions for Timer K (T4 over
 * UDP, 0 over TCP).
 */
export class NonInviteClientTransaction {
  #state: NonInviteClientState = 'trying';
  #timerE: TimerHandle | undefined;
  /** Timer F, then Timer K. */
  #timer: TimerHandle;
  readonly #o: NonInviteClientTransactionOptions;

  constructor(options: NonInviteClientTransactionOptions) {
    this.#o = options;
    const { clock, timers, bytes, send } = options;
    if (!options.reliable) this.#scheduleE(timers.t1Ms);
    this.#timer = clock.setTimer(timers.timerFMs, () => {
      this.#terminate();
      options.onTimeout();
    });
    if (options.sentAlready !== true) send(bytes);
  }

  get state(): NonInviteClientState {
    return this.#state;
  }

  /** A response matched to this transaction (RFC 3261 §17.1.3). */
  receive(response: SipResponse): void {
    const state = this.#state;
    if (state === 'completed' || state === 'terminated') return;
    if (response.status < 200) {
      this.#state = 'proceeding';
      this.#o.onResponse(response);
      return;
    }
    this.#timerE?.cancel();
    this.#timer.cancel();
    this.#state = 'completed';
    this.#o.onResponse(response);
    if (this.#o.reliable) this.#terminate();
    else this.#timer = this.#o.clock.setTimer(this.#o.timers.t4Ms, () => this.#terminate());
  }

  /**
   * Timer E (RFC 3261 §17.1.2.2): retransmit after `intervalMs`, then after twice that up to T2,
   * or after T2 once in Proceeding.
   */
  #scheduleE(intervalMs: number): void {
    const { clock, timers, bytes, send } = this.#o;
    this.#timerE = clock.setTimer(intervalMs, () => {
      this.#scheduleE(this.#state === 'proceeding' ? timers.t2Ms : Math.min(2 * intervalMs, timers.t2Ms));
      send(bytes);
    });
  }

  /** Stop at once, silently (`onTerminated` only). No-op once Terminated. */
  stop(): void {
    if (this.#state !== 'terminated') this.#terminate();
  }

  #terminate(): void {
    this.#timerE?.cancel();
    this.#timer.cancel();
    this.#state = 'terminated';
    this.#o.onTerminated();
  }
}
