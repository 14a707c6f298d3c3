import type { Clock, TimerHandle } from '../ports/clock';
import type { TransactionTimers } from './transaction-timers';

/** Options of {@link NonInviteServerTransaction}. */
export interface NonInviteServerTransactionOptions {
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /** True over TCP: Timer J is 0. */
  readonly reliable: boolean;
  /** Hands a response to the transport towards the client. */
  readonly send: (bytes: Uint8Array) => void;
  /** The transaction is Terminated: its owner forgets it. */
  readonly onTerminated: () => void;
}

/**
 * One non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8) whose TU answers later (a
 * proxy's response context): a retransmitted request gets the last provisional or final response
 * again; a final response moves it to Completed until Timer J (64·T1 over UDP, 0 over TCP).
 */
export class NonInviteServerTransaction {
  #state: 'trying' | 'proceeding' | 'completed' | 'terminated' = 'trying';
  #last: Uint8Array | undefined;
  #timer: TimerHandle | undefined;
  readonly #o: NonInviteServerTransactionOptions;

  constructor(options: NonInviteServerTransactionOptions) {
    this.#o = options;
  }

  get state(): 'trying' | 'proceeding' | 'completed' | 'terminated' {
    return this.#state;
  }

  /** A response from the TU; anything after the final one is ignored. */
  respond(status: number, bytes: Uint8Array): void {
    if (this.#state === 'completed' || this.#state === 'terminated') return;
    this.#last = bytes;
    this.#o.send(bytes);
    if (status < 200) {
      this.#state = 'proceeding';
      return;
    }
    this.#state = 'completed';
    if (this.#o.reliable) this.#terminate();
    else this.#timer = this.#o.clock.setTimer(this.#o.timers.timerFMs, () => this.#terminate());
  }

  /** A retransmission of the request: absorbed, the last response sent again. */
  receiveRequest(): void {
    if (this.#last !== undefined && this.#state !== 'terminated') this.#o.send(this.#last);
  }

  #terminate(): void {
    this.#timer?.cancel();
    this.#state = 'terminated';
    this.#o.onTerminated();
  }
}
