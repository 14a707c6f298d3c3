/**
 * A REGISTER load generator over connections, for the transports SIPp cannot drive here: Debian's
 * SIPp is built without TLS and has no WebSocket, and its one-socket-per-call mode (`-t tn`)
 * closes each call's connection when the call ends, so it measures connection set-up rather than
 * persistent connections. N connections (TCP, TLS, WS or WSS with the `sip` subprotocol, RFC 7118
 * §4) stay open; each sends a REGISTER for a new AOR (RFC 3261 §10.2), awaits its final response,
 * then sends the next, paced to a total rate or as fast as answered.
 * Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import WebSocket from 'ws';

/** A connection-oriented transport the generator speaks. */
export type StreamTransport = 'tcp' | 'tls' | 'ws' | 'wss';

/** Where and how {@link openStreamClients} connects. */
export interface StreamClientsOptions {
  readonly transport: StreamTransport;
  /** The server's port on 127.0.0.1. */
  readonly port: number;
  /** Connections to open, all kept open until {@link StreamClients.close}. */
  readonly connections: number;
  /** The CA (PEM) that signed a `tls`/`wss` server's certificate, trusted by these clients only. */
  readonly ca?: string;
  /** Handshakes in flight at once while connecting (200 at once timed out against Kamailio's TLS on 2 cores). @defaultValue 50 */
  readonly connectConcurrency?: number;
}

/** One load run over the open connections. */
export interface StreamLoadOptions {
  /** How long to start REGISTERs, s. */
  readonly seconds: number;
  /** Total REGISTERs per second over all connections; `undefined`: each sends again as soon as answered. */
  readonly rate?: number;
  /** AOR user prefix, unique per run so each REGISTER inserts a new binding. */
  readonly prefix: string;
  /** REGISTERs each connection sends at most. @defaultValue no limit within `seconds` */
  readonly perConnection?: number;
}

/** What a load run did. */
export interface StreamLoadResult {
  /** REGISTERs answered 200. */
  readonly answered: number;
  /** REGISTERs answered otherwise, or not answered within the grace after the run. */
  readonly failed: number;
  /** From the first REGISTER to the last answer, s. */
  readonly elapsedSec: number;
  /** This (client) process's CPU over the run, 100 = one core. */
  readonly clientCpuPercent: number;
}

/** Open connections that REGISTER on demand. */
export interface StreamClients {
  /** Connections open. */
  readonly open: () => number;
  /** Run one load over every connection. */
  readonly run: (options: StreamLoadOptions) => Promise<StreamLoadResult>;
  /** Close every connection. */
  readonly close: () => Promise<void>;
}

/** A response not received this long after the run's last REGISTER was sent counts as failed. */
const ANSWER_GRACE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** One open connection: sends a SIP message, hands each received one to `onMessage`. */
interface Line {
  readonly send: (message: string) => void;
  onMessage: (message: string) => void;
  readonly close: () => void;
  readonly isOpen: () => boolean;
  /** The Via sent-by and Contact host:port of this connection. */
  readonly sentBy: string;
}

/**
 * Split a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3), as latin1
 * text; the responses a registrar sends have short bodies or none.
 */
function streamFramer(deliver: (message: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('latin1');
    for (;;) {
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(pending.slice(0, headEnd + 2));
      const end = headEnd + 4 + (length === null ? 0 : Number(length[1]));
      if (pending.length < end) return;
      deliver(pending.slice(0, end));
      pending = pending.slice(end);
    }
  };
}

function openSocketLine(transport: 'tcp' | 'tls', port: number, ca: string | undefined): Promise<Line> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      transport === 'tcp'
        ? connectTcp({ host: '127.0.0.1', port })
        : connectTls({ host: '127.0.0.1', port, ca });
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new Error(`${transport} connect timed out`)), CONNECT_TIMEOUT_MS);
    let open = false;
    socket.once(transport === 'tcp' ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      open = true;
      const line: Line = {
        send: (message) => socket.write(message),
        onMessage: () => undefined,
        close: () => socket.destroy(),
        isOpen: () => open,
        sentBy: `127.0.0.1:${socket.localPort}`,
      };
      socket.on('data', streamFramer((message) => line.onMessage(message)));
      resolve(line);
    });
    socket.once('close', () => {
      open = false;
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function openWebSocketLine(transport: 'ws' | 'wss', port: number, ca: string | undefined): Promise<Line> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${transport}://127.0.0.1:${port}`, 'sip', { ca, handshakeTimeout: CONNECT_TIMEOUT_MS, perMessageDeflate: false });
    socket.once('open', () => {
      const line: Line = {
        send: (message) => socket.send(message),
        onMessage: () => undefined,
        close: () => socket.terminate(),
        isOpen: () => socket.readyState === WebSocket.OPEN,
        // RFC 7118 §5: a WebSocket client has no reachable address of its own.
        sentBy: `${randomBytes(6).toString('hex')}.invalid`,
      };
      socket.on('message', (data) => line.onMessage(data.toString()));
      resolve(line);
    });
    socket.once('error', reject);
  });
}

function openLine(options: StreamClientsOptions): Promise<Line> {
  const { transport, port, ca } = options;
  return transport === 'tcp' || transport === 'tls' ? openSocketLine(transport, port, ca) : openWebSocketLine(transport, port, ca);
}

/** Via transport tokens (RFC 3261 §18, RFC 7118 §5.2). */
const VIA_TRANSPORT: Record<StreamTransport, string> = { tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

/** The minimal REGISTER of `register-load.xml` for a new AOR, over `transport` from `sentBy`. */
function register(transport: StreamTransport, sentBy: string, user: string): string {
  const tag = randomBytes(4).toString('hex');
  return [
    'REGISTER sip:bench.test SIP/2.0',
    `Via: SIP/2.0/${VIA_TRANSPORT[transport]} ${sentBy};branch=z9hG4bK${tag}${user}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@bench.test>;tag=${tag}`,
    `To: <sip:${user}@bench.test>`,
    `Call-ID: ${user}-${tag}@bench.test`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:${user}@${sentBy};transport=${transport}>`,
    'Expires: 3600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/**
 * Open `options.connections` connections to 127.0.0.1:`options.port`, at most
 * `connectConcurrency` handshakes at a time.
 *
 * @throws Error when a connection cannot be opened (the first error; the others are closed).
 */
export async function openStreamClients(options: StreamClientsOptions): Promise<StreamClients> {
  const lines: Line[] = [];
  const concurrency = options.connectConcurrency ?? 50;
  try {
    for (let first = 0; first < options.connections; first += concurrency) {
      const batch = Math.min(concurrency, options.connections - first);
      // allSettled: a failed handshake must not leave the batch's other connections unclosed.
      const settled = await Promise.allSettled(Array.from({ length: batch }, () => openLine(options)));
      for (const outcome of settled) if (outcome.status === 'fulfilled') lines.push(outcome.value);
      const failure = settled.find((outcome) => outcome.status === 'rejected');
      if (failure !== undefined) throw new Error(`${options.transport} connection ${lines.length + 1} of ${options.connections} failed: ${(failure.reason as Error).message}`);
    }
  } catch (error) {
    for (const line of lines) line.close();
    throw error;
  }
  const run = (load: StreamLoadOptions): Promise<StreamLoadResult> => runLoad(options.transport, lines, load);
  const close = async (): Promise<void> => {
    for (const line of lines) line.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
  };
  return { open: () => lines.filter((line) => line.isOpen()).length, run, close };
}

/**
 * Every line sends REGISTERs one after another, each after the previous one's final response; with
 * `rate`, line `i` of N sends its k-th no earlier than `(k + i / N) * N / rate` s after the start, so
 * the total is `rate` spread evenly.
 */
function runLoad(transport: StreamTransport, lines: readonly Line[], load: StreamLoadOptions): Promise<StreamLoadResult> {
  const startedAt = performance.now();
  const stopSendingAt = startedAt + load.seconds * 1000;
  const cpuAtStart = process.cpuUsage();
  const periodMs = load.rate === undefined ? 0 : (lines.length / load.rate) * 1000;
  const perConnection = load.perConnection ?? Number.POSITIVE_INFINITY;
  let answered = 0;
  let failed = 0;
  let inFlight = 0;
  let lastAnswerAt = startedAt;
  let sequence = 0;
  return new Promise((resolve) => {
    let graceTimer: NodeJS.Timeout | undefined;
    let finished = false;
    let linesSending = lines.length;
    const finishWhenDone = (): void => {
      if (finished || linesSending > 0 || inFlight > 0) return;
      finish();
    };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(graceTimer);
      for (const line of lines) line.onMessage = () => undefined;
      const cpu = process.cpuUsage(cpuAtStart);
      resolve({
        answered,
        failed: failed + inFlight,
        elapsedSec: (lastAnswerAt - startedAt) / 1000,
        clientCpuPercent: ((cpu.user + cpu.system) / 1000 / (performance.now() - startedAt)) * 100,
      });
    };
    lines.forEach((line, index) => {
      let sent = 0;
      let stopped = false;
      const next = (): void => {
        const now = performance.now();
        if (now >= stopSendingAt || sent >= perConnection || !line.isOpen()) {
          stopped = true;
          linesSending--;
          if (linesSending === 0) graceTimer = setTimeout(finish, ANSWER_GRACE_MS);
          finishWhenDone();
          return;
        }
        const dueAt = startedAt + (sent + index / lines.length) * periodMs;
        if (dueAt > now) {
          setTimeout(next, dueAt - now);
          return;
        }
        sent++;
        inFlight++;
        line.send(register(transport, line.sentBy, `${load.prefix}${sequence++}`));
      };
      line.onMessage = (message) => {
        // Provisional responses (1xx) are not the answer (RFC 3261 §17.1.1).
        if (message.startsWith('SIP/2.0 1')) return;
        inFlight--;
        lastAnswerAt = performance.now();
        if (message.startsWith('SIP/2.0 200')) answered++;
        else failed++;
        if (stopped) finishWhenDone();
        else next();
      };
      next();
    });
  });
}
