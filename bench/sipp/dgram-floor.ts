/**
 * The floor of the wire benches: a bare Node.js `dgram` responder that answers every request
 * with a 200 OK carrying its Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2), and does
 * nothing else: no transaction, no registrar, no To tag. Whatever a Node registrar spends per
 * REGISTER above this is its own work; what this spends is the receive and send of one datagram
 * each way and a scan of the header lines.
 *
 *   node --import tsx bench/sipp/dgram-floor.ts PORT
 *
 * Listens on UDP 127.0.0.1:PORT and prints `dgram floor listening on udp:127.0.0.1:PORT` once
 * bound. Started by {@link startDgramFloor}.
 */
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

import { REPOSITORY_ROOT } from '../../test/helpers/start-sipreg';
import { spawnManaged, type ManagedProcess } from '../../test/helpers/spawn-managed';

/** The header lines a response copies from its request (RFC 3261 §8.2.6.2), in full and compact form, lower case. */
const ECHOED = ['via:', 'v:', 'from:', 'f:', 'to:', 't:', 'call-id:', 'i:', 'cseq:'];
const READY_TIMEOUT_MS = 20_000;

/** The ready line of the responder on `port`. */
const readyLine = (port: number): string => `dgram floor listening on udp:127.0.0.1:${port}`;

/** The 200 OK to `request`: its echoed header lines, in their order. */
export function floorResponse(request: string): string {
  let response = 'SIP/2.0 200 OK\r\n';
  for (let start = request.indexOf('\r\n') + 2, end = request.indexOf('\r\n', start); end > start; start = end + 2, end = request.indexOf('\r\n', start)) {
    const colon = request.indexOf(':', start);
    const name = request.slice(start, colon).trimEnd().toLowerCase() + ':';
    if (ECHOED.includes(name)) response += request.slice(start, end + 2);
  }
  return response + 'Content-Length: 0\r\n\r\n';
}

/** Start the responder as a child process on UDP 127.0.0.1:`port`; resolves once it is bound. */
export async function startDgramFloor(port: number): Promise<ManagedProcess> {
  const floor = spawnManaged(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(port)], { cwd: REPOSITORY_ROOT });
  try {
    await floor.waitForLine(readyLine(port), READY_TIMEOUT_MS);
  } catch (error) {
    await floor.stop();
    throw error;
  }
  return floor;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2]);
  const socket = createSocket('udp4');
  socket.on('message', (datagram, peer) => {
    socket.send(Buffer.from(floorResponse(datagram.toString('latin1')), 'latin1'), peer.port, peer.address);
  });
  socket.bind(port, '127.0.0.1', () => console.log(readyLine(port)));
}
