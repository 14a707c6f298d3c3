/**
 * `sipreg/transports/node`: the UDP/TCP/TLS/WebSocket {@link Transport} for Node.js (RFC 3261 §18) with the
 * non-INVITE client transaction (§17.1.2), plus the routing helpers it is built on, for hosts that
 * implement {@link Transport} over their own sockets.
 * @packageDocumentation
 */
export { createNodeTransport } from './node-transport';
export type { InvalidMessage, InvalidMessageAction, InvalidMessageProblem, NodeTransport, NodeTransportOptions } from './node-transport';
export type { TlsOptions } from './tls-options';
export { steeringOwner } from './udp-steering';
export type { UdpSteering } from './udp-steering';
export { formatEndpoint, parseListenAddress } from './listen-address';
export type { ListenAddress, NodeListenProtocol } from './listen-address';
export { responseDestination } from './response-destination';
export type { ResponseDestinationOptions } from './response-destination';
export { stampReceived } from './stamp-received';
export type { Endpoint, RequestHandler, ResponseHandler, Source, TransactionOutcome, Transport } from '../ports/transport';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
