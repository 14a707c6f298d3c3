import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

import type { SipRequest, SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { buildRegister, buildResponseText, type IdSequence } from '../../src/testing/message-builders';
import { eventually } from './eventually';

/** How a {@link UdpPhone} answers the requests of one method: this status, after `delayMs`. */
export interface PhoneAnswer {
  readonly status: number;
  readonly reason: string;
  /** Wait this long before answering. @defaultValue 0 */
  readonly delayMs?: number;
}

/** What a {@link UdpPhone} is and how it answers. */
export interface UdpPhoneOptions {
  /** The user part of {@link UdpPhone.uri}. */
  readonly user: string;
  /** The answer by method; requests of other methods (and ACK) stay unanswered. */
  readonly answers: Readonly<Record<string, PhoneAnswer>>;
  /** Source of the REGISTER's identifiers. */
  readonly ids: IdSequence;
}

/** Retransmission interval of the REGISTER (RFC 3261 §17.1.2.2 Timer E, kept at T1). */
const RETRANSMIT_MS = 500;
/** How long {@link UdpPhone.register} waits for its final response. */
const REGISTER_TIMEOUT_MS = 5_000;
/** How often {@link UdpPhone.register} looks for its final response. */
const POLL_MS = 20;

/**
 * A phone on a UDP socket of 127.0.0.1 for the routing tests: it registers itself, keeps every
 * request it receives and answers each one of a method it knows (retransmissions too) with that
 * method's status after that method's delay, to the address the request came from (on loopback
 * the top Via's sent-by, RFC 3261 §18.2.2), so a test sets how fast a phone answers pings
 * (OPTIONS) and what it answers to calls (INVITE).
 */
export class UdpPhone {
  readonly #socket: Socket;
  readonly #options: UdpPhoneOptions;
  readonly #received: SipRequest[] = [];
  readonly #responses: SipResponse[] = [];
  readonly #answered = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(socket: Socket, options: UdpPhoneOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.on('message', (bytes, remote) => this.#onMessage(bytes, remote));
  }

  /** Bind a new phone to a free UDP port of 127.0.0.1. */
  static open(options: UdpPhoneOptions): Promise<UdpPhone> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(new UdpPhone(socket, options)));
    });
  }

  /** `sip:<user>@127.0.0.1:<port>`: the contact that reaches this phone. */
  get uri(): string {
    return `sip:${this.#options.user}@127.0.0.1:${this.#socket.address().port}`;
  }

  /** Every request of `method` received so far, in order of arrival (retransmissions included). */
  requests(method: string): SipRequest[] {
    return this.#received.filter((r) => r.method === method);
  }

  /** How many requests of `method` this phone has answered so far. */
  answered(method: string): number {
    return this.#answered.get(method) ?? 0;
  }

  /**
   * REGISTER `contact` (its own {@link UdpPhone.uri} by default) for `aor` at the registrar on
   * 127.0.0.1:`registrarPort`, retransmitting every 500 ms, and resolve with the final response.
   * @param q - the Contact's q (none by default).
   */
  async register(registrarPort: number, aor: string, contact: { readonly uri?: string; readonly q?: number } = {}): Promise<SipResponse> {
    const text = buildRegister({
      aor,
      via: { port: this.#socket.address().port, rport: true },
      contacts: [{ uri: contact.uri ?? this.uri, q: contact.q }],
      ids: this.#options.ids,
    });
    const sent = parseSipMessage(text);
    if (!sent.ok) throw new Error(`UdpPhone.register built an unparsable REGISTER: ${sent.error.reason}`);
    const callId = sent.message.callId;
    const send = (): void => this.#socket.send(text, registrarPort, '127.0.0.1');
    send();
    const retransmit = setInterval(send, RETRANSMIT_MS);
    try {
      return await eventually(() => this.#responses.find((r) => r.callId === callId && r.status >= 200),
        `the final response to the REGISTER of ${aor}`, REGISTER_TIMEOUT_MS, () => '', POLL_MS);
    } finally {
      clearInterval(retransmit);
    }
  }

  /** Stop answering and close the socket. */
  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #onMessage(bytes: Buffer, remote: RemoteInfo): void {
    const parsed = parseSipMessage(bytes);
    if (!parsed.ok) return;
    const message = parsed.message;
    if (message.kind === 'response') {
      this.#responses.push(message);
      return;
    }
    this.#received.push(message);
    const answer = this.#options.answers[message.method];
    if (answer === undefined || message.method === 'ACK') return;
    const reply = (): void => {
      this.#timers.delete(timer);
      this.#socket.send(buildResponseText(message, answer.status, answer.reason), remote.port, remote.address);
      this.#answered.set(message.method, this.answered(message.method) + 1);
    };
    const timer = setTimeout(reply, answer.delayMs ?? 0);
    this.#timers.add(timer);
  }
}
