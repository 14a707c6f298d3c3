import { createSocket, type Socket } from 'node:dgram';

/** A datagram a {@link UdpPeer} received, as latin1 text. */
export interface Received {
  readonly text: string;
  readonly from: { readonly address: string; readonly port: number };
}

const WAIT_MS = 4_000;

/**
 * One SIP endpoint of a wire test: a UDP socket on 127.0.0.1 that keeps every datagram it gets
 * and lets the test wait for the next one matching a predicate (a UA, an edge proxy, a device).
 */
export class UdpPeer {
  readonly #socket: Socket;
  readonly #inbox: Received[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (bytes, rinfo) => {
      this.#inbox.push({ text: bytes.toString('latin1'), from: { address: rinfo.address, port: rinfo.port } });
      for (const w of this.#waiters) w();
    });
  }

  /** Bind a new peer to an ephemeral port of 127.0.0.1. */
  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new UdpPeer(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Every datagram received so far, oldest first. */
  get received(): readonly Received[] {
    return this.#inbox;
  }

  send(text: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.send(text, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  /**
   * Take the oldest kept datagram matching `match` out of the inbox, waiting up to `timeoutMs`
   * for one to arrive; rejects with what did arrive.
   */
  next(match: (text: string) => boolean = () => true, timeoutMs = WAIT_MS): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const i = this.#inbox.findIndex((r) => match(r.text));
        if (i < 0) return;
        const [hit] = this.#inbox.splice(i, 1);
        done();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`udp peer ${this.port}: nothing matching within ${timeoutMs} ms; got:\n${this.#inbox.map((r) => r.text).join('\n---\n')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Send `text` to `port` and wait for the final response (status ≥ 200) that comes back. */
  async request(text: string, port: number, timeoutMs = WAIT_MS): Promise<string> {
    const callId = /^Call-ID:\s*(\S+)/im.exec(text)?.[1];
    await this.send(text, port);
    const reply = await this.next((t) => /^SIP\/2\.0 [2-6]\d\d /.test(t) && (callId === undefined || t.includes(callId)), timeoutMs);
    return reply.text;
  }

  close(): void {
    this.#socket.close();
  }
}

/** The values of every header `name` of a message head, in order (one value per line). */
export function headerValues(text: string, name: string): string[] {
  const [head] = text.split('\r\n\r\n', 1);
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'i');
  return head.split('\r\n').flatMap((line) => {
    const m = re.exec(line);
    return m === null ? [] : [m[1]];
  });
}

/** The Request-URI of a request's start line. */
export function requestUri(text: string): string {
  return text.slice(text.indexOf(' ') + 1, text.indexOf(' SIP/2.0'));
}
