import { createRegistrar } from '../../src/registrar/registrar';
import type { ReceivedMode } from '../../src/registrar/registrar-options';
import type { SaveOptions } from '../../src/registrar/save-options';
import { forwardRequest } from '../../src/proxy/stateless-proxy';
import type { Endpoint, Source } from '../../src/ports/transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { register, req } from './sip-text';

// RFC 3261 §19.1.1: a Contact's `maddr` overrides its host as the address requests go to, so it
// is a third-party target exactly like a Contact host that is not the REGISTER's source.

const source: Source = {
  protocol: 'udp', address: '203.0.113.7', port: 40000,
  local: { protocol: 'udp', address: '127.0.0.1', port: 5060 },
};
const local: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const message = req(`MESSAGE sip:alice@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-m1
Max-Forwards: 70
From: <sip:bob@example.com>;tag=b1
To: <sip:alice@example.com>
Call-ID: m1
CSeq: 1 MESSAGE
Content-Length: 0

`);

/** Register `contact` from {@link source} under `mode`; the stored binding and where a MESSAGE for the AOR is sent. */
async function registerAndForward(mode: ReceivedMode, contact: string, save: SaveOptions = {}) {
  const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0, receivedMode: mode });
  const saved = await registrar.save(register({ contacts: [contact] }), { source, ...save });
  expect(saved.ok).toBe(true);
  const [binding] = await registrar.bindings('alice@example.com');
  const found = await registrar.lookup('sip:alice@example.com');
  if (found.kind !== 'found' || found.ruri === undefined) throw new Error(`lookup: ${found.kind}`);
  const plan = await forwardRequest(message, found.ruri, local);
  return { binding, destination: plan?.destination };
}

const toSource: Endpoint = { protocol: 'udp', address: '203.0.113.7', port: 40000 };

describe('Contact maddr under receivedMode (RFC 3261 §19.1.1, §10.3)', () => {
  it('nat: a maddr that is not the source gets received, and requests go to the source', async () => {
    const { binding, destination } = await registerAndForward('nat', '<sip:alice@203.0.113.7:40000;maddr=198.51.100.9>');
    expect(binding.contact).toBe('sip:alice@203.0.113.7:40000;maddr=198.51.100.9');
    expect(binding.received).toBe('sip:203.0.113.7:40000');
    expect(destination).toEqual(toSource);
  });

  it('nat: the parameter name is case-insensitive and an IPv6 maddr counts too', async () => {
    expect((await registerAndForward('nat', '<sip:alice@203.0.113.7:40000;MAddr=198.51.100.9>')).destination).toEqual(toSource);
    expect((await registerAndForward('nat', '<sip:alice@203.0.113.7:40000;maddr=[2001:db8::9]>')).destination).toEqual(toSource);
  });

  it('nat: a maddr that is the source needs no received, whatever the host', async () => {
    const { binding, destination } = await registerAndForward('nat', '<sip:alice@phone.invalid:40000;maddr=203.0.113.7>');
    expect(binding.received).toBeUndefined();
    expect(destination).toEqual(toSource);
  });

  it('nat: maddr outside the angle brackets is a Contact header parameter, not a target', async () => {
    const { binding, destination } = await registerAndForward('nat', 'sip:alice@203.0.113.7:40000;maddr=198.51.100.9');
    expect(binding.contact).toBe('sip:alice@203.0.113.7:40000');
    expect(binding.received).toBeUndefined();
    expect(destination).toEqual(toSource);
  });

  it('always: received is the source, maddr or not', async () => {
    const { binding, destination } = await registerAndForward('always', '<sip:alice@203.0.113.7:40000;maddr=198.51.100.9>');
    expect(binding.received).toBe('sip:203.0.113.7:40000');
    expect(destination).toEqual(toSource);
  });

  it('explicit: the Contact is trusted as given, maddr like a host, unless the application sets received', async () => {
    const trusted = await registerAndForward('explicit', '<sip:alice@203.0.113.7:40000;maddr=198.51.100.9>');
    expect(trusted.binding.received).toBeUndefined();
    expect(trusted.destination).toEqual({ protocol: 'udp', address: '198.51.100.9', port: 40000 });
    const fixed = await registerAndForward('explicit', '<sip:alice@203.0.113.7:40000;maddr=198.51.100.9>', { received: 'sip:203.0.113.7:40000' });
    expect(fixed.destination).toEqual(toSource);
  });
});
