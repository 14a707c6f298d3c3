import { createSocket } from 'node:dgram';

import { createServer } from 'node:net';

import { freePort } from './free-port';

const ATTEMPTS = 20;

/** Bind `port` on 127.0.0.1 over UDP and close again; resolves whether that worked. */
function udpPortIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** Bind `port` on 127.0.0.1 over TCP and close again; resolves whether that worked. */
function tcpPortIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Below Linux's default ephemeral range (32768-60999): the kernel never hands these out as the
 * source port of another test's outgoing connection, which a port picked by binding port 0 can
 * become at any moment.
 */
const FIXED_RANGE = { from: 20_000, to: 32_000 };

/**
 * A port `p` free on 127.0.0.1 over UDP and TCP with `p + 1` free over TCP too, outside the
 * ephemeral range, for baresip: it listens on `sip_listen` over UDP and TCP and, built with TLS,
 * over TLS on the next port, and gives up when any of them is taken.
 */
export async function freeBaresipPorts(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = FIXED_RANGE.from + Math.floor(Math.random() * (FIXED_RANGE.to - FIXED_RANGE.from));
    if (await tcpPortIsFree(port) && await udpPortIsFree(port) && await tcpPortIsFree(port + 1)) return port;
  }
  throw new Error(`no port pair free for baresip on 127.0.0.1 after ${ATTEMPTS} attempts`);
}

/**
 * A port number free on 127.0.0.1 in both the UDP and the TCP port space, for a SIP peer that
 * listens on one transport address over both (RFC 3261 §18: a UA or server listening on UDP
 * also listens on TCP at the same port).
 *
 * @returns the port number, free at the time of the call.
 */
export async function freeUdpTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freePort('tcp');
    if (await udpPortIsFree(port)) return port;
  }
  throw new Error(`no port free over both UDP and TCP on 127.0.0.1 after ${ATTEMPTS} attempts`);
}
