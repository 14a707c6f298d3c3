import { createRegistrar } from '../../src/registrar/registrar';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import type { SipResolver } from '../../src/sip/request-destination';
import { register } from './sip-text';

/** remove() by next hop resolves host names through the `resolver` port (OpenSIPS remove() next_hop), never the system DNS. */

const ZONE: Record<string, string> = {
  'edge.example.net': '198.51.100.7',
  'pbx.example.org': '198.51.100.7',
  'phone.example.org': '192.0.2.44',
};

function fakeResolver(asked: string[]): SipResolver {
  return {
    resolveHost: async (host) => {
      asked.push(host);
      const address = ZONE[host];
      if (address === undefined) throw new Error(`ENOTFOUND ${host}`);
      return address;
    },
    resolveSrv: async () => [],
    random: () => 0,
  };
}

function setup() {
  const asked: string[] = [];
  const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), store: new MemoryLocationStore(), purgeIntervalMs: 0, resolver: fakeResolver(asked) });
  return { registrar, asked };
}

describe('registrar remove() by next hop through the resolver port', () => {
  it('matches a host-name next hop against bindings whose Path, received or Contact host resolves to the same address', async () => {
    const { registrar, asked } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@pbx.example.org>'] }));
    await registrar.save(register({ contacts: ['<sip:alice@10.0.0.8>'], callId: 'nat' }), { received: 'sip:198.51.100.7:5060' });
    await registrar.save(register({ contacts: ['<sip:alice@phone.example.org>'], callId: 'other' }));
    expect(await registrar.remove({ aor: 'alice@example.com', nextHop: 'edge.example.net' })).toBe(2);
    expect((await registrar.bindings('alice@example.com')).map((b) => b.contact)).toEqual(['sip:alice@phone.example.org']);
    expect(asked.sort()).toEqual(['edge.example.net', 'pbx.example.org', 'phone.example.org']);
  });

  it('asks nothing for IP addresses, and compares a name that does not resolve as it is written', async () => {
    const { registrar, asked } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@unknown.example.org>', '<sip:alice@192.0.2.44>'] }));
    expect(await registrar.remove({ aor: 'alice@example.com', nextHop: '192.0.2.44' })).toBe(1);
    expect(await registrar.remove({ aor: 'alice@example.com', nextHop: 'UNKNOWN.example.org' })).toBe(1);
    expect(asked).toEqual(['unknown.example.org', 'unknown.example.org']);
  });

  it('matches a next hop that shares any address with a binding when the resolver lists every record', async () => {
    const resolver: SipResolver = {
      resolveHost: async (host) => (host === 'edge.example.net' ? '203.0.113.1' : '203.0.113.2'),
      resolveAddresses: async (host) => (host === 'edge.example.net' ? ['203.0.113.1', '203.0.113.2'] : ['203.0.113.2']),
      resolveSrv: async () => [],
      random: () => 0,
    };
    const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), store: new MemoryLocationStore(), purgeIntervalMs: 0, resolver });
    await registrar.save(register({ contacts: ['<sip:alice@pbx.example.org>'] }));
    expect(await registrar.remove({ aor: 'alice@example.com', nextHop: 'edge.example.net' })).toBe(1);
  });
});
