import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect as connectTcp, createServer, isIP, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { ConfigError, TransportError } from '../errors/sdk-error';
import { systemClock, type Clock } from '../ports/clock';
import { silentLogger, type Logger } from '../ports/logger';
import { isStunBindingRequest, stunBindingSuccess } from './stun-binding';
import type { Endpoint, RequestHandler, ResponseHandler, SentBy, Source, TransactionOutcome, Transport } from '../ports/transport';
import type { SipMessage, SipRequest } from '../sip/message';
import { SipScanner } from '../sip/scanner';
import { parseSipMessage } from '../sip/sip-parser';
import { ClientTransactions, clientTransactionKey } from '../transactions/non-invite-client-transactions';
import { resolveTransactionTimers, type TransactionTimers } from '../transactions/transaction-timers';
import { buildErrorResponse, recoveredHead } from './error-response';
import { formatEndpoint, parseListenAddress, type ListenAddress } from './listen-address';
import { responseDestination } from './response-destination';
import { bracketHost, unbracket } from '../sip/socket-address';
import { asError, errorCode } from './socket-error';
import { stampReceived } from './stamp-received';
import { TcpConnectionPool, type StreamProtocol, type TcpConnection } from './tcp-connection-pool';
import { dialTls, resolveTlsOptions, type ResolvedTls, type TlsOptions } from './tls-options';
import { createWsListener, type WsListenAddress, type WsListener } from './ws-listener';
import { GRAMMAR_BUDGET_SPENT, GrammarBudget } from '../sip/grammar-budget';
import { integerOption } from '../errors/integer-option';
import { checkUdpSteering, steeringOwner, type UdpSteering } from './udp-steering';
import { connectionIdSalt, connectionPlace } from './connection-place';
import { RelayedBranches } from './relayed-branches';

/** The error of a send on connection `connectionId`, which is not open (here): its flow failed. */
const flowClosed = (connectionId: string): TransportError => new TransportError(`connection ${connectionId} is closed: the flow failed (RFC 5626 §5.3)`);

/**
 * Why the transport refused a message: `overloaded` is one the fast scanner declined while the
 * grammar's budget ({@link NodeTransportOptions.grammarParsesPerSecond}) was spent, never parsed.
 */
export type InvalidMessageProblem = 'malformed' | 'too-large' | 'too-many-contacts' | 'overloaded';

/** A message the transport refused, as shown to {@link NodeTransportOptions.onInvalid}. */
export interface InvalidMessage {
  readonly problem: InvalidMessageProblem;
  /** The parser's reason, or why the size check failed. */
  readonly reason: string;
  readonly source: Source;
  /**
   * True when the message was a request with a Via that could be recovered (the headers it lacks
   * are left out of the response), so an error response (400, or 513 for `too-large`) is ready to be sent.
   */
  readonly answerable: boolean;
}

/** Decision of {@link NodeTransportOptions.onInvalid}: send the prepared error response or stay silent. */
export type InvalidMessageAction = 'reply' | 'drop';

/** Options of {@link createNodeTransport}. */
export interface NodeTransportOptions {
  /**
   * Sockets to open, `proto:ip[:port]` with proto `udp`, `tcp`, `tls`, `ws` or `wss` and IPv6 in
   * brackets: `udp:127.0.0.1:5060`, `tcp:[::1]:5060`, `tls:10.0.0.1` (port 5061), `wss:0.0.0.0:7443`
   * (RFC 7118; default ports 80 and 443). Port `0` picks an ephemeral port; see `endpoints()`. A
   * `tls:` or `wss:` socket needs {@link NodeTransportOptions.tls}.
   */
  readonly listen: readonly string[];
  /**
   * Certificate and key for `tls:` and `wss:` listeners (RFC 3261 §26.3.1), a CA and whether to require client
   * certificates (see {@link TlsOptions}). Accepted TLS connections are read like TCP ones: the `tcp*` limits and timeouts
   * below apply to them too, and a handshake must finish within `tcpMessageTimeoutMs`. Outgoing TLS
   * (to an {@link Endpoint} with protocol `tls`) works without it, trusting Node's default roots;
   * with it, `ca` is trusted as well and `cert` is offered when the server asks for a client
   * certificate. Replace the certificate later with {@link NodeTransport.reloadTls}.
   */
  readonly tls?: TlsOptions;
  /**
   * Host names to check the certificate against (and send as SNI, RFC 5922 §7.2) for outgoing
   * TLS connections to these addresses, keyed `address:port` (`[v6]:port`), when the
   * {@link Endpoint} names none: a peer known by address whose certificate names a host (a main
   * registrar reached by IP, whose Record-Route then brings in-dialog requests to that address).
   * @defaultValue none: a destination without `serverName` is checked against its IP address
   */
  readonly tlsServerNames?: Readonly<Record<string, string>>;
  /**
   * Largest message accepted, in bytes. Larger UDP datagrams are dropped before parsing; a TCP
   * message whose head or `Content-Length` goes beyond it closes the connection. Either is answered
   * `513 Message Too Large` (RFC 3261 §21.5.7) when its head is complete within the limit and
   * readable, over TCP before the connection closes.
   * @defaultValue 65536
   */
  readonly maxMessageBytes?: number;
  /**
   * Most `Contact` values the parser accepts in one message; a request with more gets
   * `400 Bad Request (Too many Contact header values)`.
   * @defaultValue 64
   */
  readonly maxContacts?: number;
  /**
   * Messages per second the slow SIP.js grammar may parse: the ones the fast scanner declines
   * (unusual or malformed), which cost it a millisecond or two each, so that a flood of them from
   * any (spoofed) address cannot hold the core (RFC 3261 §26.1.5). Beyond it they are dropped
   * unparsed, as problem `overloaded` ({@link NodeTransportOptions.onInvalid}); 0 never uses the
   * grammar. The scanner's messages never count.
   * @defaultValue 100
   */
  readonly grammarParsesPerSecond?: number;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
  /** Time source for transaction and idle timers. @defaultValue {@link systemClock} */
  readonly clock?: Clock;
  /** RFC 3261 §17.1.2.2 T1, the RTT estimate. @defaultValue 500 */
  readonly t1Ms?: number;
  /** RFC 3261 §17.1.2.2 T2, the cap of the retransmit interval. @defaultValue 4000 */
  readonly t2Ms?: number;
  /** RFC 3261 §17.1.2.2 Timer F, the client transaction timeout. @defaultValue 64 × `t1Ms` */
  readonly timerFMs?: number;
  /**
   * RFC 3261 §17.1.2.2 T4, Timer K over UDP: how long a client transaction stays Completed after
   * its final response, absorbing retransmissions of that response (they do not reach `onResponse`).
   * @defaultValue 5000
   */
  readonly t4Ms?: number;
  /**
   * Close a TCP connection without traffic for this long, unless kept by `keepConnection`
   * (OpenSIPS `tcp_connection_lifetime`).
   * @defaultValue 120000
   */
  readonly tcpIdleTimeoutMs?: number;
  /**
   * Close a TCP connection whose message is not complete this long after its first byte arrived,
   * however many bytes trickle in meanwhile (OpenSIPS `tcp_max_msg_time`): a peer sending a byte
   * at a time (slowloris) no longer keeps a connection by restarting the idle timer.
   * @defaultValue 10000
   */
  readonly tcpMessageTimeoutMs?: number;
  /**
   * Most accepted TCP connections open at once; one more is closed as soon as it is accepted and
   * logged at debug level (Kamailio/OpenSIPS `tcp_max_connections`). Connections this transport
   * opens itself, to reach a registered contact, are not counted and never refused.
   * @defaultValue 2048
   */
  readonly tcpMaxConnections?: number;
  /**
   * Most accepted TCP connections open at once from one remote IP address, so that one host
   * cannot take every slot of `tcpMaxConnections`; one more is closed as soon as it is accepted.
   * Raise it when many TCP phones share one public address behind a NAT.
   * @defaultValue 512
   */
  readonly tcpMaxConnectionsPerIp?: number;
  /**
   * Kernel receive and send buffer of each UDP socket, in bytes (the kernel caps it at
   * `net.core.rmem_max`/`wmem_max`). A REGISTER burst larger than the buffer is dropped by the
   * kernel and comes back as retransmissions (OpenSIPS/Kamailio `maxbuffer`).
   * @defaultValue 4194304
   */
  readonly udpBufferBytes?: number;
  /**
   * Called for every refused message. The default answers when {@link InvalidMessage.answerable}
   * and drops otherwise; return `'drop'` to stay silent (e.g. under attack). Never called with a
   * handler error: those are logged.
   */
  readonly onInvalid?: (message: InvalidMessage) => InvalidMessageAction;
  /**
   * Send UDP responses to the top Via's `maddr` (RFC 3261 §18.2.2); off, as in Kamailio and
   * OpenSIPS, since any sender could name a third party there. See {@link responseDestination}.
   * @defaultValue false
   */
  readonly viaMaddr?: boolean;
  /**
   * In a node:cluster worker, bind every socket through the primary, which shares one handle per
   * socket with every worker binding the same address: the kernel hands each UDP datagram to one
   * of them and the primary deals out TCP connections. Off, each process binds exclusively (a
   * second one on the same address fails with `EADDRINUSE`). No effect outside a worker.
   * @defaultValue false
   */
  readonly sharedSockets?: boolean;
  /**
   * With `sharedSockets`, which of the processes sharing a UDP socket handles each call, and how
   * to hand it a datagram another one received (see {@link UdpSteering}): every request but
   * REGISTER, and every response matching no client transaction of this process, of a Call-ID
   * {@link steeringOwner} gives to another process goes there. Given, that process must call
   * {@link NodeTransport.receiveSteered} with what `forward` hands it.
   * @defaultValue none: each process handles what the kernel gives it
   */
  readonly udpSteering?: UdpSteering;
  /**
   * Ping every WebSocket connection this often (RFC 6455 §5.5.2); one that has not answered the
   * previous ping with a pong is dropped. The `tcp*` idle timeout and caps apply to WebSocket
   * connections too (the caps per `ws:`/`wss:` listener), and `maxMessageBytes` to each message.
   * @defaultValue 30000
   */
  readonly wsPingIntervalMs?: number;
  /**
   * Close a WebSocket connection (1008) that sends more messages than this within one second.
   * @defaultValue 100
   */
  readonly wsMaxMessagesPerSecond?: number;
}

/** The UDP/TCP/TLS/WebSocket {@link Transport} returned by {@link createNodeTransport}. */
export interface NodeTransport extends Transport {
  keepConnection(source: Source, untilMs: number): void;
  onResponse(handler: ResponseHandler): void;
  onFlowClosed(handler: (connectionId: string) => void): void;
  /**
   * Serve a new certificate, key and CA to the handshakes that follow (a renewed certificate, on
   * SIGHUP say), and use them for new outgoing TLS connections; open connections keep theirs.
   * @throws {@link ConfigError} when the transport was created without `tls`, when the material
   *   does not load (the old one stays in use), or when `verifyClient` differs from the current one.
   */
  reloadTls(tls: TlsOptions): void;
  /**
   * Handle a datagram that another process sharing the UDP sockets received and handed here
   * (`NodeTransportOptions.udpSteering`), as if this process had received it from `source` on its
   * socket of the same local address: never handed on again. Dropped, with a debug line, when
   * this process listens on no such UDP socket.
   */
  receiveSteered(bytes: Uint8Array, source: Source): void;
  /**
   * The holder's side of `UdpSteering.relay`: write `bytes`, which the process at place `from`
   * sends, on this process's connection `connectionId`; when they are a request, a response on
   * the connection with the branch of its top Via is handed to `from` (`UdpSteering.forward`).
   * Rejects with a {@link TransportError} when no such connection is open here.
   */
  sendRelayed(connectionId: string, bytes: Uint8Array, from: number): Promise<void>;
  /**
   * The other side of `UdpSteering.locate`: the id of this process's open TCP or TLS connection
   * to `remote` (with the same `serverName` for TLS), or undefined when it has none. Never connects.
   */
  heldConnection(remote: Endpoint): string | undefined;
}

interface ResolvedOptions extends TransactionTimers {
  readonly listen: readonly ListenAddress[];
  readonly maxMessageBytes: number;
  readonly maxContacts: number;
  readonly grammarParsesPerSecond: number;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMessageTimeoutMs: number;
  readonly tcpMaxConnections: number;
  readonly tcpMaxConnectionsPerIp: number;
  readonly udpBufferBytes: number;
  readonly onInvalid: ((message: InvalidMessage) => InvalidMessageAction) | undefined;
  readonly viaMaddr: boolean;
  readonly sharedSockets: boolean;
  readonly udpSteering: UdpSteering | undefined;
  readonly wsPingIntervalMs: number;
  readonly wsMaxMessagesPerSecond: number;
  readonly tls: ResolvedTls | undefined;
  readonly tlsServerNames: ReadonlyMap<string, string>;
}

interface UdpListener {
  readonly socket: UdpSocket;
  readonly endpoint: Endpoint;
  readonly family: 4 | 6;
}

/** The settled answer of a fire-and-forget send. */
const SENT: Promise<void> = Promise.resolve();

const CR = 13;
const LF = 10;

/** The `address:port` key of {@link NodeTransportOptions.tlsServerNames} (an IPv6 address in brackets). */
function addressKey(address: string, port: number): string {
  return `${bracketHost(unbracket(address))}:${port}`;
}

/**
 * {@link NodeTransportOptions.tlsServerNames} checked: each key an IP address and a port, each
 * name a host name. @throws {@link ConfigError} naming the entry otherwise.
 */
function resolveTlsServerNames(names: Readonly<Record<string, string>> | undefined): ReadonlyMap<string, string> {
  const resolved = new Map<string, string>();
  for (const [key, name] of Object.entries(names ?? {})) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(key);
    const port = m === null ? 0 : Number(m[2]);
    if (m === null || isIP(unbracket(m[1])) === 0 || port < 1 || port > 65_535) {
      throw new ConfigError(`tlsServerNames keys are IP:PORT such as 192.0.2.1:5061 or [2001:db8::1]:5061, got '${key}'`);
    }
    if (typeof name !== 'string' || name === '' || isIP(name) !== 0) throw new ConfigError(`tlsServerNames['${key}'] must be a host name such as registrar.example.com, got '${String(name)}'`);
    resolved.set(addressKey(m[1], port), name);
  }
  return resolved;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function resolveOptions(options: NodeTransportOptions): ResolvedOptions {
  if (options.listen.length === 0) throw new ConfigError('listen must name at least one socket, e.g. udp:127.0.0.1:5060');
  const listen = options.listen.map(parseListenAddress);
  const tlsListen = listen.findIndex((address) => address.protocol === 'tls' || address.protocol === 'wss');
  if (tlsListen >= 0 && (options.tls?.cert === undefined || options.tls.key === undefined)) {
    throw new ConfigError(`listen ${options.listen[tlsListen]} needs a certificate: pass tls: { cert, key } (PEM) in NodeTransportOptions`);
  }
  return Object.freeze({
    ...resolveTransactionTimers('NodeTransportOptions', options),
    listen: Object.freeze(listen),
    maxMessageBytes: positiveInteger('maxMessageBytes', options.maxMessageBytes, 65536),
    maxContacts: positiveInteger('maxContacts', options.maxContacts, 64),
    grammarParsesPerSecond: integerOption('NodeTransportOptions', 'grammarParsesPerSecond', options.grammarParsesPerSecond, 100, 0),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    tcpIdleTimeoutMs: positiveInteger('tcpIdleTimeoutMs', options.tcpIdleTimeoutMs, 120_000),
    tcpMessageTimeoutMs: positiveInteger('tcpMessageTimeoutMs', options.tcpMessageTimeoutMs, 10_000),
    tcpMaxConnections: positiveInteger('tcpMaxConnections', options.tcpMaxConnections, 2048),
    tcpMaxConnectionsPerIp: positiveInteger('tcpMaxConnectionsPerIp', options.tcpMaxConnectionsPerIp, 512),
    udpBufferBytes: positiveInteger('udpBufferBytes', options.udpBufferBytes, 4 * 1024 * 1024),
    onInvalid: options.onInvalid,
    viaMaddr: options.viaMaddr ?? false,
    sharedSockets: options.sharedSockets ?? false,
    udpSteering: checkUdpSteering(options.udpSteering),
    wsPingIntervalMs: positiveInteger('wsPingIntervalMs', options.wsPingIntervalMs, 30_000),
    wsMaxMessagesPerSecond: positiveInteger('wsMaxMessagesPerSecond', options.wsMaxMessagesPerSecond, 100),
    tls: options.tls === undefined ? undefined : resolveTlsOptions(options.tls),
    tlsServerNames: resolveTlsServerNames(options.tlsServerNames),
  });
}

function unsupported(protocol: string): TransportError {
  return new TransportError(`the node transport does not carry ${protocol}; use udp, tcp or tls`);
}

function isStream(protocol: string): protocol is StreamProtocol {
  return protocol === 'tcp' || protocol === 'tls';
}

/** WebSocket (RFC 7118): the server never connects; it answers on the client's connection. */
function isWebSocket(protocol: string): protocol is WsListenAddress['protocol'] {
  return protocol === 'ws' || protocol === 'wss';
}

/** A response starts with `SIP/` (RFC 3261 §7.2); anything else that parses partially is a request. */
function looksLikeRequest(bytes: Uint8Array): boolean {
  return !(bytes[0] === 83 && bytes[1] === 73 && bytes[2] === 80 && bytes[3] === 47);
}

/** A datagram of CR/LF only: an RFC 5626 §3.5.1-style keep-alive. */
function isKeepAlive(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== CR && bytes[i] !== LF) return false;
  return true;
}

class NodeTransportImpl implements NodeTransport {
  private readonly options: ResolvedOptions;
  private readonly udp: UdpListener[] = [];
  /** In a cluster worker with shared sockets: the UDP socket only this worker binds, per shared socket (`proto:ip:port`). */
  private readonly ownUdp = new Map<string, UdpSocket>();
  private readonly servers: Server[] = [];
  private readonly tlsServers: TlsServer[] = [];
  private readonly wsListeners: WsListener[] = [];
  /** The TLS settings in use: those of the options, then of the last {@link reloadTls}. */
  private tls: ResolvedTls | undefined;
  private readonly listening: Endpoint[] = [];
  private readonly transactions: ClientTransactions;
  /** This transport's scanner caches (the last Request-Line, User-Agent, Allow, Supported) for the requests it receives. */
  private readonly scanner = new SipScanner();
  /** What the grammar may still parse this second of what {@link scanner} declines. */
  private readonly grammar: GrammarBudget;
  private readonly pool: TcpConnectionPool;
  /** The middle of this process's connection ids: it names its place among processes that steer. */
  private readonly idSalt: string;
  /** Where responses to the requests relayed on this process's connections go (`UdpSteering.relay`). */
  private readonly relayedBranches = new RelayedBranches();
  private readonly parseOptions: { readonly maxContacts: number };
  private readonly tagPrefix = randomBytes(4).toString('hex');
  private tagCounter = 0;
  private handler: RequestHandler | undefined;
  private responseHandler: ResponseHandler | undefined;
  private flowClosedHandler: ((connectionId: string) => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.tls = options.tls;
    this.parseOptions = Object.freeze({ maxContacts: options.maxContacts });
    this.grammar = new GrammarBudget(options.grammarParsesPerSecond, options.clock);
    this.transactions = new ClientTransactions(options.clock, options, options.logger);
    this.idSalt = connectionIdSalt(options.udpSteering?.index);
    this.pool = new TcpConnectionPool({
      idSalt: this.idSalt,
      clock: options.clock,
      logger: options.logger,
      idleTimeoutMs: options.tcpIdleTimeoutMs,
      connectTimeoutMs: options.timerFMs,
      messageTimeoutMs: options.tcpMessageTimeoutMs,
      maxConnections: options.tcpMaxConnections,
      maxConnectionsPerIp: options.tcpMaxConnectionsPerIp,
      maxMessageBytes: options.maxMessageBytes,
      dial: (destination) =>
        destination.protocol === 'tls' ? dialTls(destination, this.tls) : connectTcp({ host: destination.address, port: destination.port }),
      onMessage: (bytes, source) => this.dispatch(bytes, source),
      onFramingError: (error, source, head) => {
        const response = head === undefined ? undefined : this.tooLargeResponse(head);
        const problem = error === 'too-large' ? 'too-large' : 'malformed';
        return this.decide({ problem, reason: `tcp framing: ${error}`, source, answerable: response !== undefined }, response);
      },
      onClosed: (connectionId) => this.connectionClosed(connectionId),
    });
  }

  /** Bind every `listen` address; on the first failure close what was bound and reject. */
  async bind(): Promise<void> {
    const results = await Promise.allSettled(
      this.options.listen.map((address) => {
        const { protocol } = address;
        if (protocol === 'udp') return this.bindUdp(address);
        return isWebSocket(protocol) ? this.listenWs({ ...address, protocol }) : this.listenStream(address, protocol);
      }),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) {
      await this.close();
      throw failure.reason;
    }
    Object.freeze(this.listening);
  }

  private bindUdp(address: ListenAddress): Promise<void> {
    const family = isIP(address.address) === 6 ? 6 : 4;
    const size = this.options.udpBufferBytes;
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: size, sendBufferSize: size });
    return new Promise((resolve, reject) => {
      socket.once('error', (error) => {
        socket.close();
        reject(new TransportError(`cannot listen on ${formatEndpoint(address)}: ${errorCode(error)}`, { cause: error }));
      });
      socket.bind({ address: address.address, port: address.port, exclusive: !this.options.sharedSockets }, () => {
        socket.removeAllListeners('error');
        const bound = socket.address();
        const listener: UdpListener = { socket, family, endpoint: Object.freeze({ protocol: 'udp', address: bound.address, port: bound.port }) };
        socket.on('error', (error) => this.options.logger.warn({ socket: formatEndpoint(listener.endpoint), error: errorCode(error) }, 'udp socket error'));
        socket.on('message', (bytes, remote) => this.onDatagram(listener, bytes, remote));
        this.udp.push(listener);
        this.listening.push(listener.endpoint);
        if (this.options.sharedSockets && cluster.isWorker) this.bindOwnUdp(listener).then(resolve, reject);
        else resolve();
      });
    });
  }

  /**
   * A UDP socket only this worker binds, next to a shared one: the Via of its own requests names
   * it ({@link responseSentBy}), so their responses come back here rather than to any worker.
   * What arrives on it is handled as if it came to the shared socket.
   */
  private bindOwnUdp(shared: UdpListener): Promise<void> {
    const socket = createSocket({ type: shared.family === 6 ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', (error) => {
        socket.close();
        reject(new TransportError(`cannot bind this worker's own udp socket on ${shared.endpoint.address}: ${errorCode(error)}`, { cause: error }));
      });
      socket.bind({ address: shared.endpoint.address, port: 0, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (error) => this.options.logger.warn({ error: errorCode(error) }, "worker's own udp socket error"));
        socket.on('message', (bytes, remote) => this.onDatagram(shared, bytes, remote, true));
        this.ownUdp.set(formatEndpoint(shared.endpoint), socket);
        resolve();
      });
    });
  }

  responseSentBy(local: Endpoint): SentBy | undefined {
    const own = local.protocol === 'udp' ? this.ownUdp.get(formatEndpoint(local)) : undefined;
    return own === undefined ? undefined : { host: local.address, port: own.address().port };
  }

  /** A `ws:` or `wss:` listener (RFC 7118) with the TCP idle timeout and caps and the `ws*` limits. */
  private async listenWs(address: WsListenAddress): Promise<void> {
    const { options } = this;
    const listener = await createWsListener({
      address,
      ...(address.protocol === 'wss' ? { tls: this.tls } : {}),
      clock: options.clock,
      logger: options.logger,
      maxMessageBytes: options.maxMessageBytes,
      idleTimeoutMs: options.tcpIdleTimeoutMs,
      pingIntervalMs: options.wsPingIntervalMs,
      maxMessagesPerSecond: options.wsMaxMessagesPerSecond,
      maxConnections: options.tcpMaxConnections,
      maxConnectionsPerIp: options.tcpMaxConnectionsPerIp,
      exclusive: !options.sharedSockets,
      idSalt: this.idSalt,
      onMessage: (bytes, source) => this.receive(bytes, source),
      onClosed: (connectionId) => this.connectionClosed(connectionId),
    });
    this.wsListeners.push(listener);
    this.listening.push(listener.endpoint);
  }

  /** A TCP or TLS listener whose connections go to the pool (a TLS one once its handshake is done). */
  private listenStream(address: ListenAddress, protocol: StreamProtocol): Promise<void> {
    const server = protocol === 'tls' ? this.tlsServer() : createServer();
    return new Promise((resolve, reject) => {
      server.once('error', (error) => {
        reject(new TransportError(`cannot listen on ${formatEndpoint(address)}: ${errorCode(error)}`, { cause: error }));
      });
      server.listen({ host: address.address, port: address.port, exclusive: !this.options.sharedSockets }, () => {
        server.removeAllListeners('error');
        const bound = server.address();
        const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
        const endpoint = Object.freeze({ protocol, address: address.address, port });
        server.on('error', (error) => this.options.logger.warn({ socket: formatEndpoint(endpoint), error: errorCode(error) }, `${protocol} server error`));
        server.on(protocol === 'tls' ? 'secureConnection' : 'connection', (socket) => this.pool.accept(socket, endpoint));
        this.servers.push(server);
        this.listening.push(endpoint);
        resolve();
      });
    });
  }

  /**
   * A TLS server on the current settings: a client certificate is required when `verifyClient`
   * (a handshake without one fails), a handshake must finish within `tcpMessageTimeoutMs`, and
   * connections still handshaking count against `tcpMaxConnections` as well. Failed handshakes are
   * logged at debug level.
   */
  private tlsServer(): TlsServer {
    const tls = this.tls as ResolvedTls;
    const server = createTlsServer({
      ...tls.context,
      requestCert: tls.verifyClient,
      rejectUnauthorized: tls.verifyClient,
      handshakeTimeout: this.options.tcpMessageTimeoutMs,
    });
    server.maxConnections = this.options.tcpMaxConnections;
    server.on('tlsClientError', (error, socket) =>
      this.options.logger.debug({ remote: socket.remoteAddress, error: errorCode(error) }, 'tls handshake failed'),
    );
    this.tlsServers.push(server);
    return server;
  }

  reloadTls(tls: TlsOptions): void {
    this.assertOpen();
    const current = this.tls;
    if (current === undefined) throw new ConfigError('reloadTls(): the transport was created without tls; pass tls to createNodeTransport');
    const next = resolveTlsOptions(tls);
    if (next.verifyClient !== current.verifyClient) {
      throw new ConfigError(`reloadTls(): tls.verifyClient is ${current.verifyClient} and cannot change; create a new transport for that`);
    }
    if (this.tlsServers.length > 0 && !next.serves) throw new ConfigError('reloadTls(): a tls: listener needs tls.cert and tls.key');
    for (const server of this.tlsServers) server.setSecureContext(next.context);
    for (const listener of this.wsListeners) if (listener.endpoint.protocol === 'wss') listener.reloadTls(next);
    this.tls = next;
  }

  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  onResponse(handler: ResponseHandler): void {
    this.responseHandler = handler;
  }

  onFlowClosed(handler: (connectionId: string) => void): void {
    this.flowClosedHandler = handler;
  }

  endpoints(): readonly Endpoint[] {
    return this.listening;
  }

  async sendResponse(data: Uint8Array, request: SipRequest, source: Source): Promise<void> {
    this.assertOpen();
    if (source.protocol === 'udp') {
      const destination = responseDestination(request, source, this.options);
      return this.replyUdp(data, destination.address, destination.port, source.local);
    }
    const relayed = this.relayed(source.connectionId, data);
    if (relayed !== undefined) return relayed;
    const protocol = source.protocol;
    if (isWebSocket(protocol)) return this.sendWs(source.connectionId, data);
    if (!isStream(protocol)) throw unsupported(protocol);
    const open = source.connectionId === undefined ? undefined : this.pool.get(source.connectionId);
    return this.pool.write(open ?? (await this.pool.obtain({ ...responseDestination(request, source, this.options), protocol })), data);
  }

  async send(data: Uint8Array, destination: Endpoint): Promise<void> {
    this.assertOpen();
    if (destination.protocol === 'udp') return this.sendUdp(data, unbracket(destination.address), destination.port);
    const relayed = this.relayed(destination.connectionId, data);
    if (relayed !== undefined) return relayed;
    if (isWebSocket(destination.protocol)) return this.sendWs(destination.connectionId, data);
    const located = await this.locatedElsewhere(destination);
    if (located !== undefined) return this.relayTo(located.holder, located.connectionId, data);
    return this.pool.write(await this.connectionTo(destination), data);
  }

  async request(data: Uint8Array, destination: Endpoint, local?: Endpoint): Promise<TransactionOutcome> {
    this.assertOpen();
    const key = this.transactionKey(data);
    if (destination.protocol === 'udp') {
      const address = unbracket(destination.address);
      return this.transactions.start(key, { reliable: false, send: () => this.sendUdp(data, address, destination.port, local) });
    }
    const connectionId = destination.connectionId;
    const holder = this.holderElsewhere(connectionId);
    // A connection another process holds: the one named, else the one it has to the destination.
    const elsewhere = holder !== undefined ? { holder, connectionId: connectionId! } : await this.locatedElsewhere(destination);
    if (elsewhere !== undefined) {
      return this.transactions.start(key, { reliable: true, connectionId: elsewhere.connectionId, send: () => this.relayTo(elsewhere.holder, elsewhere.connectionId, data) });
    }
    if (isWebSocket(destination.protocol)) {
      return this.transactions.start(key, { reliable: true, connectionId, send: () => this.sendWs(connectionId, data) });
    }
    let connection: TcpConnection;
    try {
      connection = await this.connectionTo(destination);
    } catch (error) {
      return { kind: 'transport-error', error: asError(error) };
    }
    return this.transactions.start(key, {
      reliable: true,
      connectionId: connection.source.connectionId,
      send: () => this.pool.write(connection, data),
    });
  }

  keepConnection(source: Source, untilMs: number): void {
    if (isStream(source.protocol)) this.pool.keep(source, untilMs);
    else if (isWebSocket(source.protocol) && source.connectionId !== undefined) this.wsListenerOf(source.connectionId)?.keep(source.connectionId, untilMs);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.flushReplies();
    this.transactions.closeAll(new TransportError('transport closed'));
    this.pool.closeAll();
    await Promise.all([
      ...this.udp.map((listener) => new Promise<void>((resolve) => listener.socket.close(() => resolve()))),
      ...[...this.ownUdp.values()].map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
      ...this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      ...this.wsListeners.map((listener) => listener.close()),
    ]);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new ConfigError('the node transport is closed');
  }

  /** A connection of this transport closed: end its client transactions and report its flow. */
  private connectionClosed(connectionId: string): void {
    this.transactions.connectionLost(connectionId);
    this.flowClosedHandler?.(connectionId);
  }

  private wsListenerOf(connectionId: string): WsListener | undefined {
    return this.wsListeners.find((listener) => listener.has(connectionId));
  }

  /**
   * The place of the process holding connection `connectionId`, when another process sharing the
   * sockets holds it and can be asked to write on it (`UdpSteering.relay`).
   */
  private holderElsewhere(connectionId: string | undefined): number | undefined {
    const steering = this.options.udpSteering;
    if (connectionId === undefined || steering?.relay === undefined) return undefined;
    const place = connectionPlace(connectionId);
    return place === undefined || place === steering.index || place >= steering.processes ? undefined : place;
  }

  /** `data` written on connection `connectionId` by the process at `holder`; rejects as that one's write does. */
  private relayTo(holder: number, connectionId: string, data: Uint8Array): Promise<void> {
    return this.options.udpSteering!.relay!(holder, connectionId, data);
  }

  /** The relay of `data` on connection `connectionId` when another process holds it ({@link holderElsewhere}); else undefined. */
  private relayed(connectionId: string | undefined, data: Uint8Array): Promise<void> | undefined {
    const holder = this.holderElsewhere(connectionId);
    return holder === undefined ? undefined : this.relayTo(holder, connectionId!, data);
  }

  sendRelayed(connectionId: string, bytes: Uint8Array, from: number): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new TransportError('the node transport is closed'));
    const parsed = parseSipMessage(bytes);
    const branch = parsed.ok && parsed.message.kind === 'request' ? parsed.message.via[0]?.branch : undefined;
    if (branch !== undefined) this.relayedBranches.note(branch, from);
    if (this.wsListenerOf(connectionId) !== undefined) return this.sendWs(connectionId, bytes);
    const open = this.pool.get(connectionId);
    return open === undefined ? Promise.reject(flowClosed(connectionId)) : this.pool.write(open, bytes);
  }

  /** Send on a WebSocket connection (RFC 7118 §5: there is no other way to reach the client). */
  private sendWs(connectionId: string | undefined, data: Uint8Array): Promise<void> {
    const listener = connectionId === undefined ? undefined : this.wsListenerOf(connectionId);
    if (connectionId === undefined || listener === undefined) {
      return Promise.reject(new TransportError(`websocket connection ${connectionId ?? '(none named)'} is closed; a WebSocket client is reached only over its own connection`));
    }
    return listener.send(connectionId, data);
  }

  private connectionTo(destination: Endpoint): Promise<TcpConnection> {
    const { protocol, connectionId } = destination;
    if (!isStream(protocol)) return Promise.reject(unsupported(protocol));
    if (connectionId !== undefined) {
      const open = this.pool.get(connectionId);
      return open === undefined ? Promise.reject(flowClosed(connectionId)) : Promise.resolve(open);
    }
    return this.pool.obtain(this.streamRemote(destination, protocol));
  }

  /** The TCP or TLS endpoint of the pool for `destination`: its address unbracketed, the TLS server name it is verified against. */
  private streamRemote(destination: Endpoint, protocol: StreamProtocol): Endpoint & { readonly protocol: StreamProtocol } {
    const serverName = destination.serverName ?? (protocol === 'tls' ? this.options.tlsServerNames.get(addressKey(destination.address, destination.port)) : undefined);
    return { protocol, address: unbracket(destination.address), port: destination.port, ...(serverName === undefined ? {} : { serverName }) };
  }

  heldConnection(remote: Endpoint): string | undefined {
    const { protocol } = remote;
    return isStream(protocol) ? this.pool.find(this.streamRemote(remote, protocol))?.source.connectionId : undefined;
  }

  /**
   * The connection of another process sharing the sockets (`UdpSteering.locate`) that a TCP or
   * TLS `destination` without a connection id goes over, when this process has none to it.
   */
  private async locatedElsewhere(destination: Endpoint): Promise<{ readonly holder: number; readonly connectionId: string } | undefined> {
    const { protocol } = destination;
    const steering = this.options.udpSteering;
    if (steering?.locate === undefined || steering.relay === undefined || destination.connectionId !== undefined || !isStream(protocol)) return undefined;
    const remote = this.streamRemote(destination, protocol);
    if (this.pool.find(remote) !== undefined) return undefined;
    const connectionId = await steering.locate(remote).catch(() => undefined);
    const holder = this.holderElsewhere(connectionId);
    return holder === undefined ? undefined : { holder, connectionId: connectionId! };
  }

  /** The client transaction key of an outgoing request (RFC 3261 §17.1.3). */
  private transactionKey(data: Uint8Array): string {
    const parsed = parseSipMessage(data);
    if (!parsed.ok || parsed.message.kind !== 'request') {
      throw new ConfigError(`request(): data is not a SIP request${parsed.ok ? '' : `: ${parsed.error.reason}`}`);
    }
    const branch = parsed.message.via[0]?.branch;
    if (branch === undefined) throw new ConfigError('request(): the top Via has no branch parameter (RFC 3261 §8.1.1.7)');
    return clientTransactionKey(branch, parsed.message.cseq.method);
  }

  private udpListenerFor(address: string, local: Endpoint | undefined): UdpListener {
    if (local !== undefined) {
      for (const listener of this.udp) {
        if (listener.endpoint.port === local.port && listener.endpoint.address === local.address) return listener;
      }
    }
    const family = isIP(address) === 6 ? 6 : 4;
    for (const listener of this.udp) if (listener.family === family) return listener;
    throw new TransportError(`no IPv${family} UDP socket to send to ${address}; add one to listen`);
  }

  private sendUdp(data: Uint8Array, address: string, port: number, local?: Endpoint): Promise<void> {
    const listener = this.udpListenerFor(address, local);
    return new Promise((resolve, reject) => {
      const failed = (error: unknown): void =>
        reject(new TransportError(`cannot send to udp:${address}:${port}: ${errorCode(error)}`, { cause: error }));
      try {
        listener.socket.send(data, port, address, (error) => (error ? failed(error) : resolve()));
      } catch (error) {
        failed(error);
      }
    });
  }

  /**
   * A response over UDP, fire-and-forget as SIP stacks send them: no completion callback, so the
   * kernel's answer does not cost a second trip into JavaScript per message. The responses to the
   * datagrams of one read burst leave together once the burst is handled (`setImmediate`, the
   * check phase after the poll phase), not one between each: on loopback and on a busy host each
   * send may wake the peer's process, and a run of sends wakes it once. Only failures the socket
   * reports at once (a closed socket, a bad address) reject, and those found at the flush are
   * logged.
   */
  private replyUdp(data: Uint8Array, address: string, port: number, local: Endpoint): Promise<void> {
    const listener = this.udpListenerFor(address, local);
    if (!(port > 0 && port < 65536)) return Promise.reject(new TransportError(`cannot send to udp:${address}:${port}: bad port`));
    this.replies.push(listener.socket, data, port, address);
    if (this.replies.length === 4) setImmediate(this.flushReplies);
    return SENT;
  }

  /** The UDP responses queued by {@link replyUdp} (socket, bytes, port, address, repeated), sent in order. */
  private readonly replies: (UdpSocket | Uint8Array | number | string)[] = [];

  private readonly flushReplies = (): void => {
    const replies = this.replies;
    for (let i = 0; i < replies.length; i += 4) {
      const address = replies[i + 3] as string;
      const port = replies[i + 2] as number;
      try {
        (replies[i] as UdpSocket).send(replies[i + 1] as Uint8Array, port, address);
      } catch (error) {
        this.options.logger.warn({ destination: `udp:${address}:${port}`, error: errorCode(error) }, 'udp response not sent');
      }
    }
    replies.length = 0;
  };

  /** A datagram on `listener`; `mine` when it came to this process's own socket, so is never handed on ({@link UdpSteering}). */
  private onDatagram(listener: UdpListener, bytes: Buffer, remote: RemoteInfo, mine = false): void {
    const source: Source = { protocol: 'udp', address: remote.address, port: remote.port, local: listener.endpoint };
    // RFC 5626 §4.4.2: a UA keeps its UDP flow alive with STUN Binding requests to the SIP port.
    if (bytes[0] <= 1 && isStunBindingRequest(bytes)) {
      this.sendToSource(stunBindingSuccess(bytes, remote.address, remote.port), source);
    } else if (bytes.length > this.options.maxMessageBytes) {
      this.refuseOversized(bytes, source);
    } else {
      this.receive(bytes, source, mine);
    }
  }

  /**
   * A whole message (a datagram, a WebSocket message): a CRLF keep-alive (RFC 5626 §3.5.1, also
   * sent over WebSocket by SIP.js) is answered or dropped, anything else dispatched (`steered`:
   * never handed to another process, see {@link dispatch}).
   */
  private receive(bytes: Uint8Array, source: Source, steered = false): void {
    if (bytes[0] === CR || bytes[0] === LF) {
      if (bytes.length === 4 && bytes[1] === LF && bytes[2] === CR && bytes[3] === LF) this.sendToSource(new Uint8Array([CR, LF]), source);
      else if (!isKeepAlive(bytes)) this.dispatch(bytes, source, steered);
    } else {
      this.dispatch(bytes, source, steered);
    }
  }

  receiveSteered(bytes: Uint8Array, source: Source): void {
    if (source.protocol !== 'udp') {
      this.dispatch(bytes, source, true);
      return;
    }
    const key = formatEndpoint(source.local);
    const listener = this.udp.find((l) => formatEndpoint(l.endpoint) === key);
    if (listener === undefined) {
      this.options.logger.debug({ source: formatEndpoint(source), local: key }, 'handed a datagram for a udp socket this process does not listen on; dropped');
      return;
    }
    this.dispatch(bytes, { protocol: 'udp', address: source.address, port: source.port, local: listener.endpoint }, true);
  }

  /**
   * True when `message`, received from `source` on a shared UDP socket, belongs to another
   * process ({@link UdpSteering}) and was handed to it.
   */
  private steeredAway(message: SipMessage, bytes: Uint8Array, source: Source): boolean {
    const steering = this.options.udpSteering;
    if (steering === undefined) return false;
    if (source.protocol !== 'udp') {
      // On a connection: a response to a request another process relayed here goes back to it.
      const branch = message.kind === 'response' ? message.via[0]?.branch : undefined;
      const from = branch === undefined ? undefined : this.relayedBranches.placeOf(branch);
      if (from === undefined || from === steering.index) return false;
      steering.forward(from, bytes, source);
      return true;
    }
    if (message.kind === 'request' && message.method === 'REGISTER') return false;
    const owner = steeringOwner(message.callId, steering.processes);
    if (owner === steering.index) return false;
    steering.forward(owner, bytes, source);
    return true;
  }

  /**
   * Parse one framed message and hand it on: a request to the handler, a response to its
   * transaction; one that belongs to another process sharing the socket to it, unless `steered`
   * (it was handed here already).
   */
  private dispatch(bytes: Uint8Array, source: Source, steered = false): void {
    let parsed: ReturnType<typeof parseSipMessage>;
    try {
      parsed = parseSipMessage(bytes, this.parseOptions, this.scanner, this.grammar);
    } catch (error) {
      this.options.logger.warn({ source: formatEndpoint(source), error: errorCode(error) }, 'sip parser threw');
      return;
    }
    if (!parsed.ok) {
      const { reason, partial, tooManyContacts } = parsed.error;
      if (reason === GRAMMAR_BUDGET_SPENT) {
        this.refuse({ problem: 'overloaded', reason: `the grammar's ${this.options.grammarParsesPerSecond} parses/s are spent`, source, answerable: false }, undefined);
        return;
      }
      const problem: InvalidMessageProblem = tooManyContacts ? 'too-many-contacts' : 'malformed';
      const detail = tooManyContacts ? 'Too many Contact header values' : reason;
      const response = partial && looksLikeRequest(bytes) ? buildErrorResponse(partial, 400, `Bad Request (${detail})`, this.nextTag()) : undefined;
      this.refuse({ problem, reason: detail, source, answerable: response !== undefined }, response);
      return;
    }
    const message = parsed.message;
    if (message.kind === 'response') {
      if (this.transactions.receive(message)) return;
      if (!steered && this.steeredAway(message, bytes, source)) return;
      const responseHandler = this.responseHandler;
      if (responseHandler === undefined) {
        this.options.logger.debug({ source: formatEndpoint(source), callId: message.callId }, 'response matches no client transaction');
      } else {
        this.invoke(() => responseHandler(message, source), message);
      }
      return;
    }
    if (!steered && this.steeredAway(message, bytes, source)) return;
    const handler = this.handler;
    if (handler === undefined) {
      this.options.logger.debug({ source: formatEndpoint(source), method: message.method }, 'no request handler; request dropped');
      return;
    }
    const request = stampReceived(message, source.address, source.port);
    this.invoke(() => handler(request, source, bytes), request);
  }

  /** Run a host handler: a throw or a rejected promise is logged, never fatal. */
  private invoke(call: () => unknown, message: SipMessage): void {
    const failed = (error: unknown): void => {
      this.options.logger.error({ error, callId: message.callId, cseq: message.cseq }, 'message handler failed');
    };
    try {
      const returned = call();
      if (returned instanceof Promise) returned.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** RFC 3261 §21.5.7: answer `513 Message Too Large` when the head of the datagram is readable. */
  private refuseOversized(bytes: Buffer, source: Source): void {
    const { maxMessageBytes } = this.options;
    const headEnd = bytes.indexOf('\r\n\r\n');
    const response = headEnd >= 0 && headEnd < maxMessageBytes ? this.tooLargeResponse(bytes.subarray(0, headEnd + 4)) : undefined;
    const reason = `${bytes.length} bytes exceed maxMessageBytes ${maxMessageBytes}`;
    this.refuse({ problem: 'too-large', reason, source, answerable: response !== undefined }, response);
  }

  /** `513 Message Too Large` (RFC 3261 §21.5.7) to the request whose complete head is `head`, when it is readable. */
  private tooLargeResponse(head: Uint8Array): Uint8Array | undefined {
    if (!looksLikeRequest(head)) return undefined;
    const parsed = parseSipMessage(head, this.parseOptions, this.scanner, this.grammar);
    const recovered = parsed.ok ? (parsed.message.kind === 'request' ? recoveredHead(parsed.message) : undefined) : parsed.error.partial;
    return recovered === undefined ? undefined : buildErrorResponse(recovered, 513, 'Message Too Large', this.nextTag());
  }

  private refuse(message: InvalidMessage, response: Uint8Array | undefined): void {
    const reply = this.decide(message, response);
    if (reply !== undefined) this.sendToSource(reply, message.source);
  }

  /** Log a refused message and ask `onInvalid`: the prepared response to send, or `undefined` to stay silent. */
  private decide(message: InvalidMessage, response: Uint8Array | undefined): Uint8Array | undefined {
    this.options.logger.debug({ source: formatEndpoint(message.source), problem: message.problem, reason: message.reason }, 'invalid SIP message');
    let action: InvalidMessageAction = response === undefined ? 'drop' : 'reply';
    if (this.options.onInvalid !== undefined) {
      try {
        action = this.options.onInvalid(message);
      } catch (error) {
        this.options.logger.error({ error }, 'onInvalid callback failed');
      }
    }
    return action === 'reply' ? response : undefined;
  }

  /** Answer on the path a message came in on (same connection, or the UDP source address). */
  private sendToSource(data: Uint8Array, source: Source): void {
    const connection = source.connectionId === undefined ? undefined : this.pool.get(source.connectionId);
    const sent =
      source.protocol === 'udp'
        ? this.sendUdp(data, source.address, source.port, source.local)
        : isWebSocket(source.protocol)
          ? this.sendWs(source.connectionId, data)
          : connection === undefined
            ? Promise.resolve()
            : this.pool.write(connection, data);
    sent.catch((error: unknown) => this.options.logger.debug({ source: formatEndpoint(source), error: errorCode(error) }, 'cannot answer'));
  }

  private nextTag(): string {
    return `${this.tagPrefix}${(this.tagCounter++).toString(36)}`;
  }
}

/**
 * Open UDP, TCP and TLS sockets and return a {@link Transport} over them (RFC 3261 §18, TLS per
 * §26.3.1 with the server identity checked per RFC 5922 §7.2 on outgoing connections) with the
 * non-INVITE client transaction of §17.1.2. Incoming requests get `received`/`rport` added to
 * their top Via (§18.2.1, RFC 3581 §4) before the handler sees them; responses are routed per
 * §18.2.2. A malformed message never throws: it is answered `400` when its head is recoverable,
 * otherwise dropped and logged at debug level; a throwing handler is logged.
 *
 * @example
 * ```ts
 * const transport = await createNodeTransport({ listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'] });
 * transport.onRequest((request, source) => {
 *   void transport.sendResponse(buildResponse(request, 200, 'OK'), request, source);
 * });
 * ```
 * @throws {@link ConfigError} for bad options; rejects with {@link TransportError} when a socket
 *   cannot be bound (the message names the address and the errno, e.g. `EADDRINUSE`).
 */
export async function createNodeTransport(options: NodeTransportOptions): Promise<NodeTransport> {
  const transport = new NodeTransportImpl(resolveOptions(options));
  await transport.bind();
  return transport;
}
