import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import { TransportError } from '../errors/sdk-error';
import type { Clock, TimerHandle } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Source } from '../ports/transport';
import { formatEndpoint } from './listen-address';
import { errorCode } from './socket-error';

/**
 * Close codes a WebSocket connection closes with (RFC 6455 §7.4.1); 1009, message too big, is
 * sent by `ws` itself through its `maxPayload`.
 */
export const WS_CLOSE_CODES = Object.freeze({
  /** Normal closure: the connection was idle too long. */
  normal: 1000,
  /** Policy violation: more messages per second than allowed. */
  policyViolation: 1008,
});

/** The limits and timers of one {@link WsConnection}. */
export interface WsConnectionSettings {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Close the connection after this long without a SIP message either way, unless kept. */
  readonly idleTimeoutMs: number;
  /** Ping this often; a connection that has not answered the previous ping is terminated. */
  readonly pingIntervalMs: number;
  /** Close the connection (1008) when a one-second window holds more messages than this. */
  readonly maxMessagesPerSecond: number;
}

/**
 * One accepted SIP-over-WebSocket connection (RFC 7118 §5: one SIP message per WebSocket message,
 * text or binary): its rate limit, idle timer (with the `tcp_persistent_flag` extension of
 * {@link WsConnection.keep}), and ping/pong liveness check (RFC 6455 §5.5.2/§5.5.3).
 */
export class WsConnection {
  private lastActivityMs: number;
  private keepUntilMs = 0;
  private idleTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private awaitingPong = false;
  private windowStartMs: number;
  private windowCount = 0;
  /** A close was started: messages still arriving are dropped. */
  private closing = false;

  constructor(
    private readonly socket: WebSocket,
    /** The source handed with every message read from this connection. */
    readonly source: Source,
    private readonly settings: WsConnectionSettings,
    onMessage: (bytes: Uint8Array, source: Source) => void,
    onClosed: () => void,
  ) {
    const now = settings.clock.now();
    this.lastActivityMs = now;
    this.windowStartMs = now;
    socket.on('message', (data: Buffer) => {
      if (this.closing) return;
      if (!this.withinRate()) {
        this.closeWith(WS_CLOSE_CODES.policyViolation, 'more messages per second than allowed');
        return;
      }
      this.lastActivityMs = settings.clock.now();
      onMessage(data, source);
    });
    socket.on('pong', () => {
      this.awaitingPong = false;
    });
    socket.on('error', (error) => settings.logger.debug({ connection: source.connectionId, error: errorCode(error) }, 'websocket connection error'));
    socket.on('close', (code: number) => {
      this.idleTimer?.cancel();
      this.pingTimer?.cancel();
      settings.logger.debug({ connection: source.connectionId, code }, 'websocket connection closed');
      onClosed();
    });
    this.armIdleTimer();
    this.armPingTimer();
  }

  /**
   * Send one SIP message as one WebSocket message (RFC 7118 §5): a text frame when it is valid
   * UTF-8 (RFC 6455 §5.6 requires it of text), else binary. Resolves once handed to the socket.
   * @throws {@link TransportError} (as a rejection) when the connection is not open.
   */
  send(bytes: Uint8Array): Promise<void> {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) {
      return Promise.reject(new TransportError(`cannot send to ${formatEndpoint(this.source)}: websocket connection ${this.source.connectionId} is closed`));
    }
    this.lastActivityMs = this.settings.clock.now();
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, { binary: !isUtf8(bytes) }, (error) => {
        if (error) reject(new TransportError(`cannot send to ${formatEndpoint(this.source)}: ${errorCode(error)}`, { cause: error }));
        else resolve();
      });
    });
  }

  /** Keep the connection open at least until `untilMs` (epoch ms), however idle (OpenSIPS `tcp_persistent_flag`). */
  keep(untilMs: number): void {
    if (untilMs > this.keepUntilMs) this.keepUntilMs = untilMs;
  }

  /** Drop the connection at once, without a closing handshake. */
  terminate(): void {
    this.closing = true;
    this.socket.terminate();
  }

  /** RFC 6455 §7.1.2: start the closing handshake with `code`; timers stop, later messages are dropped. */
  private closeWith(code: number, reason: string): void {
    this.closing = true;
    this.idleTimer?.cancel();
    this.pingTimer?.cancel();
    this.settings.logger.debug({ connection: this.source.connectionId, code, reason }, 'closing websocket connection');
    this.socket.close(code, reason);
  }

  /** Count a message in the current one-second window; false once the window holds more than allowed. */
  private withinRate(): boolean {
    const now = this.settings.clock.now();
    if (now - this.windowStartMs >= 1000) {
      this.windowStartMs = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    return this.windowCount <= this.settings.maxMessagesPerSecond;
  }

  private armIdleTimer(): void {
    const { clock, idleTimeoutMs } = this.settings;
    const due = (): number => Math.max(this.lastActivityMs + idleTimeoutMs, this.keepUntilMs);
    this.idleTimer = clock.setTimer(Math.max(0, due() - clock.now()), () => {
      if (clock.now() < due()) this.armIdleTimer();
      else this.closeWith(WS_CLOSE_CODES.normal, 'idle');
    });
  }

  private armPingTimer(): void {
    this.pingTimer = this.settings.clock.setTimer(this.settings.pingIntervalMs, () => {
      if (this.awaitingPong) {
        this.settings.logger.debug({ connection: this.source.connectionId }, 'terminating websocket connection: no pong to the last ping');
        this.terminate();
        return;
      }
      this.awaitingPong = true;
      this.socket.ping();
      this.armPingTimer();
    });
  }
}
