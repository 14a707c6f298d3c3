import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import { ManualClock } from '../../src/testing/manual-clock';
import type { Endpoint, Source } from '../../src/ports/transport';
import { register } from './sip-text';

const T0 = 1_700_000_000_000;

/** The sockets this registrar listens on. */
const LOCALS: readonly Endpoint[] = [
  { protocol: 'udp', address: '127.0.0.1', port: 5060 },
  { protocol: 'tcp', address: '10.1.1.1', port: 5060 },
  { protocol: 'tls', address: '2001:db8::5', port: 5061 },
];

/** The REGISTER arrived on the first of them. */
const source: Source = { protocol: 'udp', address: '203.0.113.7', port: 40000, local: LOCALS[0] };

async function storedSocket(header: string, options: RegistrarOptions = { localSockets: () => LOCALS }): Promise<string | undefined> {
  const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0, sockHdrName: 'Sock-Info', ...options });
  await registrar.save(register({ extra: [`Sock-Info: ${header}`] }), { socketHeader: true, source });
  return (await registrar.bindings('alice@example.com'))[0].socket;
}

/**
 * OpenSIPS registrar `get_sock_hdr()` (save.c): the header's `proto:host[:port]` is looked up
 * among the listening sockets (`grep_sock_info`); a non-local or malformed socket is ignored and
 * the socket the REGISTER was received on is stored.
 */
describe('registrar save: the sock_hdr_name socket must be one of the local sockets', () => {
  it.each([
    ['tcp:10.1.1.1:5060', 'tcp:10.1.1.1:5060'],
    ['  TCP:10.1.1.1  ', 'tcp:10.1.1.1:5060'],
    ['tls:[2001:DB8::5]', 'tls:[2001:db8::5]:5061'],
    ['udp:127.0.0.1:5060', 'udp:127.0.0.1:5060'],
  ])('stores a local socket %j as %s', async (header, stored) => {
    expect(await storedSocket(header)).toBe(stored);
  });

  it.each([
    'tcp:10.9.9.9:5060', // another host
    'tcp:10.1.1.1:5070', // another port
    'udp:10.1.1.1:5060', // another protocol
    'garbage',
    'tcp:10.1.1.1:port',
  ])('ignores a non-local or malformed socket %j and stores the received one', async (header) => {
    expect(await storedSocket(header)).toBe('udp:127.0.0.1:5060');
  });

  it('asks localSockets at each save, so sockets bound after the registrar was created count', async () => {
    const bound: Endpoint[] = [];
    const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0, sockHdrName: 'Sock-Info', localSockets: () => bound });
    bound.push({ protocol: 'tcp', address: '10.1.1.1', port: 5060 });
    await registrar.save(register({ extra: ['Sock-Info: tcp:10.1.1.1:5060'] }), { socketHeader: true, source });
    expect((await registrar.bindings('alice@example.com'))[0].socket).toBe('tcp:10.1.1.1:5060');
  });

  it('without localSockets the header is stored as given (a library host that cannot tell its sockets)', async () => {
    expect(await storedSocket('tcp:10.9.9.9:5060', {})).toBe('tcp:10.9.9.9:5060');
  });
});
