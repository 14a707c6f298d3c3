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
