import type { Clock, TimerHandle } from '../ports/clock';
import type { Endpoint } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { parseSipMessage } from '../sip/sip-parser';
import { InviteClientTransaction } from '../transactions/invite-client-transaction';
import { cancelFor } from '../transactions/hop-by-hop-request';
import { NonInviteClientTransaction } from '../transactions/non-invite-client-transaction';
import type { TransactionTimers } from '../transactions/transaction-timers';
import { planHop, sendHop, type ForwardOutcome, type ForwardSender, type PlannedHop } from '../server/forward-transport';
import type { BranchFinal } from './best-response';
import type { ForwardEdits, ForwardTarget } from './stateless-proxy';

/** What a {@link ProxyBranch} needs from its proxy. */
export interface BranchContext {
  readonly sender: ForwardSender;
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /** tm `fr_timeout`: how long a branch waits for a first response (an INVITE) or a final one (others). */
  readonly frTimeoutMs: number;
  /** tm `fr_inv_timeout`: how long a ringing INVITE branch waits for its final response (RFC 3261 §16.6 step 11, Timer C). */
  readonly frInvTimeoutMs: number;
  /** The branch's transactions (INVITE or non-INVITE, and its CANCEL) to match responses to, by Via branch and CSeq method. */
  readonly track: (key: string, receive: (response: SipResponse) => void) => void;
  readonly forget: (key: string) => void;
}

/** What a {@link ProxyBranch} tells its response context. */
export interface BranchListener {
  /** A provisional response other than 100 (RFC 3261 §16.7 step 5: 100 is not forwarded). */
  provisional(response: SipResponse): void;
  /** The branch's first final answer, received or stood in for. */
  final(branch: ProxyBranch, final: BranchFinal): void;
  /** A 2xx after the branch's first final answer (a retransmission, or a 2xx racing a CANCEL): always forwarded (§16.7). */
  late2xx(response: SipResponse): void;
  /** The request was handed to the transport (for logs and counters). */
  sent(destination: Endpoint): void;
}

/** The answer a proxy stands in for when a branch could not be sent (RFC 3261 §16.9, RFC 5626 §5.3). */
function unsent(outcome: Exclude<ForwardOutcome, { kind: 'sent' }>): BranchFinal {
  switch (outcome.kind) {
    case 'flow-failed': return { status: 430, reason: 'Flow Failed' };
    case 'unroutable': return { status: 480, reason: 'Temporarily Unavailable' };
    case 'too-large': return { status: 513, reason: 'Message Too Large' };
    case 'failed': return { status: 503, reason: 'Service Unavailable' };
  }
}

const TIMED_OUT: BranchFinal = { status: 408, reason: 'Request Timeout' };

/**
 * One branch of a stateful proxy (RFC 3261 §16.6): the request forwarded to one target with its
 * own Via branch, carried by an INVITE or non-INVITE client transaction. It stands in for a 408
 * when `fr_timeout` passes without a response (§16.8; for an INVITE, without a first response),
 * and cancels a ringing INVITE after `fr_inv_timeout` (Timer C, §16.6 step 11) answering 408 for
 * it. {@link cancel} sends a CANCEL once a provisional response came (§9.1, §16.10).
 */
export class ProxyBranch {
  readonly #ctx: BranchContext;
  readonly #listener: BranchListener;
  readonly #id: string;
  readonly #isInvite: boolean;
  #transaction: InviteClientTransaction | NonInviteClientTransaction | undefined;
  /** The request as forwarded, parsed on first use (its Via, URI and Route set build the ACK and CANCEL). */
  #parsed: SipRequest | undefined;
  /** The request received (the response context holds it too). */
  #request: SipRequest | undefined;
  #sentOn: PlannedHop | undefined;
  #timer: TimerHandle | undefined;
  #provisional = false;
  #final = false;
  /** The INVITE gave up on at `fr_timeout`: no more retransmissions, but still matched (a late 1xx gets a CANCEL). */
  #silenced = false;
  #cancel: 'none' | 'wanted' | 'sent' = 'none';

  constructor(ctx: BranchContext, listener: BranchListener, id: string, method: string) {
    this.#ctx = ctx;
    this.#listener = listener;
    this.#id = id;
    this.#isInvite = method === 'INVITE';
  }

  /** True once the branch has its final answer. */
  get done(): boolean {
    return this.#final;
  }

  /**
   * Plan the hop, send, and start the client transaction; a branch that cannot be sent ends at once
   * with its stand-in answer, one that fails unexpectedly with a 500 (logged). Never rejects.
   */
  async start(request: SipRequest, target: ForwardTarget, edits: ForwardEdits): Promise<void> {
    try {
      await this.#start(request, target, edits);
    } catch (error) {
      this.#ctx.sender.logger.error({ err: error, callId: request.callId }, 'proxy branch failed');
      this.#finish({ status: 500, reason: 'Server Internal Error' });
    }
  }

  async #start(request: SipRequest, target: ForwardTarget, edits: ForwardEdits): Promise<void> {
    const planned = await planHop(this.#ctx.sender, request, target, edits, this.#id);
    if ('kind' in planned) return this.#finish(unsent(planned));
    if (this.#cancel !== 'none') return; // cancelled while the hop was resolved: never sent.
    const { outcome, sentOn } = await sendHop(this.#ctx.sender, planned);
    if (outcome.kind !== 'sent' || sentOn === undefined) return this.#finish(unsent(outcome as Exclude<ForwardOutcome, { kind: 'sent' }>));
    this.#listener.sent(outcome.destination);
    this.#sentOn = sentOn;
    this.#request = request;
    const key = this.#key(request.cseq.method);
    const common = {
      clock: this.#ctx.clock,
      timers: this.#ctx.timers,
      reliable: sentOn.reliable,
      bytes: sentOn.bytes,
      sentAlready: true,
      send: (bytes: Uint8Array) => {
        if (!(this.#silenced && bytes === sentOn.bytes)) this.#send(bytes);
      },
      onResponse: (response: SipResponse) => this.#receive(response),
      onTimeout: () => this.#finish(TIMED_OUT),
      onTerminated: () => this.#ctx.forget(key),
    };
    // The forwarded INVITE is parsed only if its ACK (a non-2xx) or CANCEL is ever built.
    const branch = this;
    this.#transaction = this.#isInvite
      ? new InviteClientTransaction({ ...common, get request() { return branch.#forwarded(); } })
      : new NonInviteClientTransaction(common);
    this.#ctx.track(key, (response) => this.#transaction?.receive(response));
    this.#timer = this.#ctx.clock.setTimer(this.#ctx.frTimeoutMs, () => this.#expire());
  }

  /**
   * Cancel the branch (RFC 3261 §16.10): an INVITE that had a provisional response gets a CANCEL
   * now, one that had none gets it when one comes (§9.1); a branch not yet sent is never sent
   * and stands in for a 487.
   */
  cancel(): void {
    if (this.#cancel !== 'none') return;
    this.#cancel = 'wanted';
    if (this.#transaction === undefined) {
      // Not sent yet, or being sent: a request that goes out still gets its CANCEL on a provisional.
      this.#finish({ status: 487, reason: 'Request Terminated' });
      return;
    }
    if (this.#isInvite && this.#provisional && this.#transaction.state === 'proceeding') this.#sendCancel();
  }

  #forwarded(): SipRequest {
    if (this.#parsed !== undefined) return this.#parsed;
    // Bytes this proxy built parse; the received request stands in should they not.
    const parsed = this.#sentOn === undefined ? undefined : parseSipMessage(this.#sentOn.bytes);
    return (this.#parsed = parsed?.ok === true && parsed.message.kind === 'request' ? parsed.message : this.#request!);
  }

  #key(method: string): string {
    return `${this.#id}\n${method}`;
  }

  #send(bytes: Uint8Array): void {
    const destination = this.#sentOn?.destination;
    if (destination === undefined) return;
    this.#ctx.sender.transport.send(bytes, destination).catch((e: unknown) => this.#ctx.sender.logger.debug({ err: e }, 'proxy branch: a retransmission failed'));
  }

  #receive(response: SipResponse): void {
    const status = response.status;
    if (status < 200) {
      // Timer C starts on the first provisional response and restarts on each 101–199 (RFC 3261 §16.7 step 2).
      if (this.#isInvite && !this.#final && (!this.#provisional || status > 100)) {
        this.#provisional = true;
        this.#timer?.cancel();
        this.#timer = this.#ctx.clock.setTimer(this.#ctx.frInvTimeoutMs, () => this.#expire());
      }
      if (this.#cancel === 'wanted' && this.#isInvite) this.#sendCancel();
      if (status > 100 && !this.#final) this.#listener.provisional(response);
      return;
    }
    if (this.#final) {
      if (status < 300) this.#listener.late2xx(response);
      return;
    }
    this.#finish({ status, reason: response.reason, response });
  }

  /**
   * `fr_timeout` with no (first) response, or `fr_inv_timeout` while ringing: a 408 stands in (RFC
   * 3261 §16.8). A ringing INVITE is cancelled. An INVITE that never answered can't be yet (§9.1):
   * it is no longer retransmitted, but its transaction lives on until Timer B, so that a
   * provisional arriving late gets the CANCEL (the phone stops ringing for a call nobody waits
   * for; Kamailio tm `cancel_b_method` 1) and a late 2xx is still relayed (§16.7 step 5).
   */
  #expire(): void {
    if (this.#final) return;
    if (this.#isInvite) {
      if (this.#provisional) this.#sendCancel();
      else {
        this.#silenced = true;
        if (this.#cancel === 'none') this.#cancel = 'wanted';
      }
    } else this.#transaction?.stop();
    this.#finish(TIMED_OUT);
  }

  #sendCancel(): void {
    if (this.#sentOn === undefined || this.#cancel === 'sent') return;
    const invite = this.#forwarded();
    this.#cancel = 'sent';
    const key = this.#key('CANCEL');
    const transaction = new NonInviteClientTransaction({
      clock: this.#ctx.clock,
      timers: this.#ctx.timers,
      reliable: this.#sentOn?.reliable ?? false,
      bytes: cancelFor(invite),
      send: (bytes) => this.#send(bytes),
      onResponse: () => undefined,
      onTimeout: () => undefined,
      onTerminated: () => this.#ctx.forget(key),
    });
    this.#ctx.track(key, (response) => transaction.receive(response));
  }

  #finish(final: BranchFinal): void {
    if (this.#final) return;
    this.#final = true;
    this.#timer?.cancel();
    this.#listener.final(this, final);
  }
}
