import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { buildResponseText } from '../../src/testing/message-builders';
import { parseSip } from './parse-sip';

/** Retransmission interval of a request until its final response (RFC 3261 §17.1.2.2 Timer E, kept at T1). */
const RETRANSMIT_MS = 500;
/** How long {@link UdpSipPeer.request} waits for a final response. */
const REPLY_TIMEOUT_MS = 5_000;

/** How a {@link UdpSipPeer} behaves; every field is optional. */
export interface UdpSipPeerOptions {
  /**
   * Diagnostics appended to the error of a request that got no final response (typically the
   * output of the processes under test). Default: none.
   */
  readonly context?: () => string;
  /**
   * Methods of the requests received that the peer leaves unanswered, besides ACK (which never
   * has a response, RFC 3261 §17.1.1.3). Default: none, every other request is answered 200 OK.
   */
  readonly unanswered?: readonly string[];
  /** The user part of {@link UdpSipPeer.uri}. Default: `alice`. */
  readonly user?: string;
  /**
   * The loopback address the socket binds to, e.g. `127.0.0.2` for a second source (Linux
   * answers the whole of 127.0.0.0/8 on `lo`). Requests still go to 127.0.0.1. Default: `127.0.0.1`.
   */
  readonly address?: string;
}

/**
 * A SIP endpoint on a UDP socket of 127.0.0.1 (or another loopback address), played by an interop test as a UA, a caller or a
 * reg-event watcher. It sends requests (retransmitted every 500 ms until a final response, RFC 3261
 * §17.1.2.2 Timer E), keeps every message it receives, and — as a phone or a watcher does —
 * answers every request but ACK (and the methods of {@link UdpSipPeerOptions.unanswered}) with
 * 200 OK to its top Via (§18.2.2, RFC 3581 `rport`), so that forwarded MESSAGEs and NOTIFYs are
 * acknowledged.
 */
export class UdpSipPeer {
  readonly #socket: Socket;
  readonly #received: SipMessage[] = [];
  readonly #watchers = new Set<() => void>();
  readonly #context: (() => string) | undefined;
  readonly #unanswered: ReadonlySet<string>;
  readonly #user: string;
  #closed = false;

  private constructor(socket: Socket, options: UdpSipPeerOptions) {
    this.#socket = socket;
    this.#context = options.context;
    this.#unanswered = new Set(['ACK', ...(options.unanswered ?? [])]);
    this.#user = options.user ?? 'alice';
    socket.on('message', (bytes, remote) => this.#onMessage(bytes, remote));
  }

  /** Bind a new peer to a free UDP port of 127.0.0.1 (or {@link UdpSipPeerOptions.address}). */
  static open(options: UdpSipPeerOptions = {}): Promise<UdpSipPeer> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.address ?? '127.0.0.1', () => resolve(new UdpSipPeer(socket, options)));
    });
  }

  /** The UDP port the peer is bound to. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** The address the socket is bound to (127.0.0.1 unless {@link UdpSipPeerOptions.address} says otherwise). */
  get address(): string {
    return this.#socket.address().address;
  }

  /** `sip:<user>@<address>:<port>`: a contact that reaches this peer (user from {@link UdpSipPeerOptions.user}). */
  get uri(): string {
    return `sip:${this.#user}@${this.address}:${this.port}`;
  }

  /** Every request received so far, in order of arrival (retransmissions included). */
  requests(): SipRequest[] {
    return this.#received.filter((m): m is SipRequest => m.kind === 'request');
  }

  /** Send `text` once to `udp:127.0.0.1:port`, without waiting for anything. */
  send(text: string, port: number): void {
    this.#socket.send(text, port, '127.0.0.1');
  }

  /**
   * Send the request `text` to `udp:127.0.0.1:port` and resolve with its final response (same
   * Call-ID, CSeq and method), retransmitting it every 500 ms until then. Rejects after
   * `timeoutMs` without one, with the {@link UdpSipPeerOptions.context} in the message.
   *
   * @param timeoutMs - how long to wait for the final response. @defaultValue 5000
   */
  async request(text: string, port: number, timeoutMs = REPLY_TIMEOUT_MS): Promise<SipResponse> {
    const request = parseSip(text);
    if (request.kind !== 'request') throw new Error('UdpSipPeer.request: not a request');
    const answers = (m: SipMessage): m is SipResponse =>
      m.kind === 'response' && m.status >= 200 && m.callId === request.callId && m.cseq.seq === request.cseq.seq && m.cseq.method === request.method;
    this.send(text, port);
    const retransmit = setInterval(() => this.send(text, port), RETRANSMIT_MS);
    try {
      const response = await this.waitFor(answers, timeoutMs);
      if (response === undefined) {
        const context = this.#context === undefined ? '' : `\n${this.#context()}`;
        throw new Error(`no final response to ${request.method} ${request.uri} (Call-ID ${request.callId}, CSeq ${request.cseq.seq}) from port ${port} within ${timeoutMs} ms${context}`);
      }
      return response;
    } finally {
      clearInterval(retransmit);
    }
  }

  /**
   * The first message, received before the call or within `timeoutMs` of it, that `match`
   * accepts; `undefined` when none came in time.
   */
  waitFor<T extends SipMessage>(match: (m: SipMessage) => m is T, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const finish = (found: T | undefined): void => {
        this.#watchers.delete(watcher);
        clearTimeout(timer);
        resolve(found);
      };
      const watcher = (): void => {
        const found = this.#received.find(match);
        if (found !== undefined) finish(found);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.#watchers.add(watcher);
      watcher();
    });
  }

  /** Close the socket (idempotent): the port stops answering. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  /** Keep a received message, answer it if it is a request to answer, and wake the waiters. */
  #onMessage(bytes: Buffer, remote: RemoteInfo): void {
    const parsed = parseSipMessage(bytes);
    if (!parsed.ok) return; // not SIP: no peer of these tests sends any
    const message = parsed.message;
    this.#received.push(message);
    if (message.kind === 'request' && !this.#unanswered.has(message.method)) {
      const top = message.via[0];
      const port = typeof top.rport === 'number' ? top.rport : top.rport === true ? remote.port : (top.port ?? 5060);
      this.#socket.send(buildResponseText(message, 200, 'OK'), port, top.received ?? remote.address);
    }
    for (const watcher of [...this.#watchers]) watcher();
  }
}
