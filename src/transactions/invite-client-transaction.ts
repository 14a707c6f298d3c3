import type { TimerHandle } from '../ports/clock';
import type { SipRequest, SipResponse } from '../sip/message';
import type { ClientTransactionOptions } from './client-transaction-options';
import { ackFor } from './hop-by-hop-request';
import { retransmitTimer } from './retransmit-timer';

/** Options of {@link InviteClientTransaction}. */
export interface InviteClientTransactionOptions extends ClientTransactionOptions {
  /** The INVITE, parsed: the ACK of a non-2xx final response is built from it. */
  readonly request: SipRequest;
}

/** The states of RFC 3261 Figure 5 as updated by RFC 6026 §7.2 (Accepted). */
export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

/**
 * An INVITE client transaction (RFC 3261 §17.1.1, RFC 6026 §7.2). Sends the INVITE at
 * construction; over UDP retransmits it on Timer A (T1, doubling) while Calling. Timer B (64·T1)
 * ends a Calling transaction without response. A 2xx moves it to Accepted, where 2xx
 * retransmissions still reach the TU (each needs its ACK from the TU) until Timer M (64·T1).
 * A 300–699 moves it to Completed: the ACK is sent, and sent again for each retransmission of
 * that response, which the TU does not see, until Timer D (64·T1 over UDP, 0 over TCP).
 */
export class InviteClientTransaction {
  #state: InviteClientState = 'calling';
  #timerA: TimerHandle | undefined;
  /** Timer B, then D or M. */
  #timer: TimerHandle;
  #ack: Uint8Array | undefined;
  readonly #o: InviteClientTransactionOptions;

  constructor(options: InviteClientTransactionOptions) {
    this.#o = options;
    const { clock, timers, bytes, send } = options;
    if (!options.reliable) this.#timerA = retransmitTimer(clock, timers.t1Ms, Infinity, () => send(bytes));
    this.#timer = clock.setTimer(timers.timerFMs, () => {
      this.#terminate();
      options.onTimeout();
    });
    if (options.sentAlready !== true) send(bytes);
  }

  get state(): InviteClientState {
    return this.#state;
  }

  /** A response matched to this transaction (RFC 3261 §17.1.3). */
  receive(response: SipResponse): void {
    const state = this.#state;
    if (state === 'terminated') return;
    if (state === 'completed') {
      if (response.status >= 300 && this.#ack !== undefined) this.#o.send(this.#ack);
      return;
    }
    if (state === 'accepted') {
      if (response.status >= 200 && response.status < 300) this.#o.onResponse(response);
      return;
    }
    // Timer B only bounds the Calling state, Timer A only runs in it.
    this.#timerA?.cancel();
    this.#timer.cancel();
    const status = response.status;
    this.#state = status < 200 ? 'proceeding' : status < 300 ? 'accepted' : 'completed';
    if (status >= 300) {
      this.#ack = ackFor(this.#o.request, response);
      this.#o.send(this.#ack);
    }
    this.#o.onResponse(response);
    if (status >= 200) this.#wait(status < 300 || !this.#o.reliable ? this.#o.timers.timerFMs : 0);
  }

  /**
   * Stop at once, silently: no more retransmissions, `onTerminated` only (a proxy's branch whose
   * `fr_timeout` passed without any response, RFC 3261 §16.8). No-op once Terminated.
   */
  stop(): void {
    if (this.#state !== 'terminated') this.#terminate();
  }

  /** Timer M (Accepted) or D (Completed): Terminated when it fires, at once for 0 ms. */
  #wait(timerMs: number): void {
    if (timerMs === 0) this.#terminate();
    else this.#timer = this.#o.clock.setTimer(timerMs, () => this.#terminate());
  }

  #terminate(): void {
    this.#timerA?.cancel();
    this.#timer.cancel();
    this.#state = 'terminated';
    this.#o.onTerminated();
  }
}
