import { BranchIds } from '../sip/branch-ids';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Endpoint, Source, Transport } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { buildResponse } from '../sip/response';
import { unbracket } from '../sip/socket-address';
import type { TransactionTimers } from '../transactions/transaction-timers';
import { integerOption } from '../errors/integer-option';
import { ResponseContext, type ContextPorts, type ProxyTransaction } from './response-context';
import { resolveUdpMtu } from '../server/forward-transport';

/** Options of {@link ForkingProxy}. */
export interface ForkingProxyOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /** @defaultValue a silent logger */
  readonly logger: Logger;
  /**
   * tm `fr_timeout`, in ms: how long a branch waits for its first response (an INVITE) or its
   * final one (other methods) before a 408 stands in for it (RFC 3261 §16.8). @defaultValue 5000
   */
  readonly frTimeoutMs?: number;
  /**
   * tm `fr_inv_timeout`, in ms: how long a ringing INVITE branch waits for its final response
   * before it is cancelled and a 408 stands in for it (Timer C, RFC 3261 §16.6 step 11). @defaultValue 120000
   */
  readonly frInvTimeoutMs?: number;
  /**
   * Most requests relayed at once; more are answered `503 Service Unavailable` with
   * `Retry-After: 5` (memory stays bounded under a flood). @defaultValue 50000
   */
  readonly maxTransactions?: number;
  /**
   * A branch larger than this many bytes for a UDP hop goes over TCP when the hop allows it (RFC
   * 3261 §18.1.1, OpenSIPS core `udp_mtu`); 0: only a branch no UDP datagram carries (65,507
   * bytes over IPv4). @defaultValue 1300
   */
  readonly udpMtu?: number;
  /** Told of each response sent to a client, each branch sent (request logs, counters). */
  readonly onResponded?: (bytes: Uint8Array, request: SipRequest, source: Source) => void;
  readonly onForwarded?: (request: SipRequest, source: Source, destination: Endpoint) => void;
}

/**
 * The key of a server transaction (RFC 3261 §17.2.3): top Via branch and sent-by, or for a
 * client without RFC 3261 branches the Call-ID, CSeq number and From tag (§17.2.3 last paragraph);
 * CANCEL and ACK match the INVITE's.
 */
function serverKey(request: SipRequest): string {
  const top = request.via[0];
  const method = request.method;
  const matched = method === 'ACK' || method === 'CANCEL' ? 'INVITE' : method;
  if (top?.branch === undefined) return `${request.callId}\n${request.cseq.seq}\n${request.from.params.tag ?? ''}\n${matched}`;
  return `${top.branch}\n${unbracket(top.host)}:${top.port ?? ''}\n${matched}`;
}

/**
 * A transaction-stateful proxy core (RFC 3261 §16) as OpenSIPS `t_relay()` after `lookup()`:
 * {@link open} makes a response context (server transaction) for a request before it is looked
 * up, so retransmissions are absorbed meanwhile; the context then relays along a plan (parallel
 * and serial forking, CANCEL, best response) or answers itself. Responses from the branches come
 * back through {@link receiveResponse}; CANCEL, ACK and retransmissions through {@link absorb}.
 */
export class ForkingProxy {
  readonly #contexts = new Map<string, ResponseContext>();
  /** Client transactions of the branches and their CANCELs, by Via branch and CSeq method. */
  readonly #clients = new Map<string, (response: SipResponse) => void>();
  readonly #branchIds = new BranchIds();
  readonly #ports: Omit<ContextPorts, 'ended'>;
  readonly #max: number;

  constructor(options: ForkingProxyOptions) {
    const frTimeoutMs = integerOption('ForkingProxyOptions', 'frTimeoutMs', options.frTimeoutMs, 5000, 1);
    const frInvTimeoutMs = integerOption('ForkingProxyOptions', 'frInvTimeoutMs', options.frInvTimeoutMs, 120_000, 1);
    this.#max = integerOption('ForkingProxyOptions', 'maxTransactions', options.maxTransactions, 50_000, 1);
    const { transport, logger } = options;
    this.#ports = {
      sender: { transport, logger, udpMtu: resolveUdpMtu('ForkingProxyOptions', options.udpMtu) },
      clock: options.clock,
      timers: options.timers,
      frTimeoutMs,
      frInvTimeoutMs,
      track: (key, receive) => this.#clients.set(key, receive),
      forget: (key) => this.#clients.delete(key),
      nextBranch: () => this.#branchIds.next('fk'),
      respond: (bytes, request, source) => {
        options.onResponded?.(bytes, request, source);
        transport.sendResponse(bytes, request, source).catch((e: unknown) => logger.warn({ err: e }, 'proxy: sending a response failed'));
      },
      forwarded: (request, source, destination) => options.onForwarded?.(request, source, destination),
    };
  }

  /** Requests being relayed or answered now (their server transactions). */
  get size(): number {
    return this.#contexts.size;
  }

  /**
   * A request that belongs to a transaction here (RFC 3261 §17.2.3): a retransmission gets the
   * last response again, the ACK of a non-2xx final response is absorbed, a CANCEL is answered
   * 200 and cancels its INVITE's branches (§16.10). True when handled; false for a request to
   * route (a CANCEL without its INVITE here is forwarded statelessly, §16.10).
   */
  absorb(request: SipRequest, source: Source): boolean {
    const context = this.#contexts.get(serverKey(request));
    if (context === undefined) return false;
    switch (request.method) {
      case 'ACK': return context.acknowledged();
      case 'CANCEL':
        this.#ports.respond(buildResponse(request, 200, 'OK'), request, source);
        context.cancel();
        return true;
      default:
        context.retransmitted();
        return true;
    }
  }

  /** The response context of a new request. Undefined when the table is full: the request was answered 503. */
  open(request: SipRequest, source: Source): ProxyTransaction | undefined {
    const key = serverKey(request);
    if (this.#contexts.size >= this.#max) {
      this.#ports.respond(buildResponse(request, 503, 'Service Unavailable', { headers: [['Retry-After', '5']] }), request, source);
      return undefined;
    }
    const context = new ResponseContext({ ...this.#ports, ended: () => this.#contexts.delete(key) }, request, source);
    this.#contexts.set(key, context);
    return context;
  }

  /** A response for one of the branches (RFC 3261 §17.1.3): true when it matched one. */
  receiveResponse(response: SipResponse): boolean {
    const branch = response.via[0]?.branch;
    const receive = branch === undefined ? undefined : this.#clients.get(`${branch}\n${response.cseq.method}`);
    if (receive === undefined) return false;
    receive(response);
    return true;
  }
}
