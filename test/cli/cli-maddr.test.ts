import { createSocket, type Socket } from 'node:dgram';

import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

/** A UDP socket on `address:port` that only counts what reaches it: the third party a reflection would hit. */
function bystander(address: string, port: number): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (data) => received.push(data));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => resolve({ socket, received }));
  });
}

// A REGISTER from 127.0.0.1:X naming a third party 127.0.0.2:X through maddr (issue 23): neither
// the response (Via maddr, RFC 3261 §18.2.2) nor requests to the AOR (Contact maddr, §19.1.1) may
// go there; both go to the source the REGISTER came from.
describe('sipreg registrar: no reflection through maddr', () => {
  let server: ManagedProcess | undefined;
  const peers: UdpSipPeer[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    await server?.stop();
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  /** The registrar (with `args`), a phone on 127.0.0.1, a caller, and a bystander on 127.0.0.2 at the phone's port. */
  async function scene(args: readonly string[] = []) {
    const port = await freePort();
    server = await startSipreg({ port, extraArgs: args });
    const context = (): string => server?.output() ?? '';
    const phone = await UdpSipPeer.open({ context });
    const caller = await UdpSipPeer.open({ user: 'bob', context });
    peers.push(phone, caller);
    const third = await bystander('127.0.0.2', phone.port);
    sockets.push(third.socket);
    return { port, phone, caller, third };
  }

  it('answers a REGISTER at its source, not at the Via maddr', async () => {
    const { port, phone, third } = await scene();
    const register = buildRegister({ aor: 'sip:alice@example.com', via: { port: phone.port } }).replace(';branch=', ';maddr=127.0.0.2;branch=');
    expect((await phone.request(register, port)).status).toBe(200);
    // The 200 is the one send of the transaction to its one destination: it reached the source.
    expect(third.received).toEqual([]);
  }, 60_000);

  it('--via-maddr 1 answers at the Via maddr (RFC 3261 §18.2.2)', async () => {
    const { port, phone, third } = await scene(['--via-maddr', '1']);
    const register = buildRegister({ aor: 'sip:alice@example.com', via: { port: phone.port } }).replace(';branch=', ';maddr=127.0.0.2;branch=');
    phone.send(register, port);
    await eventually(() => third.received.find((d) => d.toString('latin1').startsWith('SIP/2.0 200 ')), 'the 200 at the Via maddr', 5_000, () => server?.output() ?? '');
  }, 60_000);

  it('forwards a request for the AOR to the source of the REGISTER, not to the Contact maddr', async () => {
    const { port, phone, caller, third } = await scene();
    const register = buildRegister({ aor: 'sip:alice@example.com', via: { port: phone.port }, contacts: [`<sip:alice@127.0.0.1:${phone.port};maddr=127.0.0.2>`] });
    expect((await phone.request(register, port)).status).toBe(200);
    const message = buildRequest('MESSAGE', { from: 'sip:bob@example.com', to: 'sip:alice@example.com', via: { port: caller.port, rport: true }, body: 'hi' });
    expect((await caller.request(message, port)).status).toBe(200);
    const delivered = phone.requests().filter((r) => r.method === 'MESSAGE');
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered[0].uri).toBe(`sip:alice@127.0.0.1:${phone.port};maddr=127.0.0.2`);
    // Every forward of the MESSAGE goes to one destination, and the phone answered it.
    expect(third.received).toEqual([]);
  }, 60_000);
});
