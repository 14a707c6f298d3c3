import { createSocket } from 'node:dgram';

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
