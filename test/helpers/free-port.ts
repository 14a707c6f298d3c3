import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Ask the kernel for a currently free port on 127.0.0.1 by binding port 0 and closing the
 * socket again. Used to give every SIP peer in a test its own loopback port
 * (RFC 3261 §18: a UDP/TCP listener per transport address).
 *
 * @param protocol - which port space to probe.
 * @defaultValue protocol `"udp"`
 * @returns the port number, free at the time of the call.
 */
export function freePort(protocol: 'udp' | 'tcp' = 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
      return;
    }
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
