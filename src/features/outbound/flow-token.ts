import type { Source } from '../../ports/transport';
import { formatEndpoint } from '../../sip/socket-address';

/**
 * The flow a request arrived on (RFC 5626 §5.2: a flow is the transport association between the
 * UA and the edge proxy): the connection id for TCP/TLS/WS, else the remote and local
 * `proto:ip:port` pair of the datagram. A binding registered over a flow records this token; when
 * the transport reports the connection gone, `registrar.flowFailed(token)` removes the binding.
 */
export function flowTokenOf(source: Source): string {
  return source.connectionId ?? `${formatEndpoint(source)}>${formatEndpoint(source.local)}`;
}

/**
 * True for the token {@link flowTokenOf} gives a datagram (`udp:…>…`): such a flow has no
 * connection whose close could fail it (RFC 5626 §5.4 detects failure on connections; a UDP flow
 * is the UA's to keep alive), so the registrar does not index its bindings for `flowFailed`. An
 * edge in front of the registrar (an SBC re-sending every phone's REGISTER from one socket) would
 * otherwise gather every AOR under one token.
 */
export function isDatagramFlow(token: string): boolean {
  return token.startsWith('udp:') && token.includes('>');
}
