import { isIP } from 'node:net';
import type { Logger } from '../ports/logger';
import type { Endpoint, Transport, TransportProtocol } from '../ports/transport';
import { hopUriOf } from '../proxy/hop-uri';
import { nextHopOf } from '../proxy/next-hop';
import { forwardedBytes, forwardRequest, type ForwardPlan, type ForwardTarget } from '../proxy/stateless-proxy';
import type { FlowEndpoint } from '../features/outbound/flow-endpoint';
import type { SipRequest } from '../sip/message';
import type { ForwardChanges } from '../sip/serialize';
import { bracketHost, formatEndpoint, unbracket } from '../sip/socket-address';
import { localViaSentBy } from '../transactions/local-via-sent-by';
import { parseUri } from '../sip/uri';

/**
 * RFC 3261 §18.1.1: with the path MTU unknown, a request larger than this many bytes must go over
 * a congestion-controlled transport (TCP).
 */
export const UNKNOWN_MTU_LIMIT_BYTES = 1300;

/**
 * The largest SIP message one UDP datagram carries to `address` (RFC 3261 §18.1.1: 65,535 bytes
 * including the IP and UDP headers): 65,507 bytes over IPv4, 65,527 over IPv6, whose payload
 * length leaves out its own header. A larger send fails with `EMSGSIZE`.
 */
export function maxDatagramBytes(address: string): number {
  return isIP(unbracket(address)) === 6 ? 65_527 : 65_507;
}

/** What {@link sendForward} did with a request. */
export type ForwardOutcome =
  /** Handed to the transport towards `destination`. */
  | { readonly kind: 'sent'; readonly destination: Endpoint }
  /** No next hop resolves: nothing was sent (the server answers 480). */
  | { readonly kind: 'unroutable' }
  /**
   * `bytes` exceed a UDP datagram to `destination` and TCP was not allowed or failed: nothing was
   * sent (the server answers `513 Message Too Large`, RFC 3261 §21.5.14).
   */
  | { readonly kind: 'too-large'; readonly destination: Endpoint; readonly bytes: number }
  /** The transport refused the send: a 503 from the next hop (RFC 3261 §16.9). */
  | { readonly kind: 'failed'; readonly destination: Endpoint; readonly error: unknown }
  /**
   * The target's flow (its connection) is gone: nothing was sent, and the request is answered
   * `430 Flow Failed` (RFC 5626 §5.3) rather than sent some other way.
   */
  | { readonly kind: 'flow-failed'; readonly destination: FlowEndpoint; readonly error: unknown };

/** Where {@link sendForward} sends, and where it says why a TCP attempt was given up. */
export interface ForwardSender {
  readonly transport: Transport;
  readonly logger: Logger;
}


/**
 * Whether `target` may be reached over TCP instead of UDP: its hop URI names no `transport`
 * (RFC 3263 §4.1: an explicit one is the only one to use), and the hop is the URI the request is
 * addressed to or routed through, not a `destination` pinned without a route, which is the NAT
 * `received` address a binding registered from (a UDP mapping that takes no TCP) or a next hop the
 * host chose with its transport.
 */
function tcpAllowed(target: ForwardTarget): boolean {
  const pinned = target.destination !== undefined && (target.route === undefined || target.route.length === 0);
  return !pinned && parseUri(hopUriOf(target))?.params.transport === undefined;
}

/** Protocols a flow runs over: connections (RFC 5626 §3, RFC 7118 §5). */
const STREAMS: ReadonlySet<string> = new Set<TransportProtocol>(['tcp', 'tls', 'ws', 'wss']);

/**
 * Servers do not open WebSocket connections (RFC 7118 §5): a `ws`/`wss` hop is reached over the
 * client's own connection, a flow, or not at all.
 */
const isWebSocket = (protocol: TransportProtocol): boolean => protocol === 'ws' || protocol === 'wss';

/**
 * Send `target` over its flow (RFC 5626 §5.3): the connection the binding registered on, with a Via
 * of the socket it came in through (`target.socket`), else of the first socket of the flow's
 * protocol. The protocol is that socket's, else the hop URI's `transport` (TLS for `sips:`, else TCP).
 */
async function sendOverFlow(
  sender: ForwardSender, request: SipRequest, target: ForwardTarget, connectionId: string, replaceHeaders?: ForwardChanges['replaceHeaders'],
): Promise<ForwardOutcome> {
  const locals = sender.transport.endpoints();
  const registeredOn = target.socket === undefined ? undefined : locals.find((l) => formatEndpoint(l) === target.socket);
  const hop = parseUri(hopUriOf(target));
  const named = hop?.params.transport?.toLowerCase();
  const protocol = registeredOn?.protocol
    ?? (named !== undefined && STREAMS.has(named) ? named as TransportProtocol : hop?.scheme === 'sips' ? 'tls' : 'tcp');
  const destination: FlowEndpoint = { protocol, address: unbracket(hop?.host ?? ''), port: hop?.port ?? (protocol === 'tls' ? 5061 : 5060), connectionId };
  const local = registeredOn ?? localViaSentBy(locals, protocol);
  if (local === undefined) return { kind: 'unroutable' };
  try {
    await sender.transport.send(forwardedBytes(request, target, local, replaceHeaders), destination);
  } catch (error) {
    return { kind: 'flow-failed', destination, error };
  }
  return { kind: 'sent', destination };
}

/** The same hop, as a URI that names `protocol` (an address: nothing left to resolve). */
function pinnedTo(target: ForwardTarget, hop: Endpoint, protocol: TransportProtocol): ForwardTarget {
  return { ...target, destination: `sip:${bracketHost(hop.address)}:${hop.port};transport=${protocol}` };
}

async function sent(sender: ForwardSender, plan: ForwardPlan): Promise<ForwardOutcome> {
  try {
    await sender.transport.send(plan.data, plan.destination);
  } catch (error) {
    return { kind: 'failed', destination: plan.destination, error };
  }
  return { kind: 'sent', destination: plan.destination };
}

/**
 * Forward `request` statelessly to `target` ({@link forwardRequest}) over the transport RFC 3261
 * §18.1.1 asks for, with a top Via naming that transport and its local socket. A request for a
 * UDP hop larger than 1300 bytes ({@link UNKNOWN_MTU_LIMIT_BYTES}, the path MTU being unknown) goes
 * over TCP to the same address and port when the target allows it (`transport` not given, not a
 * NAT `received` address) and a TCP socket is listening to be named in the Via; the branch stays
 * the same. When TCP is not allowed or the connection fails, the request goes over UDP if it fits
 * one datagram ({@link maxDatagramBytes}), else nothing is sent and the outcome is `too-large`.
 * A target with a `flow` goes over that connection only ({@link sendOverFlow}), `flow-failed`
 * when it has closed; a `ws`/`wss` hop without one is `unroutable` (servers do not dial WebSocket
 * clients, RFC 7118 §5), like a `.invalid` host, which resolves nowhere (RFC 6761 §6.4).
 * Never rejects: a transport error is the `failed` outcome.
 *
 * @param replaceHeaders - header values to rewrite (the proxy's consumed credentials).
 */
export async function sendForward(
  sender: ForwardSender, request: SipRequest, target: ForwardTarget, replaceHeaders?: ForwardChanges['replaceHeaders'],
): Promise<ForwardOutcome> {
  if (target.flow !== undefined) return sendOverFlow(sender, request, target, target.flow, replaceHeaders);
  const hop = await nextHopOf(hopUriOf(target));
  if (hop === undefined || isWebSocket(hop.protocol)) return { kind: 'unroutable' };
  const locals = sender.transport.endpoints();
  const local = localViaSentBy(locals, hop.protocol);
  const plan = local === undefined ? undefined : await forwardRequest(request, pinnedTo(target, hop, hop.protocol), local, replaceHeaders);
  if (plan === undefined) return { kind: 'unroutable' };
  const bytes = plan.data.length;
  if (hop.protocol !== 'udp' || bytes <= UNKNOWN_MTU_LIMIT_BYTES) return sent(sender, plan);
  const tcpLocal = locals.find((l) => l.protocol === 'tcp');
  if (tcpLocal !== undefined && tcpAllowed(target)) {
    const overTcp = await forwardRequest(request, pinnedTo(target, hop, 'tcp'), tcpLocal, replaceHeaders);
    const outcome = overTcp === undefined ? undefined : await sent(sender, overTcp);
    if (outcome?.kind === 'sent') return outcome;
    const error = outcome?.kind === 'failed' ? outcome.error : undefined;
    sender.logger.debug({ err: error, destination: formatEndpoint(hop), bytes }, 'forwarding over tcp failed');
  }
  return bytes <= maxDatagramBytes(hop.address) ? sent(sender, plan) : { kind: 'too-large', destination: hop, bytes };
}
