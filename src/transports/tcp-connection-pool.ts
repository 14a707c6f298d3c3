import { connect, type Socket } from 'node:net';
import { TransportError } from '../errors/sdk-error';
import type { Clock, TimerHandle } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Endpoint, Source } from '../ports/transport';
import { formatEndpoint } from './listen-address';
import { errorCode } from './socket-error';
import { StreamFramer, type FramingError } from './stream-framer';

/** One open TCP connection (RFC 3261 §18.3), inbound or outbound. */
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
}

/** Settings and callbacks of a {@link TcpConnectionPool}. */
export interface TcpConnectionPoolOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Close a connection idle this long, unless kept (OpenSIPS `tcp_connection_lifetime`). */
  readonly idleTimeoutMs: number;
  /** Give up connecting after this long. */
  readonly connectTimeoutMs: number;
  readonly maxMessageBytes: number;
  /** A framed SIP message arrived. */
  readonly onMessage: (bytes: Uint8Array, source: Source) => void;
  /** The stream could not be framed; the pool closes the connection right after. */
  readonly onFramingError: (error: FramingError, source: Source) => void;
  /** A connection closed (for ending its client transactions). */
  readonly onClosed: (connectionId: string) => void;
}

function remoteKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/**
 * The TCP connections of a transport: framing, CRLF keep-alive pongs (RFC 5626 §3.5.1), reuse of an
 * open connection to the same remote endpoint (RFC 3261 §18.2.2 / §18.1.1), idle closing with the
 * `tcp_persistent_flag` extension ({@link TcpConnectionPool.keep}), and connect on demand.
 */
export class TcpConnectionPool {
  private readonly options: TcpConnectionPoolOptions;
  private readonly byId = new Map<string, PooledConnection>();
  private readonly byRemote = new Map<string, PooledConnection>();
  private readonly connecting = new Map<string, Promise<TcpConnection>>();
  private readonly connectingSockets = new Set<Socket>();
  private nextId = 1;
  private closed = false;

  constructor(options: TcpConnectionPoolOptions) {
    this.options = options;
  }

  /** Take over a connected socket (accepted by a server, or connected by {@link obtain}). */
  adopt(socket: Socket, local: Endpoint): TcpConnection | undefined {
    const { remoteAddress, remotePort } = socket;
    if (this.closed || remoteAddress === undefined || remotePort === undefined) {
      socket.destroy();
      return undefined;
    }
    const id = `tcp-${this.nextId++}`;
    const source: Source = { protocol: 'tcp', address: remoteAddress, port: remotePort, local, connectionId: id };
    const connection: PooledConnection = {
      source,
      socket,
      framer: new StreamFramer(this.options.maxMessageBytes),
      lastActivityMs: this.options.clock.now(),
      keepUntilMs: 0,
      idleTimer: undefined,
    };
    const key = remoteKey(remoteAddress, remotePort);
    this.byId.set(id, connection);
    this.byRemote.set(key, connection);
    socket.setNoDelay(true);
    const sink = {
      message: (bytes: Uint8Array) => this.options.onMessage(bytes, source),
      ping: () => {
        socket.write('\r\n');
      },
    };
    socket.on('data', (chunk: Buffer) => {
      connection.lastActivityMs = this.options.clock.now();
      const error = connection.framer.push(chunk, sink);
      if (error !== undefined) {
        this.options.onFramingError(error, source);
        socket.destroy();
      }
    });
    socket.on('error', (error) => this.options.logger.debug({ connection: id, error: errorCode(error) }, 'tcp connection error'));
    socket.on('close', () => {
      connection.idleTimer?.cancel();
      this.byId.delete(id);
      if (this.byRemote.get(key) === connection) this.byRemote.delete(key);
      this.options.onClosed(id);
    });
    this.armIdleTimer(connection);
    return connection;
  }

  /** The open connection with this id. */
  get(connectionId: string): TcpConnection | undefined {
    return this.byId.get(connectionId);
  }

  /** An open connection to `destination`, connecting when there is none. Rejects with {@link TransportError}. */
  obtain(destination: Endpoint): Promise<TcpConnection> {
    const key = remoteKey(destination.address, destination.port);
    const open = this.byRemote.get(key);
    if (open !== undefined) return Promise.resolve(open);
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
      this.byRemote.get(remoteKey(source.address, source.port));
    if (connection !== undefined && untilMs > connection.keepUntilMs) connection.keepUntilMs = untilMs;
  }

  /** Close every connection and abort pending connects. */
  closeAll(): void {
    this.closed = true;
    for (const socket of this.connectingSockets) socket.destroy(new TransportError('transport closed'));
    for (const connection of this.byId.values()) connection.socket.destroy();
  }

  private connect(destination: Endpoint): Promise<TcpConnection> {
    const target = formatEndpoint(destination);
    return new Promise<TcpConnection>((resolve, reject) => {
      if (this.closed) {
        reject(new TransportError(`cannot connect to ${target}: transport closed`));
        return;
      }
      const socket = connect({ host: destination.address, port: destination.port });
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
        reject(new TransportError(`cannot connect to ${target}: ${errorCode(error)}`, { cause: error }));
      });
      socket.once('connect', () => {
        settle();
        socket.removeAllListeners('error');
        const connection = this.adopt(socket, { protocol: 'tcp', address: socket.localAddress ?? '', port: socket.localPort ?? 0 });
        if (connection === undefined) reject(new TransportError(`cannot connect to ${target}: transport closed`));
        else resolve(connection);
      });
    });
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
      this.options.logger.debug({ connection: connection.source.connectionId }, 'closing idle tcp connection');
      connection.socket.destroy();
    });
  }
}
