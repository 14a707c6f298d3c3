import type { Endpoint, TransportProtocol } from '../../ports/transport';
import { hopUriOf } from '../../proxy/hop-uri';
import type { ForwardTarget } from '../../proxy/stateless-proxy';
import { formatEndpoint, unbracket } from '../../sip/socket-address';
import { parseUri } from '../../sip/uri';
import type { FlowEndpoint } from './flow-endpoint';

/** Protocols a flow runs over: connections (RFC 5626 §3, RFC 7118 §5). */
const STREAMS: ReadonlySet<string> = new Set<TransportProtocol>(['tcp', 'tls', 'ws', 'wss']);

/**
 * The local socket a target registered through (`target.socket`, `proto:ip:port`), when the
 * transport listens on it: the Via and the socket of a request sent to that target.
 */
export function registeredSocket(target: Pick<ForwardTarget, 'socket'>, locals: readonly Endpoint[]): Endpoint | undefined {
  const socket = target.socket;
  return socket === undefined ? undefined : locals.find((l) => formatEndpoint(l) === socket);
}

/**
 * A target's flow as an endpoint (RFC 5626 §5.3): the connection `connectionId`, its far end named
 * by the hop URI ({@link hopUriOf}: `received`, else the Contact), over the protocol of the socket
 * it registered through ({@link registeredSocket}), else the URI's `transport`, TLS for `sips:`,
 * else TCP.
 */
export function flowDestination(target: ForwardTarget, connectionId: string, registeredOn: Endpoint | undefined): FlowEndpoint {
  const hop = parseUri(hopUriOf(target));
  const named = hop?.params.transport?.toLowerCase();
  const protocol = registeredOn?.protocol
    ?? (named !== undefined && STREAMS.has(named) ? named as TransportProtocol : hop?.scheme === 'sips' ? 'tls' : 'tcp');
  return { protocol, address: unbracket(hop?.host ?? ''), port: hop?.port ?? (protocol === 'tls' ? 5061 : 5060), connectionId };
}
