import { isIP } from 'node:net';
import type { Logger } from '../ports/logger';
import type { Endpoint, Transport, TransportProtocol } from '../ports/transport';
import { hopUriOf } from '../proxy/hop-uri';
import { nextHopOfTarget } from '../proxy/next-hop';
import { forwardedBytes, type ForwardEdits, type ForwardTarget } from '../proxy/stateless-proxy';
import type { FlowEndpoint } from '../features/outbound/flow-endpoint';
import { flowDestination, registeredSocket } from '../features/outbound/flow-destination';
import type { SipRequest } from '../sip/message';
import { bracketHost, formatEndpoint, unbracket } from '../sip/socket-address';
import { localViaSentBy } from '../transactions/local-via-sent-by';
import { parseUri } from '../sip/uri';
import { integerOption } from '../errors/integer-option';

/**
 * RFC 3261 §18.1.1: with the path MTU unknown, a request larger than this many bytes must go over
 * a congestion-controlled transport (TCP). The default of {@link ForwardSender.udpMtu}.
 */
export const UNKNOWN_MTU_LIMIT_BYTES = 1300;

/**
 * An `udpMtu` option of `owner` checked: an integer from 0 to 65,535, {@link UNKNOWN_MTU_LIMIT_BYTES}
 * when not given (OpenSIPS core `udp_mtu`, whose 0 also means no switch for size).
 * @throws {@link ConfigError} naming `<owner>.udpMtu`.
 */
export function resolveUdpMtu(owner: string, udpMtu: number | undefined): number {
  return integerOption(owner, 'udpMtu', udpMtu, UNKNOWN_MTU_LIMIT_BYTES, 0, 65_535);
}

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
  /**
   * A request for a UDP hop larger than this many bytes goes over TCP (RFC 3261 §18.1.1, OpenSIPS
   * core `udp_mtu`); 0: only one no UDP datagram carries ({@link maxDatagramBytes}).
   * @defaultValue {@link UNKNOWN_MTU_LIMIT_BYTES}
   */
  readonly udpMtu?: number;
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

/** The size above which a request for a UDP hop to `address` is planned over TCP: `udpMtu`, or with 0 the largest datagram. */
function udpLimit(udpMtu: number, address: string): number {
  return udpMtu === 0 ? maxDatagramBytes(address) : udpMtu;
}

/**
 * Servers do not open WebSocket connections (RFC 7118 §5): a `ws`/`wss` hop is reached over the
 * client's own connection, a flow, or not at all.
 */
const isWebSocket = (protocol: TransportProtocol): boolean => protocol === 'ws' || protocol === 'wss';

/** Where a forwarded request goes and its bytes, chosen by {@link planHop}. */
export interface PlannedHop {
  /** The next hop; with a `connectionId` for a flow (RFC 5626 §5.3). */
  readonly destination: Endpoint;
  /** The bytes, with a Via of the sending socket and the branch given to {@link planHop}. */
  readonly bytes: Uint8Array;
  /** True over a connection (no retransmissions, RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  /** The same request over UDP, sent when this TCP hop (chosen for size) cannot be reached. */
  readonly fallback?: PlannedHop;
  /** TCP was chosen for size and the request does not fit one UDP datagram to this hop: nothing to fall back to. */
  readonly tooLargeFor?: Endpoint;
}

/** Why {@link planHop} found nothing to send. */
export type HopFailure = Extract<ForwardOutcome, { kind: 'unroutable' | 'too-large' }>;

/**
 * The local socket a request to `hop` leaves from: the target's registration socket when it is
 * one of ours of the hop's protocol (the binding's `socket`, e.g. from `sock_hdr_name`), else the
 * first socket of that protocol ({@link localViaSentBy}).
 */
function localFor(locals: readonly Endpoint[], target: ForwardTarget, protocol: TransportProtocol): Endpoint | undefined {
  const registeredOn = registeredSocket(target, locals);
  return registeredOn?.protocol === protocol ? registeredOn : localViaSentBy(locals, protocol);
}

/**
 * Plan the hop of a target with a flow (RFC 5626 §5.3): the connection the binding registered on,
 * with a Via of the socket it came in through (`target.socket`), else of the first socket of the
 * flow's protocol. The protocol is that socket's, else the hop URI's `transport` (TLS for `sips:`, else TCP).
 */
function planFlow(locals: readonly Endpoint[], request: SipRequest, target: ForwardTarget, connectionId: string, edits: ForwardEdits, branch?: string): PlannedHop | HopFailure {
  const registeredOn = registeredSocket(target, locals);
  const destination = flowDestination(target, connectionId, registeredOn);
  const local = registeredOn ?? localViaSentBy(locals, destination.protocol);
  if (local === undefined) return { kind: 'unroutable' };
  return { destination, bytes: forwardedBytes(request, target, local, edits, branch), reliable: true };
}

/** The same hop, as a URI that names `protocol` (an address: nothing left to resolve). */
function pinnedTo(target: ForwardTarget, hop: Endpoint, protocol: TransportProtocol): ForwardTarget {
  return { ...target, destination: `sip:${bracketHost(hop.address)}:${hop.port};transport=${protocol}` };
}

/**
 * Choose where `request` goes for `target` and build its bytes with `branch` (RFC 3261 §16.6
 * steps 7–10 and §18.1.1): a target with a `flow` goes over that connection only; otherwise the
 * hop URI (the target's `destination`, first route or URI) is resolved ({@link nextHopOfTarget},
 * with the target's `serverName` over TLS) and the request leaves from the local socket of its
 * protocol. A request for a UDP hop larger than the sender's `udpMtu` (by default 1300 bytes,
 * {@link UNKNOWN_MTU_LIMIT_BYTES}, the path MTU being unknown; with 0 larger than a datagram) is
 * planned over TCP to the same address and port when the target allows it (`transport` not
 * given, not a NAT `received` address) and a TCP socket is listening, with the UDP hop as
 * `fallback` if it fits one datagram ({@link maxDatagramBytes}). `unroutable` for a hop that
 * resolves nowhere (a `.invalid` host, RFC 6761 §6.4) or a `ws`/`wss` one without a flow
 * (servers do not dial WebSocket clients, RFC 7118 §5); `too-large` when only UDP is possible
 * and the request does not fit.
 *
 * @param branch - the top Via branch; by default the stateless one ({@link statelessBranch}).
 */
export async function planHop(
  sender: ForwardSender, request: SipRequest, target: ForwardTarget, edits: ForwardEdits = {}, branch?: string,
): Promise<PlannedHop | HopFailure> {
  const { transport } = sender;
  const locals = transport.endpoints();
  if (target.flow !== undefined) return planFlow(locals, request, target, target.flow, edits, branch);
  const hop = await nextHopOfTarget(target);
  if (hop === undefined || isWebSocket(hop.protocol)) return { kind: 'unroutable' };
  const local = localFor(locals, target, hop.protocol);
  if (local === undefined) return { kind: 'unroutable' };
  const bytes = forwardedBytes(request, pinnedTo(target, hop, hop.protocol), local, edits, branch, transport.responseSentBy?.(local));
  const direct: PlannedHop = { destination: hop, bytes, reliable: hop.protocol !== 'udp' };
  if (hop.protocol !== 'udp' || bytes.length <= udpLimit(sender.udpMtu ?? UNKNOWN_MTU_LIMIT_BYTES, hop.address)) return direct;
  const fits = bytes.length <= maxDatagramBytes(hop.address);
  const tcpLocal = locals.find((l) => l.protocol === 'tcp');
  if (tcpLocal === undefined || !tcpAllowed(target)) return fits ? direct : { kind: 'too-large', destination: hop, bytes: bytes.length };
  const overTcp: Endpoint = { ...hop, protocol: 'tcp' };
  return {
    destination: overTcp,
    bytes: forwardedBytes(request, pinnedTo(target, hop, 'tcp'), tcpLocal, edits, branch),
    reliable: true,
    fallback: fits ? direct : undefined,
    tooLargeFor: fits ? undefined : hop,
  };
}

/** What {@link sendHop} did, and the hop that carried the request (the fallback when TCP failed). */
export type HopOutcome = { readonly outcome: ForwardOutcome; readonly sentOn?: PlannedHop };

/**
 * Send a planned hop: over its connection, or over TCP then, when that fails, over its UDP
 * `fallback` (RFC 3261 §18.1.1). A closed flow is `flow-failed` (answered 430, never reached
 * another way); a TCP request without fallback that fails is `too-large` when it did not fit UDP.
 * Never rejects.
 */
export async function sendHop(sender: ForwardSender, hop: PlannedHop): Promise<HopOutcome> {
  try {
    await sender.transport.send(hop.bytes, hop.destination);
    return { outcome: { kind: 'sent', destination: hop.destination }, sentOn: hop };
  } catch (error) {
    const destination = hop.destination;
    if (destination.connectionId !== undefined && destination.protocol !== 'udp') {
      return { outcome: { kind: 'flow-failed', destination: destination as FlowEndpoint, error } };
    }
    const udp = hop.fallback?.destination ?? hop.tooLargeFor;
    if (udp !== undefined) sender.logger.debug({ err: error, destination: formatEndpoint(udp), bytes: hop.bytes.length }, 'forwarding over tcp failed');
    if (hop.fallback !== undefined) return sendHop(sender, hop.fallback);
    if (hop.tooLargeFor !== undefined) return { outcome: { kind: 'too-large', destination: hop.tooLargeFor, bytes: hop.bytes.length } };
    return { outcome: { kind: 'failed', destination, error } };
  }
}

/**
 * Forward `request` statelessly to `target` (RFC 3261 §16.11): {@link planHop} with the stateless
 * branch, then {@link sendHop}. Never rejects: a transport error is the `failed` outcome.
 */
export async function sendForward(sender: ForwardSender, request: SipRequest, target: ForwardTarget, edits?: ForwardEdits): Promise<ForwardOutcome> {
  const planned = await planHop(sender, request, target, edits);
  if ('kind' in planned) return planned;
  return (await sendHop(sender, planned)).outcome;
}
