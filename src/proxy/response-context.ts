import type { Endpoint, Source } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { buildResponse } from '../sip/response';
import { serializeMessage } from '../sip/serialize';
import { statusOf } from '../sip/status-of';
import { InviteServerTransaction } from '../transactions/invite-server-transaction';
import { NonInviteServerTransaction } from '../transactions/non-invite-server-transaction';
import type { PushPendingTarget } from '../registrar/select-targets';
import { bestResponse, type BranchFinal } from './best-response';
import { ProxyBranch, type BranchContext, type BranchListener } from './proxy-branch';
import type { ForwardEdits, ForwardTarget } from './stateless-proxy';

/** Where a stateful proxy sends a request: target groups tried in turn, and devices being woken. */
export interface RelayPlan {
  /**
   * Groups of targets: every target of a group in parallel, the next group only when every branch
   * of the previous one failed without a 2xx or 6xx (RFC 3261 §16.6 step 10; OpenSIPS
   * `serialize_branches`, one group per q value). {@link qGroups} builds them from lookup targets.
   */
  readonly groups: readonly (readonly ForwardTarget[])[];
  /** Push devices woken by the lookup (RFC 8599 §6): each becomes a branch of the first group when it re-registers in time, else answers 480. @defaultValue [] */
  readonly pending?: readonly PushPendingTarget[];
  /** Changes to the forwarded request (consumed credentials, our Route removed, Record-Route). @defaultValue {} */
  readonly edits?: ForwardEdits;
}

/**
 * A request the proxy holds a server transaction for (RFC 3261 §17.2), opened by
 * `ForkingProxy.open`: relay it along a plan, or answer it here. Retransmissions get the last
 * response meanwhile.
 */
export interface ProxyTransaction {
  readonly request: SipRequest;
  readonly source: Source;
  /** Fork along `plan`; an INVITE is answered `100 Trying` at once. */
  relay(plan: RelayPlan): void;
  /** Answer here with a status, reason and extra headers. */
  reply(status: number, reason: string, headers?: readonly (readonly [string, string])[]): void;
  /** Answer here with a response already built for this request. */
  replyWith(bytes: Uint8Array): void;
}

/** What a {@link ResponseContext} needs from its proxy. */
export interface ContextPorts extends BranchContext {
  /** A new Via branch for a client transaction. */
  readonly nextBranch: () => string;
  /** A response to the client (through the server transaction), and a log of it. */
  readonly respond: (bytes: Uint8Array, request: SipRequest, source: Source) => void;
  /** A branch was sent (counters, debug log). */
  readonly forwarded: (request: SipRequest, source: Source, destination: Endpoint) => void;
  /** The server transaction ended: the proxy forgets the context. */
  readonly ended: () => void;
}

/**
 * The response context of one request a stateful proxy relays (RFC 3261 §16): its server
 * transaction (an INVITE's sends `100 Trying` if not answered within 200 ms, §17.2.1), its branches (§16.6), the
 * responses forwarded at once (provisional ones but 100, every 2xx: §16.7 step 5) and the best
 * final response chosen when every branch is done ({@link bestResponse}, §16.7 step 6). A 2xx or
 * 6xx cancels the other branches and starts no new ones (§16.7 step 10, §16.10); a CANCEL from the
 * client does the same and is answered with 487 at once.
 */
export class ResponseContext implements BranchListener, ProxyTransaction {
  readonly request: SipRequest;
  readonly source: Source;
  readonly #ports: ContextPorts;
  readonly #server: InviteServerTransaction | NonInviteServerTransaction;
  readonly #branches: ProxyBranch[] = [];
  readonly #finals: BranchFinal[] = [];
  #plan: RelayPlan | undefined;
  #group = 0;
  /** Branches and woken devices without a final answer yet. */
  #outstanding = 0;
  /** A 2xx or 6xx came, or the client cancelled: no new branches. */
  #closed = false;
  /** A final response went to the client. */
  #answered = false;

  constructor(ports: ContextPorts, request: SipRequest, source: Source) {
    this.#ports = ports;
    this.request = request;
    this.source = source;
    const send = (bytes: Uint8Array): void => ports.respond(bytes, request, source);
    const common = { clock: ports.clock, timers: ports.timers, reliable: source.protocol !== 'udp', send, onTerminated: ports.ended };
    if (request.method === 'INVITE') {
      this.#server = new InviteServerTransaction({ ...common, request, onTimeout: () => undefined });
    } else {
      this.#server = new NonInviteServerTransaction(common);
    }
  }

  /** A retransmission of the request: the last response again (RFC 3261 §17.2.1, §17.2.2). */
  retransmitted(): void {
    if (this.#server instanceof InviteServerTransaction) this.#server.receiveInvite();
    else this.#server.receiveRequest();
  }

  /** The ACK of a non-2xx final response, matched to the INVITE: true when absorbed (RFC 3261 §17.2.1). */
  acknowledged(): boolean {
    return this.#server instanceof InviteServerTransaction && this.#server.receiveAck();
  }

  /** Answer the request here (a lookup found nothing...). */
  reply(status: number, reason: string, headers?: readonly (readonly [string, string])[]): void {
    this.#answer(status, buildResponse(this.request, status, reason, { headers }));
  }

  /** Answer the request here with a response already built (credentials refused...). */
  replyWith(bytes: Uint8Array): void {
    this.#answer(statusOf(bytes), bytes);
  }

  /** Fork the request along `plan`; an INVITE is answered `100 Trying` at once (RFC 3261 §16.2, as `t_relay`). */
  relay(plan: RelayPlan): void {
    this.#plan = plan;
    if (this.request.method === 'INVITE') this.#server.respond(100, buildResponse(this.request, 100, 'Trying'));
    for (const pending of plan.pending ?? []) this.#wake(pending);
    this.#startGroup();
  }

  /** The client's CANCEL (RFC 3261 §16.10): every branch is cancelled, the INVITE answered 487. */
  cancel(): void {
    this.#closed = true;
    for (const branch of this.#branches) branch.cancel();
    this.reply(487, 'Request Terminated');
  }

  provisional(response: SipResponse): void {
    if (!this.#answered) this.#server.respond(response.status, serializeMessage(response, { removeTopVia: true }));
  }

  final(branch: ProxyBranch, final: BranchFinal): void {
    this.#outstanding--;
    const status = final.status;
    if (status >= 200 && status < 300 && final.response !== undefined) {
      this.#closed = true;
      this.late2xx(final.response);
      this.#cancelOthers(branch);
      return;
    }
    this.#finals.push(final);
    if (status >= 600) {
      this.#closed = true;
      this.#cancelOthers(branch);
    }
    this.#next();
  }

  /**
   * Every 2xx to an INVITE goes to the client (RFC 3261 §16.7 step 5), through the server
   * transaction while it takes one, else as it is; a non-INVITE request gets only the first.
   */
  late2xx(response: SipResponse): void {
    const server = this.#server;
    if (!(server instanceof InviteServerTransaction)) {
      if (!this.#answered) this.#answer(response.status, serializeMessage(response, { removeTopVia: true }));
      return;
    }
    const bytes = serializeMessage(response, { removeTopVia: true });
    this.#answered = true;
    if (server.state === 'proceeding' || server.state === 'accepted') server.respond(response.status, bytes);
    else this.#ports.respond(bytes, this.request, this.source);
  }

  sent(destination: Endpoint): void {
    this.#ports.forwarded(this.request, this.source, destination);
  }

  #answer(status: number, bytes: Uint8Array): void {
    if (this.#answered) return;
    this.#answered = true;
    this.#server.respond(status, bytes);
  }

  #cancelOthers(winner: ProxyBranch): void {
    for (const branch of this.#branches) if (branch !== winner) branch.cancel();
  }

  #startGroup(): void {
    const group = this.#plan?.groups[this.#group++] ?? [];
    for (const target of group) {
      this.#outstanding++;
      this.#fork(target);
    }
    if (group.length === 0) this.#next();
  }

  /** A branch to `target`, counted as outstanding by the caller; it never rejects. */
  #fork(target: ForwardTarget): void {
    const branch = new ProxyBranch(this.#ports, this, this.#ports.nextBranch(), this.request.method);
    this.#branches.push(branch);
    void branch.start(this.request, target, this.#plan?.edits ?? {});
  }

  /** A device being woken (RFC 8599 §6): a branch once it re-registers, else a 480 stands in. */
  #wake(pending: PushPendingTarget): void {
    this.#outstanding++;
    const unavailable: BranchFinal = { status: 480, reason: 'Temporarily Unavailable' };
    pending.refreshed.then((target) => {
      if (target === undefined || this.#closed) {
        this.#outstanding--;
        this.#finals.push(unavailable);
        this.#next();
        return;
      }
      this.#fork(target);
    }, () => {
      this.#outstanding--;
      this.#finals.push(unavailable);
      this.#next();
    });
  }

  /** When every branch is done: the next group, or the best final response (RFC 3261 §16.7 step 6). */
  #next(): void {
    if (this.#outstanding > 0 || this.#answered) return;
    if (!this.#closed && this.#group < (this.#plan?.groups.length ?? 0)) {
      this.#startGroup();
      return;
    }
    const chosen = bestResponse(this.#finals);
    const bytes = chosen.response === undefined
      ? buildResponse(this.request, chosen.status, chosen.reason)
      : serializeMessage(chosen.response, { removeTopVia: true, extraHeaders: chosen.extraHeaders });
    this.#answer(chosen.status, bytes);
  }
}
