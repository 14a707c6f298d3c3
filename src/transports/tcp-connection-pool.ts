import { connectionIdSalt } from './connection-place';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { TransportError } from '../errors/sdk-error';
import type { Clock, TimerHandle } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Endpoint, Source } from '../ports/transport';
import { formatEndpoint } from './listen-address';
import { errorCode } from './socket-error';
import { StreamFramer, type FramingError } from './stream-framer';

/** The connection-oriented protocols a {@link TcpConnectionPool} carries: TLS is TCP under a TLS session (RFC 3261 §26.3.1). */
export type StreamProtocol = 'tcp' | 'tls';

/** One open TCP or TLS connection (RFC 3261 §18.3), inbound or outbound. */
export interface TcpConnection {
  /** The source handed with every request read from this connection (its `connectionId` is `id`). */
  readonly source: Source;
  readonly socket: Socket;
}

interface PooledConnection extends TcpConnection {
  readonly framer: StreamFramer;
  lastActivityMs: number;
  keepUntilMs: number;
  idleTimer: TimerHandle | undefined;
  /** The deadline of the message being read, or of the farewell write once closing. */
  messageTimer: TimerHandle | undefined;
  /** The stream failed framing: later bytes are discarded until the connection is gone. */
  closing: boolean;
}

/** Settings and callbacks of a {@link TcpConnectionPool}. */
export interface TcpConnectionPoolOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Close a connection idle this long, unless kept (OpenSIPS `tcp_connection_lifetime`). */
  readonly idleTimeoutMs: number;
  /** Give up connecting (TLS: and handshaking) after this long. */
  readonly connectTimeoutMs: number;
  /**
   * Close a connection whose message is not complete this long after the read that began it,
   * whatever trickles in meanwhile (OpenSIPS `tcp_max_msg_time`).
   */
  readonly messageTimeoutMs: number;
  /** Most accepted connections open at once (Kamailio/OpenSIPS `tcp_max_connections`). */
  readonly maxConnections: number;
  /** Most accepted connections open at once from one remote address. */
  readonly maxConnectionsPerIp: number;
  readonly maxMessageBytes: number;
  /**
   * Open a socket to `destination` for {@link TcpConnectionPool.obtain}: a `net` socket for TCP, a
   * `TLSSocket` for TLS (the pool waits for its `secureConnect`, so a certificate that fails
   * verification rejects the connect).
   */
  readonly dial: (destination: Endpoint & { readonly protocol: StreamProtocol }) => Socket;
  /** A framed SIP message arrived. */
  readonly onMessage: (bytes: Uint8Array, source: Source) => void;
  /**
   * The stream could not be framed; `head` is the complete head of a message refused as too large.
   * Return bytes to write before the connection closes (a `513`), or `undefined` to close at once.
   */
  readonly onFramingError: (error: FramingError, source: Source, head: Uint8Array | undefined) => Uint8Array | undefined;
  /** A connection closed (for ending its client transactions). */
  readonly onClosed: (connectionId: string) => void;
  /** The middle of the connection ids. @defaultValue a random {@link connectionIdSalt} */
  readonly idSalt?: string;
}

/**
 * The key of a connection to a remote endpoint for reuse (RFC 3261 §18.1.1): protocol, address,
 * port, and for outgoing TLS the server name it was verified against (RFC 5922 §7.2), so that a
 * connection authenticated for one name is not reused for another.
 */
function remoteKey(protocol: string, address: string, port: number, serverName?: string): string {
  return serverName === undefined ? `${protocol}|${address}|${port}` : `${protocol}|${address}|${port}|${serverName}`;
}

/**
 * The TCP and TLS connections of a transport (a TLS connection is handed over once its handshake
 * is done, and read and written like any TCP one): framing, CRLF keep-alive pongs (RFC 5626 §3.5.1), reuse of an
 * open connection to the same remote endpoint (RFC 3261 §18.2.2 / §18.1.1), idle closing with the
 * `tcp_persistent_flag` extension ({@link TcpConnectionPool.keep}), and connect on demand. Accepted
 * connections are bounded: a global and a per-address cap refuse more at once, and a message must
 * be complete within `messageTimeoutMs` of its first read, so a peer trickling bytes (slowloris)
 * cannot hold a connection by merely restarting the idle timer.
 */
export class TcpConnectionPool {
  private readonly options: TcpConnectionPoolOptions;
  private readonly byId = new Map<string, PooledConnection>();
  private readonly byRemote = new Map<string, PooledConnection>();
  private readonly connecting = new Map<string, Promise<TcpConnection>>();
  private readonly connectingSockets = new Set<Socket>();
  /** Open accepted connections by remote address, for the per-address cap. */
  private readonly acceptedByAddress = new Map<string, number>();
  private acceptedOpen = 0;
  private refused = 0;
  private nextId = 1;
  /** The middle of this pool's connection ids (see {@link connectionIdSalt}). */
  private readonly idSalt: string;
  private closed = false;

  constructor(options: TcpConnectionPoolOptions) {
    this.options = options;
    this.idSalt = options.idSalt ?? connectionIdSalt();
  }

  /**
   * Take over a socket a server accepted on `local` (a TLS one once its handshake is done), unless
   * that would exceed `maxConnections` or `maxConnectionsPerIp`: then it is closed at once and the
   * refusal logged at debug level. The connection's protocol is `local`'s.
   */
  accept(socket: Socket, local: Endpoint & { readonly protocol: StreamProtocol }): void {
    const address = socket.remoteAddress;
    const limit =
      this.acceptedOpen >= this.options.maxConnections
        ? 'tcpMaxConnections'
        : address !== undefined && (this.acceptedByAddress.get(address) ?? 0) >= this.options.maxConnectionsPerIp
          ? 'tcpMaxConnectionsPerIp'
          : undefined;
    if (limit === undefined) {
      this.adopt(socket, local.protocol, local, true);
      return;
    }
    this.refused++;
    this.options.logger.debug({ remote: address, protocol: local.protocol, limit, open: this.acceptedOpen, refused: this.refused }, 'tcp connection refused');
    socket.destroy();
  }

  /**
   * Take over a connected socket: one a server accepted (counted against the caps), or one
   * {@link obtain} connected, reused under the server name it was verified for.
   */
  private adopt(socket: Socket, protocol: StreamProtocol, local: Endpoint, accepted: boolean, serverName?: string): TcpConnection | undefined {
    const { remoteAddress, remotePort } = socket;
    if (this.closed || remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return undefined;
    }
    const id = `${protocol}-${this.idSalt}-${this.nextId++}`;
    const source: Source = { protocol, address: remoteAddress, port: remotePort, local, connectionId: id };
    const connection: PooledConnection = {
      source,
      socket,
      framer: new StreamFramer(this.options.maxMessageBytes),
      lastActivityMs: this.options.clock.now(),
      keepUntilMs: 0,
      idleTimer: undefined,
      messageTimer: undefined,
      closing: false,
    };
    const key = remoteKey(protocol, remoteAddress, remotePort, serverName);
    this.byId.set(id, connection);
    this.byRemote.set(key, connection);
    if (accepted) this.countAccepted(remoteAddress, 1);
    socket.setNoDelay(true);
    let oversizedHead: Uint8Array | undefined;
    const sink = {
      message: (bytes: Uint8Array) => {
        this.endMessageDeadline(connection);
        this.options.onMessage(bytes, source);
      },
      ping: () => {
        this.endMessageDeadline(connection);
        socket.write('\r\n');
      },
      oversized: (head: Uint8Array) => {
        oversizedHead = head;
      },
    };
    socket.on('data', (chunk: Buffer) => {
      if (connection.closing) return;
      connection.lastActivityMs = this.options.clock.now();
      const error = connection.framer.push(chunk, sink);
      if (error !== undefined) this.closeAfter(connection, this.options.onFramingError(error, source, oversizedHead));
      else if (connection.framer.buffering) connection.messageTimer ??= this.startMessageDeadline(connection);
    });
    socket.on('error', (error) => this.options.logger.debug({ connection: id, error: errorCode(error) }, 'connection error'));
    socket.on('close', () => {
      connection.idleTimer?.cancel();
      connection.messageTimer?.cancel();
      this.byId.delete(id);
      if (this.byRemote.get(key) === connection) this.byRemote.delete(key);
      if (accepted) this.countAccepted(remoteAddress, -1);
      this.options.onClosed(id);
    });
    this.armIdleTimer(connection);
    return connection;
  }

  /** The open connection with this id. */
  get(connectionId: string): TcpConnection | undefined {
    return this.byId.get(connectionId);
  }

  /** The open connection to `destination` (with the same `serverName`, for TLS), if any; never connects. */
  find(destination: Endpoint & { readonly protocol: StreamProtocol }): TcpConnection | undefined {
    return this.byRemote.get(remoteKey(destination.protocol, destination.address, destination.port, destination.serverName));
  }

  /**
   * An open connection to `destination` (with the same `serverName`, for TLS), connecting when there
   * is none. Rejects with {@link TransportError}.
   */
  obtain(destination: Endpoint & { readonly protocol: StreamProtocol }): Promise<TcpConnection> {
    const open = this.find(destination);
    if (open !== undefined) return Promise.resolve(open);
    const key = remoteKey(destination.protocol, destination.address, destination.port, destination.serverName);
    const pending = this.connecting.get(key);
    if (pending !== undefined) return pending;
    const attempt = this.connect(destination);
    this.connecting.set(key, attempt);
    const forget = (): void => {
      this.connecting.delete(key);
    };
    attempt.then(forget, forget);
    return attempt;
  }

  /** Write bytes on a connection; resolves once handed to the kernel. Rejects with {@link TransportError}. */
  write(connection: TcpConnection, data: Uint8Array): Promise<void> {
    const pooled = this.byId.get(connection.source.connectionId ?? '');
    if (pooled !== undefined) pooled.lastActivityMs = this.options.clock.now();
    return new Promise((resolve, reject) => {
      connection.socket.write(data, (error) => {
        if (error) reject(new TransportError(`cannot write to ${formatEndpoint(connection.source)}: ${errorCode(error)}`, { cause: error }));
        else resolve();
      });
    });
  }

  /**
   * Keep the connection a request came in on open at least until `untilMs` (epoch ms), as OpenSIPS
   * does for `tcp_persistent_flag` with the contact's expiry. Unknown connections are ignored.
   */
  keep(source: Source, untilMs: number): void {
    const connection =
      (source.connectionId === undefined ? undefined : this.byId.get(source.connectionId)) ??
      this.byRemote.get(remoteKey(source.protocol, source.address, source.port));
    if (connection !== undefined && untilMs > connection.keepUntilMs) connection.keepUntilMs = untilMs;
  }

  /** Close every connection and abort pending connects. */
  closeAll(): void {
    this.closed = true;
    for (const socket of this.connectingSockets) socket.destroy(new TransportError('transport closed'));
    for (const connection of this.byId.values()) connection.socket.destroy();
  }

  private connect(destination: Endpoint & { readonly protocol: StreamProtocol }): Promise<TcpConnection> {
    const { serverName } = destination;
    const target = serverName === undefined ? formatEndpoint(destination) : `${formatEndpoint(destination)} (${serverName})`;
    return new Promise<TcpConnection>((resolve, reject) => {
      if (this.closed) {
        reject(new TransportError(`cannot connect to ${target}: transport closed`));
        return;
      }
      const socket = this.options.dial(destination);
      const ready = socket instanceof TLSSocket ? 'secureConnect' : 'connect';
      this.connectingSockets.add(socket);
      const timer = this.options.clock.setTimer(this.options.connectTimeoutMs, () => {
        socket.destroy(new TransportError('connect timeout'));
      });
      const settle = (): void => {
        timer.cancel();
        this.connectingSockets.delete(socket);
      };
      socket.once('error', (error) => {
        settle();
        reject(new TransportError(`cannot connect to ${target}: ${connectFailure(error, ready)}`, { cause: error }));
      });
      socket.once(ready, () => {
        settle();
        socket.removeAllListeners('error');
        const local: Endpoint = { protocol: destination.protocol, address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
        const connection = this.adopt(socket, destination.protocol, local, false, serverName);
        if (connection === undefined) reject(new TransportError(`cannot connect to ${target}: transport closed`));
        else resolve(connection);
      });
    });
  }

  private countAccepted(address: string, delta: 1 | -1): void {
    this.acceptedOpen += delta;
    const count = (this.acceptedByAddress.get(address) ?? 0) + delta;
    if (count > 0) this.acceptedByAddress.set(address, count);
    else this.acceptedByAddress.delete(address);
  }

  /** The deadline of a message begun by the latest read: close the connection when it passes. */
  private startMessageDeadline(connection: PooledConnection): TimerHandle {
    return this.options.clock.setTimer(this.options.messageTimeoutMs, () => {
      this.options.logger.debug({ connection: connection.source.connectionId, timeoutMs: this.options.messageTimeoutMs }, 'closing connection: message not complete in time');
      connection.socket.destroy();
    });
  }

  private endMessageDeadline(connection: PooledConnection): void {
    connection.messageTimer?.cancel();
    connection.messageTimer = undefined;
  }

  /**
   * Close a connection that can no longer be framed: at once, or after writing `farewell` and
   * half-closing. Bytes still arriving are read and discarded (closing with unread bytes would
   * reset the connection and could destroy the farewell before the peer reads it); a peer that
   * does not close its side in `messageTimeoutMs` is cut off.
   */
  private closeAfter(connection: PooledConnection, farewell: Uint8Array | undefined): void {
    const { socket } = connection;
    connection.closing = true;
    this.endMessageDeadline(connection);
    if (farewell === undefined) {
      socket.destroy();
      return;
    }
    socket.end(farewell);
    connection.messageTimer = this.options.clock.setTimer(this.options.messageTimeoutMs, () => socket.destroy());
  }

  private armIdleTimer(connection: PooledConnection): void {
    const { clock, idleTimeoutMs } = this.options;
    const deadline = Math.max(connection.lastActivityMs + idleTimeoutMs, connection.keepUntilMs);
    connection.idleTimer = clock.setTimer(Math.max(0, deadline - clock.now()), () => {
      const due = Math.max(connection.lastActivityMs + idleTimeoutMs, connection.keepUntilMs);
      if (clock.now() < due) {
        this.armIdleTimer(connection);
        return;
      }
      this.options.logger.debug({ connection: connection.source.connectionId }, 'closing idle connection');
      connection.socket.destroy();
    });
  }
}

/**
 * Why a connect failed: the errno code, and for a TLS handshake also the reason OpenSSL or Node
 * gives (`ERR_TLS_CERT_ALTNAME_INVALID (Hostname/IP does not match certificate's altnames: ...)`),
 * which the code alone does not tell an operator.
 */
function connectFailure(error: unknown, ready: 'connect' | 'secureConnect'): string {
  const code = errorCode(error);
  const message = (error as Error | null)?.message;
  return ready === 'connect' || message === undefined || message === code ? code : `${code} (${message})`;
}
