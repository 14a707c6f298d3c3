import type { SipRequest, SipResponse } from '../sip/message';

/** Transport protocols sipreg names in sockets and `received` URIs (RFC 3261 §18). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';

/** A network endpoint: where a message came from or goes to. */
export interface Endpoint {
  readonly protocol: TransportProtocol;
  readonly address: string;
  readonly port: number;
  /**
   * For an outgoing TLS connection: the host name of the target URI, sent as SNI and checked against
   * the server's certificate (RFC 5922 §7.2). Without it the certificate must name `address`.
   */
  readonly serverName?: string;
  /**
   * Send over this open connection only, an RFC 5626 flow (RFC 7118 §5 for WebSocket): the
   * transport never opens another and rejects once it has closed (the request is then answered
   * `430 Flow Failed`, RFC 5626 §5.3). `address` and `port` name its far end, for logs.
   */
  readonly connectionId?: string;
}

/** Where a request came from: the remote endpoint plus the local socket that received it. */
/** A Via sent-by (RFC 3261 §18.1.1): where responses to a request are expected. */
export interface SentBy {
  readonly host: string;
  readonly port: number;
}

export interface Source extends Endpoint {
  /** The local socket (`proto:ip:port` is built from it for {@link Binding.socket}). */
  readonly local: Endpoint;
  /** Connection identifier for connection-oriented transports (RFC 5626 flow token). */
  readonly connectionId?: string;
}

/** Final outcome of a client (non-INVITE) transaction, RFC 3261 §17.1.2. */
export type TransactionOutcome =
  | { readonly kind: 'response'; readonly response: SipResponse }
  /** Timer F fired (no final response) or the transport reported an error. */
  | { readonly kind: 'timeout' }
  | { readonly kind: 'transport-error'; readonly error: Error };

/** A request received by a transport, handed to the host or to a sipreg component. */
export type RequestHandler = (request: SipRequest, source: Source, raw: Uint8Array) => void;

/** A response that matched no client transaction, handed to the host. */
export type ResponseHandler = (response: SipResponse, source: Source) => void;

/**
 * How sipreg reaches the network. The host may implement it over its own sockets;
 * `sipreg/transports/node` ships a UDP/TCP/TLS implementation.
 */
export interface Transport {
  /**
   * Send a response to a request received from `source`, routed per RFC 3261 §18.2.2
   * (`received`/`rport` of the top Via; the same connection for TCP).
   */
  sendResponse(data: Uint8Array, request: SipRequest, source: Source): Promise<void>;
  /** Send bytes to `destination` statelessly (a forwarded request or an ACK). */
  send(data: Uint8Array, destination: Endpoint): Promise<void>;
  /**
   * Send a non-INVITE request as a client transaction (retransmitting over UDP, Timer E/F)
   * and settle with its final response. The request's top Via branch identifies it.
   * `local` picks the socket it leaves from (OpenSIPS `forced_socket`); a transport without
   * such a socket uses its default one.
   */
  request(data: Uint8Array, destination: Endpoint, local?: Endpoint): Promise<TransactionOutcome>;
  /** Keep a TCP/TLS connection open at least until `untilMs` (tcp_persistent_flag). */
  keepConnection?(source: Source, untilMs: number): void;
  /** Register the handler for incoming requests (one handler; a later call replaces it). */
  onRequest(handler: RequestHandler): void;
  /**
   * Register the handler for responses that match no client transaction: a stateless proxy
   * relays them (RFC 3261 §16.11). Optional: without it such responses are dropped.
   */
  onResponse?(handler: ResponseHandler): void;
  /**
   * Register the handler told when a connection-oriented flow ends (the TCP/TLS connection closed):
   * its `connectionId`, the RFC 5626 flow token of the bindings registered over it, so a
   * registrar can drop them (`registrar.flowFailed`). Optional: without it flows are never failed.
   */
  onFlowClosed?(handler: (connectionId: string) => void): void;
  /**
   * The Via sent-by for a request leaving from `local` whose responses must come back to this
   * process, when that is not `local` itself: in a node:cluster worker sharing its UDP sockets
   * (`sharedSockets`), a UDP socket only this worker binds, on the same address. The Via then has
   * no `rport` (RFC 3581 would send the response to the shared port, to any worker), and the
   * response comes to the source address at this port (RFC 3261 §18.2.2). Optional: undefined
   * means `local`, with `rport`.
   */
  responseSentBy?(local: Endpoint): SentBy | undefined;
  /** The local endpoints the transport listens on. */
  endpoints(): readonly Endpoint[];
  close(): Promise<void>;
}
