import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConfigError, TransportError } from '../errors/sdk-error';
import { integerOption } from '../errors/integer-option';
import { systemClock, type Clock } from '../ports/clock';
import { silentLogger, type Logger } from '../ports/logger';
import type { Endpoint, Source } from '../ports/transport';
import { formatEndpoint } from './listen-address';
import { connectionIdSalt } from './connection-place';
import type { ResolvedTls, resolveTlsOptions } from './tls-options';
import { errorCode } from './socket-error';
import { WsConnection, type WsConnectionSettings } from './ws-connection';
import { WsConnectionCaps } from './ws-connection-caps';
import { SIP_SUBPROTOCOL, offersSipSubprotocol, refuseHandshake } from './ws-handshake';

/** Where a WebSocket listener listens: `ws` over plain TCP, `wss` over TLS (RFC 7118 §3). */
export interface WsListenAddress extends Endpoint {
  readonly protocol: 'ws' | 'wss';
}

/** Options of {@link createWsListener}. */
export interface WsListenerOptions {
  /** The address to listen on; port 0 picks an ephemeral one (see {@link WsListener.endpoint}). */
  readonly address: WsListenAddress;
  /**
   * The certificate, key and CA of a `wss` listener, from {@link resolveTlsOptions} (so `tls:` and
   * `wss:` listeners share one loaded set); with `verifyClient`, a client certificate signed by the
   * CA is required in the TLS handshake. Required for `wss`, with a certificate and key; refused for `ws`.
   */
  readonly tls?: ResolvedTls;
  /** Time source of the idle, ping and handshake timers and the rate window. @defaultValue {@link systemClock} */
  readonly clock?: Clock;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
  /** Largest WebSocket message accepted; a larger one closes the connection with 1009. @defaultValue 65536 */
  readonly maxMessageBytes?: number;
  /**
   * Close a connection without a SIP message either way for this long (1000), unless kept by
   * {@link WsListener.keep}; also the time a TCP connection has to complete its opening handshake.
   * @defaultValue 120000
   */
  readonly idleTimeoutMs?: number;
  /** Ping every connection this often; one that has not answered the previous ping is terminated. @defaultValue 30000 */
  readonly pingIntervalMs?: number;
  /** Close a connection (1008) that sends more messages than this within one second. @defaultValue 100 */
  readonly maxMessagesPerSecond?: number;
  /** Most accepted connections open at once; one more is closed as soon as it is accepted. @defaultValue 2048 */
  readonly maxConnections?: number;
  /** Most accepted connections open at once from one remote IP address. @defaultValue 512 */
  readonly maxConnectionsPerIp?: number;
  /**
   * Bind the port for this process alone; false in a node:cluster worker shares it with the other
   * workers through the primary (see `NodeTransportOptions.sharedSockets`).
   * @defaultValue true
   */
  readonly exclusive?: boolean;
  /** A WebSocket message arrived: one SIP message (RFC 7118 §5), text or binary. */
  readonly onMessage: (bytes: Uint8Array, source: Source) => void;
  /** A WebSocket connection closed, for any reason; called once per connection. */
  readonly onClosed: (connectionId: string) => void;
  /** The middle of the connection ids (`ws-<salt>-<n>`). @defaultValue a random {@link connectionIdSalt} */
  readonly idSalt?: string;
}

/** A listening SIP-over-WebSocket server, from {@link createWsListener}. */
export interface WsListener {
  /** The bound address (the actual port when 0 was asked for), the `local` of every {@link Source}. */
  readonly endpoint: WsListenAddress;
  /** WebSocket connections open now. */
  readonly connectionCount: number;
  /** Whether `connectionId` names a connection of this listener that is open. */
  has(connectionId: string): boolean;
  /**
   * Send one SIP message on a connection, as one WebSocket message (RFC 7118 §5). A WebSocket
   * client cannot be connected to, so the message goes on that connection or nowhere.
   * @throws {@link TransportError} (as a rejection) when the connection is not open.
   */
  send(connectionId: string, bytes: Uint8Array): Promise<void>;
  /** Keep a connection open at least until `untilMs` (epoch ms), however idle; unknown ids are ignored. */
  keep(connectionId: string, untilMs: number): void;
  /**
   * Serve new TLS handshakes with another certificate, key and CA (a renewed certificate); open
   * connections keep theirs and stay open. Whether a client certificate is required stays as created.
   * @throws {@link ConfigError} on a `ws` listener.
   */
  reloadTls(tls: ResolvedTls): void;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
}

interface ResolvedOptions extends WsConnectionSettings {
  readonly address: WsListenAddress;
  readonly tls: ResolvedTls | undefined;
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly onMessage: (bytes: Uint8Array, source: Source) => void;
  readonly onClosed: (connectionId: string) => void;
  readonly idSalt: string;
}

const OWNER = 'WsListenerOptions';

/** What a client without the `sip` subprotocol is told (RFC 7118 §4). */
const SIP_REQUIRED = `This server speaks SIP over WebSocket (RFC 7118): the handshake must offer the "${SIP_SUBPROTOCOL}" subprotocol (Sec-WebSocket-Protocol: ${SIP_SUBPROTOCOL}).`;

function resolveOptions(options: WsListenerOptions): ResolvedOptions {
  const { protocol } = options.address;
  if (protocol !== 'ws' && protocol !== 'wss') throw new ConfigError(`${OWNER}.address must be a ws or wss address, got ${String(protocol)}`);
  if (protocol === 'wss' && options.tls?.serves !== true) {
    throw new ConfigError(`${OWNER}.tls with a certificate and key is required for ${formatEndpoint(options.address)}: give the PEM cert and key`);
  }
  if (protocol === 'ws' && options.tls !== undefined) throw new ConfigError(`${OWNER}.tls is only for wss; ${formatEndpoint(options.address)} is plain ws`);
  return {
    address: options.address,
    tls: options.tls,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    maxMessageBytes: integerOption(OWNER, 'maxMessageBytes', options.maxMessageBytes, 65536, 1),
    idleTimeoutMs: integerOption(OWNER, 'idleTimeoutMs', options.idleTimeoutMs, 120_000, 1),
    pingIntervalMs: integerOption(OWNER, 'pingIntervalMs', options.pingIntervalMs, 30_000, 1),
    maxMessagesPerSecond: integerOption(OWNER, 'maxMessagesPerSecond', options.maxMessagesPerSecond, 100, 1),
    maxConnections: integerOption(OWNER, 'maxConnections', options.maxConnections, 2048, 1),
    maxConnectionsPerIp: integerOption(OWNER, 'maxConnectionsPerIp', options.maxConnectionsPerIp, 512, 1),
    onMessage: options.onMessage,
    onClosed: options.onClosed,
    idSalt: options.idSalt ?? connectionIdSalt(),
  };
}

function createServer(tls: ResolvedTls | undefined): HttpServer | HttpsServer {
  return tls === undefined ? createHttpServer() : createHttpsServer({ ...tls.context, requestCert: tls.verifyClient, rejectUnauthorized: tls.verifyClient });
}

/**
 * Listen for SIP over WebSocket (RFC 7118) on `ws:` or `wss:` (TLS) with the `ws` package: the
 * opening handshake must offer the `sip` subprotocol (§4; without it the upgrade is refused with
 * 400) and the response selects it; each WebSocket message, text or binary, is one SIP message
 * (§5), handed to `onMessage` with a {@link Source} whose `connectionId` is unique to the
 * connection (RFC 5626 flow token). Every connection is bounded: message size (1009), messages
 * per second (1008), idle time (1000), a ping each interval whose pong must arrive before the next
 * one, and caps on connections in total and per remote address. A plain HTTP request gets 426.
 *
 * @example
 * ```ts
 * const listener = await createWsListener({
 *   address: { protocol: 'wss', address: '0.0.0.0', port: 7443 },
 *   tls: resolveTlsOptions({ cert: readFileSync('cert.pem'), key: readFileSync('key.pem') }),
 *   onMessage: (bytes, source) => handle(bytes, source),
 *   onClosed: (connectionId) => registrar.flowFailed(connectionId),
 * });
 * ```
 * @throws {@link ConfigError} on bad options; {@link TransportError} when the address cannot be bound.
 */
export async function createWsListener(options: WsListenerOptions): Promise<WsListener> {
  const resolved = resolveOptions(options);
  const server = createServer(resolved.tls);
  const endpoint = await listen(server, resolved.address, options.exclusive ?? true);
  return new WsListenerImpl(resolved, server, endpoint);
}

function listen(server: HttpServer | HttpsServer, address: WsListenAddress, exclusive: boolean): Promise<WsListenAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(new TransportError(`cannot listen on ${formatEndpoint(address)}: ${errorCode(error)}`, { cause: error }));
    });
    server.listen({ host: address.address, port: address.port, exclusive }, () => {
      server.removeAllListeners('error');
      const bound = server.address();
      resolve(Object.freeze({ protocol: address.protocol, address: address.address, port: typeof bound === 'object' && bound !== null ? bound.port : address.port }));
    });
  });
}

/** A TCP connection accepted and not yet upgraded: the deadline of its opening handshake. */
interface PendingHandshake {
  readonly socket: Socket;
  readonly deadline: { cancel(): void };
}

class WsListenerImpl implements WsListener {
  private readonly webSockets: WebSocketServer;
  private readonly connections = new Map<string, WsConnection>();
  /** Accepted TCP connections still in their opening handshake, by `address|port`. */
  private readonly handshaking = new Map<string, PendingHandshake>();
  private readonly caps: WsConnectionCaps;
  /** Tells this listener's connection ids from another's, and from a previous process's in a store. */
  private readonly idPrefix: string;
  private nextId = 1;
  private refused = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly server: HttpServer | HttpsServer,
    readonly endpoint: WsListenAddress,
  ) {
    this.idPrefix = `${endpoint.protocol}-${options.idSalt}-`;
    this.caps = new WsConnectionCaps(options.maxConnections, options.maxConnectionsPerIp);
    this.webSockets = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxMessageBytes,
      handleProtocols: () => SIP_SUBPROTOCOL,
    });
    server.on('connection', (socket: Socket) => this.accept(socket));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
    server.on('request', (_request, response) => {
      response.writeHead(426, { Upgrade: 'websocket', Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(SIP_REQUIRED);
    });
    server.on('error', (error) => options.logger.warn({ socket: formatEndpoint(endpoint), error: errorCode(error) }, 'websocket server error'));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  has(connectionId: string): boolean {
    return this.connections.has(connectionId);
  }

  send(connectionId: string, bytes: Uint8Array): Promise<void> {
    const connection = this.connections.get(connectionId);
    if (connection === undefined) {
      return Promise.reject(new TransportError(`cannot send on websocket connection ${connectionId}: it is closed (a WebSocket client cannot be connected to)`));
    }
    return connection.send(bytes);
  }

  keep(connectionId: string, untilMs: number): void {
    this.connections.get(connectionId)?.keep(untilMs);
  }

  reloadTls(tls: ResolvedTls): void {
    if (!('setSecureContext' in this.server)) throw new ConfigError(`reloadTls: ${formatEndpoint(this.endpoint)} is plain ws, not wss`);
    this.server.setSecureContext(tls.context);
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      for (const pending of this.handshaking.values()) pending.socket.destroy();
      for (const connection of this.connections.values()) connection.terminate();
      this.webSockets.close();
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  /** A TCP connection arrived: count it against the caps (or refuse it) and give it until `idleTimeoutMs` to upgrade. */
  private accept(socket: Socket): void {
    const { remoteAddress, remotePort } = socket;
    if (this.closing !== undefined || remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return;
    }
    const limit = this.caps.admit(remoteAddress);
    if (limit !== undefined) {
      this.refused++;
      this.options.logger.debug({ remote: remoteAddress, limit, open: this.caps.count, refused: this.refused }, 'websocket connection refused');
      socket.destroy();
      return;
    }
    const key = `${remoteAddress}|${remotePort}`;
    const deadline = this.options.clock.setTimer(this.options.idleTimeoutMs, () => {
      this.options.logger.debug({ remote: remoteAddress, timeoutMs: this.options.idleTimeoutMs }, 'closing connection: no websocket handshake in time');
      socket.destroy();
    });
    this.handshaking.set(key, { socket, deadline });
    socket.on('close', () => {
      this.endHandshake(key);
      this.caps.release(remoteAddress);
    });
  }

  /** RFC 7118 §4: upgrade a handshake that offers `sip`; refuse any other. */
  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!offersSipSubprotocol(request.headers['sec-websocket-protocol'])) {
      this.options.logger.debug({ remote: request.socket.remoteAddress, offered: request.headers['sec-websocket-protocol'] }, 'websocket handshake refused: no sip subprotocol');
      refuseHandshake(socket, 400, 'Bad Request', SIP_REQUIRED);
      return;
    }
    this.webSockets.handleUpgrade(request, socket, head, (webSocket) => this.adopt(webSocket, request));
  }

  private adopt(webSocket: WebSocket, request: IncomingMessage): void {
    const { remoteAddress, remotePort } = request.socket;
    if (remoteAddress === undefined || remotePort === undefined) {
      webSocket.terminate();
      return;
    }
    this.endHandshake(`${remoteAddress}|${remotePort}`);
    const connectionId = `${this.idPrefix}${this.nextId++}`;
    const source: Source = { protocol: this.endpoint.protocol, address: remoteAddress, port: remotePort, local: this.endpoint, connectionId };
    const connection = new WsConnection(webSocket, source, this.options, this.options.onMessage, () => {
      this.connections.delete(connectionId);
      this.options.onClosed(connectionId);
    });
    this.connections.set(connectionId, connection);
  }

  private endHandshake(key: string): void {
    this.handshaking.get(key)?.deadline.cancel();
    this.handshaking.delete(key);
  }
}
