/**
 * `udpMtu` (OpenSIPS core `udp_mtu`, RFC 3261 §18.1.1): the size above which a request for a UDP
 * hop is planned over TCP, for the stateless forward ({@link sendForward}), the forking proxy's
 * branches and {@link createRegistrarServer}, which passes its option to both.
 */
import { ConfigError } from '../../src/errors/sdk-error';
import type { Endpoint } from '../../src/ports/transport';
import { ForkingProxy } from '../../src/proxy/forking-proxy';
import { createRegistrar } from '../../src/registrar/registrar';
import { planHop, resolveUdpMtu, sendForward, UNKNOWN_MTU_LIMIT_BYTES } from '../../src/server/forward-transport';
import { createRegistrarServer } from '../../src/server/registrar-server';
import type { SipRequest } from '../../src/sip/message';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../src/testing/message-builders';
import { resolveTransactionTimers } from '../../src/transactions/transaction-timers';
import { messageOfSize } from '../helpers/message-of-size';
import { recordingLogger } from '../transports/net-peers';

const UDP: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const TCP: Endpoint = { protocol: 'tcp', address: '127.0.0.1', port: 5060 };
const CONTACT = 'sip:bob@192.0.2.20:5062';


/** The size of `request` forwarded to {@link CONTACT} over UDP. */
async function forwardedSize(request: SipRequest): Promise<number> {
  const planned = await planHop({ transport: new FakeTransport({ endpoints: [UDP] }), logger: recordingLogger(), udpMtu: 0 }, request, { uri: CONTACT });
  if ('kind' in planned) throw new Error(`not planned: ${planned.kind}`);
  return planned.bytes.length;
}

/** The protocol each of `requests` is forwarded to {@link CONTACT} over with `udpMtu`. */
async function protocolsWith(udpMtu: number | undefined, requests: readonly SipRequest[]): Promise<string[]> {
  const transport = new FakeTransport({ endpoints: [UDP, TCP] });
  const sender = { transport, logger: recordingLogger(), udpMtu };
  for (const request of requests) expect(await sendForward(sender, request, { uri: CONTACT })).toMatchObject({ kind: 'sent' });
  return transport.sent.map((s) => `${s.destination.protocol} ${(s.message as SipRequest).via[0].transport}`);
}

describe('udpMtu: when a forwarded request leaves UDP for TCP (RFC 3261 §18.1.1, OpenSIPS udp_mtu)', () => {
  const small = messageOfSize(100);
  const medium = messageOfSize(900);
  const large = messageOfSize(2_000);
  const overDatagram = messageOfSize(70_000);

  it('plans a request over the configured limit over TCP and one at or under it over UDP', async () => {
    const mediumBytes = await forwardedSize(medium);
    expect(await forwardedSize(small)).toBeLessThan(mediumBytes - 100);
    // A limit between the two sizes, and one exactly at the medium request's size.
    expect(await protocolsWith(mediumBytes - 100, [small, medium])).toEqual(['udp UDP', 'tcp TCP']);
    expect(await protocolsWith(mediumBytes, [medium, large])).toEqual(['udp UDP', 'tcp TCP']);
  });

  it('defaults to 1300 bytes (the path MTU unknown)', async () => {
    expect(await forwardedSize(medium)).toBeLessThanOrEqual(UNKNOWN_MTU_LIMIT_BYTES);
    expect(await forwardedSize(large)).toBeGreaterThan(UNKNOWN_MTU_LIMIT_BYTES);
    expect(await protocolsWith(undefined, [medium, large])).toEqual(['udp UDP', 'tcp TCP']);
  });

  it('with 0 keeps UDP for every request a datagram carries, and switches only one that no datagram carries', async () => {
    expect(await protocolsWith(0, [small, large, messageOfSize(20_000), overDatagram])).toEqual(['udp UDP', 'udp UDP', 'udp UDP', 'tcp TCP']);
  });

  it('is an integer from 0 to 65535, refused otherwise with a ConfigError naming the option', () => {
    expect([resolveUdpMtu('X', undefined), resolveUdpMtu('X', 0), resolveUdpMtu('X', 65_535)]).toEqual([1300, 0, 65_535]);
    for (const bad of [-1, 65_536, 1.5, Number.NaN]) {
      expect(() => resolveUdpMtu('RegistrarServerOptions', bad)).toThrow(ConfigError);
      expect(() => resolveUdpMtu('RegistrarServerOptions', bad)).toThrow(/^RegistrarServerOptions\.udpMtu must be an integer in 0\.\.65535/);
    }
    const registrar = createRegistrar({ purgeIntervalMs: 0 });
    expect(() => createRegistrarServer({ registrar, transport: new FakeTransport(), udpMtu: -1 })).toThrow(/^RegistrarServerOptions\.udpMtu /);
    expect(() => new ForkingProxy({
      transport: new FakeTransport(), clock: new ManualClock(0), timers: resolveTransactionTimers('T', {}), logger: recordingLogger(), udpMtu: 70_000,
    })).toThrow(/^ForkingProxyOptions\.udpMtu /);
  });
});

describe('createRegistrarServer({ udpMtu })', () => {
  const settle = () => new Promise((r) => setImmediate(r));

  /** A server with a phone registered over UDP at {@link CONTACT}; the protocol each of `sizes` (MESSAGE bodies) is proxied to it over. */
  async function proxiedOver(udpMtu: number | undefined, sizes: readonly number[]): Promise<string[]> {
    const transport = new FakeTransport({ endpoints: [UDP, TCP] });
    const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0 });
    createRegistrarServer({ registrar, transport, udpMtu });
    const ids = new IdSequence('mtu');
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: [CONTACT], ids }));
    await settle();
    expect(transport.lastResponse().status).toBe(200);
    for (const size of sizes) {
      transport.deliver(buildRequest('MESSAGE', { to: 'sip:bob@example.com', body: 'x'.repeat(size), ids }), { address: '198.51.100.9', port: 5070 });
      await settle();
      await settle();
    }
    return transport.sent.map((s) => `${(s.message as SipRequest).method} ${s.destination.protocol}`);
  }

  it('passes the limit to the proxy: 600 bytes switches a 900-byte MESSAGE to TCP, which the default keeps on UDP, and 0 keeps a 2000-byte one on UDP', async () => {
    expect(await proxiedOver(600, [100, 900])).toEqual(['MESSAGE udp', 'MESSAGE tcp']);
    expect(await proxiedOver(undefined, [900, 2_000])).toEqual(['MESSAGE udp', 'MESSAGE tcp']);
    expect(await proxiedOver(0, [2_000])).toEqual(['MESSAGE udp']);
  });
});
