import type { Clock, TimerHandle } from '../ports/clock';
import type { SipRequest } from '../sip/message';
import { buildResponse } from '../sip/response';
import { retransmitTimer } from './retransmit-timer';
import type { TransactionTimers } from './transaction-timers';

/** How long the TU has to answer before the transaction sends `100 Trying` itself (RFC 3261 §17.2.1). */
export const TRYING_AFTER_MS = 200;

/** Options of {@link InviteServerTransaction}. */
export interface InviteServerTransactionOptions {
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /** True over TCP: no response retransmissions (no Timer G) and Timer I is 0. */
  readonly reliable: boolean;
  /** The INVITE, for the `100 Trying`. */
  readonly request: SipRequest;
  /** Hands a response to the transport towards the client. */
  readonly send: (bytes: Uint8Array) => void;
  /** Timer H fired: the ACK of a non-2xx final response never came (RFC 3261 §17.2.1). */
  readonly onTimeout: () => void;
  /** The transaction is Terminated: its owner forgets it. */
  readonly onTerminated: () => void;
}

/** The states of RFC 3261 Figure 7 as updated by RFC 6026 §7.1 (Accepted). */
export type InviteServerState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

/**
 * An INVITE server transaction (RFC 3261 §17.2.1, RFC 6026 §7.1), created in Proceeding when an
 * INVITE arrives. It sends `100 Trying` after {@link TRYING_AFTER_MS} unless the TU answered by
 * then. A retransmitted INVITE gets the last response again (none in Accepted). A 2xx from the TU
 * moves it to Accepted until Timer L (64·T1), sending the TU's 2xx retransmissions and handing
 * ACKs to the TU. A 300–699 moves it to Completed: over UDP the response is retransmitted on
 * Timer G (T1 doubling to T2) until the ACK, which moves it to Confirmed, absorbing ACKs until
 * Timer I (T4; 0 over TCP); Timer H (64·T1) gives up waiting for the ACK.
 */
export class InviteServerTransaction {
  #state: InviteServerState = 'proceeding';
  /** The last response sent, sent again for a retransmitted INVITE. */
  #last: Uint8Array | undefined;
  /** The 100 Trying timer, then L, H or I. */
  #timer: TimerHandle;
  #timerG: TimerHandle | undefined;
  readonly #o: InviteServerTransactionOptions;

  constructor(options: InviteServerTransactionOptions) {
    this.#o = options;
    this.#timer = options.clock.setTimer(TRYING_AFTER_MS, () => this.respond(100, buildResponse(options.request, 100, 'Trying')));
  }

  get state(): InviteServerState {
    return this.#state;
  }

  /** A response from the TU. A provisional one after the final one is ignored; so is a 300–699 after a 2xx. */
  respond(status: number, bytes: Uint8Array): void {
    const state = this.#state;
    if (state === 'accepted' && status >= 200 && status < 300) this.#o.send(bytes);
    if (state !== 'proceeding') return;
    this.#last = bytes;
    this.#timer.cancel();
    this.#o.send(bytes);
    if (status < 200) return;
    const { clock, timers, reliable } = this.#o;
    if (status < 300) {
      this.#state = 'accepted';
      this.#timer = clock.setTimer(timers.timerFMs, () => this.#terminate());
      return;
    }
    this.#state = 'completed';
    if (!reliable) this.#timerG = retransmitTimer(clock, timers.t1Ms, timers.t2Ms, () => this.#o.send(bytes));
    this.#timer = clock.setTimer(timers.timerFMs, () => {
      this.#terminate();
      this.#o.onTimeout();
    });
  }

  /** A retransmission of the INVITE: absorbed, the last provisional or final response is sent again. */
  receiveInvite(): void {
    if ((this.#state === 'proceeding' || this.#state === 'completed') && this.#last !== undefined) this.#o.send(this.#last);
  }

  /**
   * An ACK matched to this transaction. Returns true when the transaction absorbed it (the ACK of
   * its non-2xx final response), false when it goes to the TU (the ACK of a 2xx, in Accepted).
   */
  receiveAck(): boolean {
    const state = this.#state;
    if (state === 'accepted') return false;
    if (state !== 'completed') return state === 'confirmed';
    this.#state = 'confirmed';
    this.#timerG?.cancel();
    this.#timer.cancel();
    if (this.#o.reliable) this.#terminate();
    else this.#timer = this.#o.clock.setTimer(this.#o.timers.t4Ms, () => this.#terminate());
    return true;
  }

  #terminate(): void {
    this.#timerG?.cancel();
    this.#timer.cancel();
    this.#state = 'terminated';
    this.#o.onTerminated();
  }
}
