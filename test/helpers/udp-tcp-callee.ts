import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

import type { SipRequest, SipResponse } from '../../src/sip/message';
import { buildResponse } from '../../src/sip/response';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { StreamFramer } from '../../src/transports/stream-framer';
import { eventually } from './eventually';
import { freeUdpTcpPort } from './free-udp-tcp-port';

/** A request a {@link UdpTcpCallee} received, with the transport it came over. */
export interface CalleeReceived {
  readonly protocol: 'udp' | 'tcp';
  readonly request: SipRequest;
  /** Its size on the wire, in bytes. */
  readonly bytes: number;
}

/** A UA on 127.0.0.1 answering every request but ACK with 200 on the path it came in on, and keeping the responses it gets. */
export interface UdpTcpCallee {
  readonly port: number;
  readonly received: readonly CalleeReceived[];
  /** Responses to what it sent with {@link UdpTcpCallee.sendUdp}. */
  readonly responses: readonly SipResponse[];
  /** Send `text` from its UDP socket to 127.0.0.1:`port` (a REGISTER, to be reachable). */
  sendUdp(text: string, port: number): Promise<void>;
  /** Resolves with the `count`-th request received. */
  nth(count: number): Promise<CalleeReceived>;
  close(): Promise<void>;
}

/** Framed messages of up to 1 MiB: larger than any UDP datagram, so the size tests fit. */
const MAX_FRAMED_BYTES = 1 << 20;

/**
 * A callee listening on one port over UDP and, unless `tcp` is false, over TCP as well
 * (RFC 3261 §18: UAs implement both), so a test sees which transport a forwarded request took.
 * With `tcp: false` nothing listens on the TCP port: a connection to it is refused.
 */
export async function startUdpTcpCallee(options: { readonly tcp?: boolean } = {}): Promise<UdpTcpCallee> {
  const port = await freeUdpTcpPort();
  const received: CalleeReceived[] = [];
  const responses: SipResponse[] = [];
  const take = (protocol: 'udp' | 'tcp', bytes: Uint8Array): Uint8Array | undefined => {
    const parsed = parseSipMessage(bytes);
    if (!parsed.ok) return undefined;
    if (parsed.message.kind === 'response') {
      responses.push(parsed.message);
      return undefined;
    }
    received.push({ protocol, request: parsed.message, bytes: bytes.length });
    return parsed.message.method === 'ACK' ? undefined : buildResponse(parsed.message, 200, 'OK');
  };

  const udp = createSocket('udp4');
  udp.on('message', (bytes, remote) => {
    const reply = take('udp', bytes);
    if (reply !== undefined) udp.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', () => resolve()));

  const connections = new Set<Socket>();
  let server: Server | undefined;
  if (options.tcp !== false) {
    server = createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      socket.on('error', () => undefined);
      const framer = new StreamFramer(MAX_FRAMED_BYTES);
      const sink = {
        message: (bytes: Uint8Array) => {
          const reply = take('tcp', bytes);
          if (reply !== undefined) socket.write(reply);
        },
        ping: () => socket.write('\r\n'),
      };
      socket.on('data', (chunk: Buffer) => {
        if (framer.push(chunk, sink) !== undefined) socket.destroy();
      });
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(port, '127.0.0.1', () => resolve()));
  }

  return {
    port,
    received,
    responses,
    sendUdp: (text, to) => new Promise((resolve, reject) => udp.send(text, to, '127.0.0.1', (error) => (error ? reject(error) : resolve()))),
    async nth(count) {
      return eventually(() => received[count - 1], `request ${count} at the callee`, 10_000, () => `received: ${received.map((r) => `${r.request.method} over ${r.protocol}`).join(', ')}`, 10);
    },
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        server === undefined ? undefined : new Promise<void>((resolve) => server?.close(() => resolve())),
      ]);
    },
  };
}
