import { createRegistrar } from '../../src/registrar/registrar';
import type { BindingChange } from '../../src/registrar/binding-change';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { parseLookupFlags } from '../../src/registrar/parse-lookup-flags';
import { register, req } from './sip-text';
import type { LocationStore } from '../../src/ports/location-store';

const T0 = 1_700_000_000_000;

function setup() {
  const clock = new ManualClock(T0);
  const store = new MemoryLocationStore();
  const registrar = createRegistrar({ clock, store, purgeIntervalMs: 0 });
  return { clock, store, registrar };
}

const invite = (uri = 'sip:alice@example.com', method = 'INVITE') => req(`
${method} ${uri} SIP/2.0
Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKinv
Max-Forwards: 70
From: <sip:bob@example.com>;tag=b1
To: <${uri}>
Call-ID: inv-1
CSeq: 1 ${method}
Contact: <sip:bob@192.0.2.99>
Content-Length: 0

`);

describe('registrar lookup (OpenSIPS lookup())', () => {
  it('orders targets by q, then most recent first, and splits R-URI and branches', async () => {
    const { registrar, clock } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@h1>;q=0.5'], callId: 'a' }));
    clock.advance(1000);
    await registrar.save(register({ contacts: ['<sip:alice@h2>;q=0.5'], callId: 'b' }));
    clock.advance(1000);
    await registrar.save(register({ contacts: ['<sip:alice@h3>;q=1'], callId: 'c' }));
    await registrar.save(register({ contacts: ['<sip:alice@h4>'], callId: 'd' }));
    const r = await registrar.lookup(invite());
    expect(r.kind).toBe('found');
    if (r.kind !== 'found') return;
    expect(r.code).toBe(1);
    expect(r.targets.map((t) => t.uri)).toEqual(['sip:alice@h3', 'sip:alice@h2', 'sip:alice@h1', 'sip:alice@h4']);
    expect(r.ruri?.uri).toBe('sip:alice@h3');
    expect(r.branches.map((t) => t.uri)).toEqual(['sip:alice@h2', 'sip:alice@h1', 'sip:alice@h4']);

    const nb = await registrar.lookup(invite(), { noBranches: true });
    expect(nb.kind === 'found' && [nb.ruri?.uri, nb.branches.length]).toEqual(['sip:alice@h3', 0]);
    const tb = await registrar.lookup(invite(), parseLookupFlags('B'));
    expect(tb.kind === 'found' && [tb.ruri, tb.branches.length]).toEqual([undefined, 4]);
  });

  it('returns not-found for unknown or expired AORs', async () => {
    const { registrar, clock } = setup();
    expect((await registrar.lookup(invite())).kind).toBe('not-found');
    await registrar.save(register({ expires: 60 }));
    expect((await registrar.lookup(invite())).kind).toBe('found');
    clock.advance(60_000);
    const r = await registrar.lookup(invite());
    expect([r.kind, r.code]).toEqual(['not-found', -1]);
  });

  it('method filtering uses the REGISTER Allow and answers method-not-supported', async () => {
    const { registrar } = setup();
    await registrar.save(register({ extra: ['Allow: INVITE, ACK, BYE'] }));
    expect((await registrar.lookup(invite('sip:alice@example.com', 'MESSAGE'), { methodFiltering: true })).kind).toBe('method-not-supported');
    expect((await registrar.lookup(invite('sip:alice@example.com', 'MESSAGE'))).kind).toBe('found');
    await registrar.save(register({ contacts: ['<sip:alice@no-allow>'], callId: 'n' }));
    const r = await registrar.lookup(invite('sip:alice@example.com', 'MESSAGE'), parseLookupFlags('method-filtering'));
    expect(r.kind === 'found' && r.targets.map((t) => t.uri)).toEqual(['sip:alice@no-allow']);
  });

  it('filters by User-Agent regexp, case-insensitively with i', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@desk>'], extra: ['User-Agent: DeskPhone 2'], callId: 'a' }));
    await registrar.save(register({ contacts: ['<sip:alice@mobile>'], extra: ['User-Agent: Mobile App'], callId: 'b' }));
    const r = await registrar.lookup(invite(), parseLookupFlags('u/mobile/i'));
    expect(r.kind === 'found' && r.targets.map((t) => t.uri)).toEqual(['sip:alice@mobile']);
    expect((await registrar.lookup(invite(), parseLookupFlags('u/mobile/'))).kind).toBe('not-found');
  });

  it('drops slow contacts and sorts by recorded ping latency', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@a>;q=1'], callId: 'a' }));
    await registrar.save(register({ contacts: ['<sip:alice@b>;q=0.5'], callId: 'b' }));
    await registrar.save(register({ contacts: ['<sip:alice@c>;q=0.1'], callId: 'c' }));
    registrar.recordLatency('sip:alice@example.com', 'sip:alice@a', 900);
    registrar.recordLatency('alice@example.com', 'sip:alice@b', 100);
    registrar.recordLatency('alice@example.com', 'sip:alice@c', 300);
    const sorted = await registrar.lookup(invite(), { sortByLatency: true });
    expect(sorted.kind === 'found' && sorted.targets.map((t) => t.uri)).toEqual(['sip:alice@b', 'sip:alice@c', 'sip:alice@a']);
    const capped = await registrar.lookup(invite(), parseLookupFlags('y500'));
    expect(capped.kind === 'found' && capped.targets.map((t) => t.uri)).toEqual(['sip:alice@b', 'sip:alice@c']);
  });

  it('expands branch AORs and returns the NAT destination and attributes', async () => {
    const { registrar } = setup();
    await registrar.save(register({ user: 'alice' }), { attr: 'a1', received: 'sip:203.0.113.1:4000' });
    await registrar.save(register({ user: 'bob', contacts: ['<sip:bob@h9>'] }));
    const r = await registrar.lookup(invite(), { branchAors: ['sip:bob@example.com'] });
    expect(r.kind).toBe('found');
    if (r.kind !== 'found') return;
    expect(r.targets.map((t) => [t.aor, t.uri, t.destination, t.attr])).toEqual([
      ['alice@example.com', 'sip:alice@192.0.2.10:5060', 'sip:203.0.113.1:4000', 'a1'],
      ['bob@example.com', 'sip:bob@h9', undefined, undefined],
    ]);
  });
});

describe('registrar remove and queries', () => {
  it('removes by contact, by next hop and by instance, emitting deleted', async () => {
    const { registrar } = setup();
    const deleted: BindingChange[] = [];
    registrar.on('deleted', (c) => deleted.push(c));
    await registrar.save(register({ contacts: ['<sip:alice@46.50.64.78>', '<sip:alice@10.0.0.9>;+sip.instance="<urn:uuid:x1>"'] }));
    await registrar.save(register({ contacts: ['<sip:alice@10.0.0.8>'], callId: 'nat' }), { received: 'sip:50.60.50.60:5060' });
    expect(await registrar.remove({ aor: 'sip:alice@example.com', nextHop: '50.60.50.60' })).toBe(1);
    expect(await registrar.remove({ aor: 'alice@example.com', sipInstance: '<urn:uuid:x1>' })).toBe(1);
    expect(await registrar.remove({ aor: 'alice@example.com', contact: 'sip:alice@nowhere' })).toBe(0);
    expect(await registrar.remove({ aor: 'alice@example.com', contact: 'sip:alice@46.50.64.78' })).toBe(1);
    expect(deleted.map((d) => d.binding.contact)).toEqual(['sip:alice@10.0.0.8', 'sip:alice@10.0.0.9', 'sip:alice@46.50.64.78']);
    expect(await registrar.isRegistered('alice@example.com')).toBe(false);
  });

  it('removes by next hop through a Contact maddr, which is where its requests go (RFC 3261 §19.1.1)', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@46.50.64.78;maddr=198.51.100.7>'] }));
    expect(await registrar.remove({ aor: 'alice@example.com', nextHop: '46.50.64.78' })).toBe(0);
    expect(await registrar.remove({ aor: 'alice@example.com', nextHop: '198.51.100.7' })).toBe(1);
  });

  it('answers is_registered, is_contact_registered and is_ip_registered', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@192.0.2.10:5060>'] }));
    await registrar.save(register({ contacts: ['<sip:alice@10.0.0.8>'], callId: 'nat' }), { received: 'sip:198.51.100.4:6000' });
    expect(await registrar.isRegistered('sip:alice@example.com')).toBe(true);
    expect(await registrar.isRegistered('sip:carol@example.com')).toBe(false);
    expect(await registrar.isContactRegistered('alice@example.com', 'sip:alice@192.0.2.10:5060')).toBe(true);
    expect(await registrar.isContactRegistered('alice@example.com', undefined, 'nat')).toBe(true);
    expect(await registrar.isContactRegistered('alice@example.com', 'sip:alice@192.0.2.10:5060', 'nat')).toBe(false);
    expect(await registrar.isIpRegistered('alice@example.com', '192.0.2.10')).toBe(true);
    expect(await registrar.isIpRegistered('alice@example.com', ['1.1.1.1', '198.51.100.4'])).toBe(true);
    expect(await registrar.isIpRegistered('alice@example.com', '10.0.0.8')).toBe(false);
  });
});

describe('registrar lookupMany', () => {
  /** The memory store, and the same store seen without its range loads (sync) or through promises. */
  const stores = {
    memory: (s: MemoryLocationStore): LocationStore => s,
    'without range loads': (s: MemoryLocationStore): LocationStore => ({
      load: (a) => s.load(a), commit: (a, v, b) => s.commit(a, v, b), expiredAors: (n, l) => s.expiredAors(n, l),
      aors: () => s.aors(), count: () => s.count(), close: () => s.close(),
    }),
    async: (s: MemoryLocationStore): LocationStore => ({
      load: async (a) => s.load(a), commit: async (a, v, b) => s.commit(a, v, b), expiredAors: async (n, l) => s.expiredAors(n, l),
      aors: () => s.aors(), count: async () => s.count(), close: async () => s.close(),
      loadManyIn: async (t, b, e) => s.loadManyIn(t, b, e),
    }),
  };

  it.each(Object.keys(stores) as (keyof typeof stores)[])('answers what lookup answers, request by request and in order (%s store)', async (kind) => {
    const clock = new ManualClock(T0);
    const memory = new MemoryLocationStore();
    const registrar = createRegistrar({ clock, store: stores[kind](memory), purgeIntervalMs: 0 });
    const instance = '"<urn:uuid:00000000-0000-4000-8000-000000000001>"';
    await registrar.save(register({ contacts: [`<sip:alice@h1>;+sip.instance=${instance};q=0.5`, '<sip:alice@h2>;q=0.9'], extra: ['Supported: gruu'] }));
    await registrar.save(register({ user: 'bob', contacts: ['<sip:bob@h1>'], extra: ['Allow: INVITE, ACK, BYE'] }));
    await registrar.save(register({ user: 'Carol', contacts: ['<sip:carol@h1>;expires=60'] }));
    clock.advance(70_000);
    const requests = [
      invite('sip:alice@example.com'),
      'sip:bob@example.com;transport=udp',
      invite('sip:bob@example.com', 'MESSAGE'),
      'sip:nobody@example.com',
      'sip:Carol@example.com',
      'sip:alice@example.com;gr=urn:uuid:00000000-0000-4000-8000-000000000001',
      'alice@example.com',
      'tel:+15551234',
    ];
    for (const options of [undefined, parseLookupFlags('m'), { noBranches: true }]) {
      const batch = await registrar.lookupMany(requests, options);
      const single = await Promise.all(requests.map((r) => registrar.lookup(r, options)));
      expect(batch).toEqual(single);
    }
    const found = (await registrar.lookupMany(requests)).map((r) => r.kind);
    expect(found).toEqual(['found', 'found', 'found', 'not-found', 'not-found', 'found', 'found', 'not-found']);
    expect(await registrar.lookupMany([])).toEqual([]);
    await registrar.close();
    await expect(registrar.lookupMany(requests)).rejects.toThrow(/closed/);
  });
});

describe('registrar expiry', () => {
  it('purges expired bindings on its timer through compare-and-set and emits expired', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryLocationStore();
    const registrar = createRegistrar({ clock, store, purgeIntervalMs: 1000 });
    const expired: string[] = [];
    registrar.on('expired', (c) => expired.push(c.binding.contact));
    await registrar.save(register({ contacts: ['<sip:alice@short>;expires=60', '<sip:alice@long>;expires=600'] }));
    clock.advance(61_000);
    await new Promise((r) => setImmediate(r));
    await registrar.purgeExpired();
    expect(expired).toEqual(['sip:alice@short']);
    expect(store.count().bindings).toBe(1);
    await registrar.close();
    await expect(registrar.lookup(invite())).rejects.toThrow(/closed/);
  });
});
