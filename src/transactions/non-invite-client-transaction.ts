import type { Clock, TimerHandle } from '../ports/clock';
import type { SipResponse } from '../sip/message';
import { retransmitTimer } from './retransmit-timer';
import type { TransactionTimers } from './transaction-timers';

/** Options of {@link NonInviteClientTransaction}. */
export interface NonInviteClientTransactionOptions {
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /** True over TCP: no retransmissions (no Timer E) and Timer K is 0. */
  readonly reliable: boolean;
  /** The request's wire bytes, retransmitted on Timer E. */
  readonly bytes: Uint8Array;
  /** The TU sent the request already: start the timers without sending it. @defaultValue false */
  readonly sentAlready?: boolean;
  /** Hands bytes to the transport towards the next hop. */
  readonly send: (bytes: Uint8Array) => void;
  /** Every provisional response, and the final one; not the retransmissions of the final one. */
  readonly onResponse: (response: SipResponse) => void;
  /** Timer F fired before a final response (RFC 3261 §17.1.2.2). */
  readonly onTimeout: () => void;
  /** The transaction is Terminated: its owner forgets it. */
  readonly onTerminated: () => void;
}

/** The states of RFC 3261 Figure 6. */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/**
 * One non-INVITE client transaction (RFC 3261 §17.1.2) whose TU owns the sending (a proxy's
 * branch; components sending their own requests use `Transport.request`). Over UDP the request is
 * retransmitted on Timer E (T1 doubling to T2); Timer F (64·T1) ends it with `onTimeout`. A final
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
    if (!options.reliable) this.#timerE = retransmitTimer(clock, timers.t1Ms, timers.t2Ms, () => send(bytes));
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
