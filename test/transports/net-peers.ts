/**
 * Loopback peers for the transport tests: a UDP socket and a TCP client that record what they
 * receive, and a bounded wait helper (no timing assertions: every wait polls a condition).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../src/ports/logger';
import type { SipRequest } from '../../src/sip/message';
import { buildErrorResponse, recoveredHead } from '../../src/transports/error-response';
import { buildRegister, type IdSequence } from '../../src/testing/message-builders';

/** Poll `condition` every 5 ms, at most `limit` times; throws when it never holds. */
export async function waitUntil(condition: () => boolean, what = 'condition', limit = 400): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A 200 OK (or any status) to `request`, built from its Via/From/To/Call-ID/CSeq. */
export function answer(request: SipRequest, status = 200, reason = 'OK'): Uint8Array {
  const bytes = buildErrorResponse(recoveredHead(request), status, reason, 'uas-tag');
  if (bytes === undefined) throw new Error('cannot answer');
  return bytes;
}

/** A UDP socket on 127.0.0.1 recording every datagram. */
export interface UdpPeer {
  readonly port: number;
  readonly received: string[];
  send(text: string | Uint8Array, port: number): Promise<void>;
  /** Wait until `count` datagrams were received in total; returns the last. */
  nth(count: number): Promise<string>;
  close(): Promise<void>;
}

export async function udpPeer(): Promise<UdpPeer> {
  const socket: UdpSocket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (bytes) => received.push(bytes.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    received,
    send: (text, port) => new Promise((resolve, reject) => socket.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve()))),
    async nth(count) {
      await waitUntil(() => received.length >= count, `${count} datagrams`);
      return received[count - 1];
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** A TCP client connection to 127.0.0.1:`port` recording everything read. */
export interface TcpPeer {
  readonly socket: Socket;
  text(): string;
  readonly closed: () => boolean;
  write(text: string | Uint8Array): Promise<void>;
  /** Wait until the received text contains `needle` `times` times. */
  waitFor(needle: string, times?: number): Promise<void>;
  close(): void;
}

function occurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

export function wrapTcp(socket: Socket): TcpPeer {
  let text = '';
  let closed = false;
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
  });
  return {
    socket,
    text: () => text,
    closed: () => closed,
    write: (data) => new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve()))),
    waitFor: (needle, times = 1) => waitUntil(() => occurrences(text, needle) >= times, `${times}× ${JSON.stringify(needle)}`),
    close: () => socket.destroy(),
  };
}

/** A {@link TcpPeer} connected to 127.0.0.1:`port` from `localAddress` (any 127/8 address is loopback on Linux). */
export async function tcpPeer(port: number, localAddress = '127.0.0.1', allowHalfOpen = false): Promise<TcpPeer> {
  const socket = connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen });
  const peer = wrapTcp(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return peer;
}

/** REGISTER alice over `peer` (Contact `contacts` when given) and wait for its 200: the connection serves. */
export async function registersOverTcp(peer: TcpPeer, ids: IdSequence, contacts?: readonly string[]): Promise<void> {
  const before = occurrences(peer.text(), 'SIP/2.0 200 OK');
  await peer.write(buildRegister({ aor: 'sip:alice@example.com', ...(contacts === undefined ? {} : { contacts }), via: { transport: 'TCP' }, ids }));
  await peer.waitFor('SIP/2.0 200 OK', before + 1);
}

/** A TCP server on 127.0.0.1:0 wrapping every accepted connection. */
export async function tcpServer(): Promise<{ port: number; peers: TcpPeer[]; close(): Promise<void> }> {
  const peers: TcpPeer[] = [];
  const server: Server = createServer((socket) => peers.push(wrapTcp(socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    peers,
    close: () =>
      new Promise((resolve) => {
        for (const peer of peers) peer.close();
        server.close(() => resolve());
      }),
  };
}

/** A logger recording every entry. */
export function recordingLogger(): Logger & { entries: { level: string; obj: object; msg?: string }[] } {
  const entries: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A list of things a test opened, closed in reverse order after each test (a jest `afterEach`). */
export function closedAfterEach(): { close(): unknown }[] {
  const open: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });
  return open;
}
