import type { Endpoint, Source } from '../../ports/transport';

/**
 * An endpoint reached over one open connection, an RFC 5626 flow (RFC 7118 §5 for WebSocket):
 * the transport writes to the connection `connectionId` and never opens another, so a send
 * rejects once it has closed (RFC 5626 §5.3: the request is then answered `430 Flow Failed`).
 * `address` and `port` name its far end, for logs.
 */
export interface FlowEndpoint extends Endpoint {
  readonly connectionId: string;
}

/** The flow a request from `source` arrived on: its connection, or undefined for a datagram. */
export function flowOf(source: Source): FlowEndpoint | undefined {
  const { connectionId } = source;
  return connectionId === undefined ? undefined : { protocol: source.protocol, address: source.address, port: source.port, connectionId };
}
