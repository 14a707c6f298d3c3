import { createRegistrar, type Registrar } from '../../../src/registrar/registrar';
import { createContactPinger, type ContactPinger } from '../../../src/features/nat-ping/contact-pinger';
import type { ContactPingerOptions } from '../../../src/features/nat-ping/ping-options';
import { pingSlot } from '../../../src/features/nat-ping/ping-slot';
import { BindingFlags, type Binding } from '../../../src/ports/binding';
import { ConfigError } from '../../../src/errors/sdk-error';
import { FakeTransport, type FakeReply } from '../../../src/testing/fake-transport';
import { ManualClock } from '../../../src/testing/manual-clock';
import { buildBinding, BINDING_T0 } from '../../../src/testing/build-binding';
import { buildResponseText } from '../../../src/testing/message-builders';
import type { SipRequest } from '../../../src/sip/message';

/** Contact pinging (nathelper SIP pinging) over the fake transport, on a manual clock. */

const INTERVAL_MS = 30_000;

/** Let the pinger's store reads, sends and replies run (each awaits a few promises). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const pingers: ContactPinger[] = [];
const registrars: Registrar[] = [];

afterEach(async () => {
  for (const p of pingers.splice(0)) p.close();
  for (const r of registrars.splice(0)) await r.close();
});

/** A registrar on a manual clock, a fake transport (UDP and TCP on 127.0.0.1) and a pinger of `options`. */
function setup(options: Partial<ContactPingerOptions> = {}) {
  const clock = new ManualClock(BINDING_T0);
  const registrar = createRegistrar({ clock, purgeIntervalMs: 0 });
  registrars.push(registrar);
  const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }, { protocol: 'tcp', address: '127.0.0.1', port: 5060 }] });
  const start = (more: Partial<ContactPingerOptions> = {}): ContactPinger => {
    const pinger = createContactPinger({ registrar, transport, intervalMs: INTERVAL_MS, ...options, ...more });
    pingers.push(pinger);
    return pinger;
  };
  /** Store bindings for an AOR as they would be after a REGISTER. */
  const bind = async (aor: string, ...bindings: Binding[]): Promise<void> => {
    await registrar.editBindings(aor, () => ({ bindings, changes: bindings.map((binding) => ({ kind: 'inserted' as const, aor, binding })) }));
  };
  /** Move the clock by `ms` and let what fell due run. */
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await settle();
  };
  return { clock, registrar, transport, start, bind, advance };
}

const ok = (request: SipRequest): FakeReply => buildResponseText(request, 200, 'OK');

describe('createContactPinger', () => {
  it('pings every live binding once per interval with an OPTIONS from sip:pinger@ the first socket, to its Contact', async () => {
    const { transport, start, bind, advance } = setup();
    transport.respondWith(ok);
    await bind('alice@example.com', buildBinding('sip:alice@192.0.2.10:5062'), buildBinding('sip:alice@192.0.2.11'));
    await bind('bob@example.com', buildBinding('sip:bob@192.0.2.20:5070', { expiresAt: BINDING_T0 + 1000 }));
    const pinger = start();
    await advance(INTERVAL_MS - 1);
    expect(transport.requests).toHaveLength(0);
    await advance(1);
    const sent = transport.requests.map((r) => ({ method: r.request.method, uri: r.request.uri, to: r.destination }));
    expect(sent).toEqual([
      { method: 'OPTIONS', uri: 'sip:alice@192.0.2.10:5062', to: { protocol: 'udp', address: '192.0.2.10', port: 5062 } },
      { method: 'OPTIONS', uri: 'sip:alice@192.0.2.11', to: { protocol: 'udp', address: '192.0.2.11', port: 5060 } },
    ]);
    const first = transport.requests[0].request;
    expect(first.headerAll('from')[0]).toMatch(/^<sip:pinger@127\.0\.0\.1>;tag=\w+$/);
    expect(first.headerAll('to')).toEqual(['<sip:alice@192.0.2.10:5062>']);
    expect(first.headerAll('cseq')).toEqual(['1 OPTIONS']);
    expect(first.headerAll('via')[0]).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bK-png-/);
    await advance(INTERVAL_MS);
    expect(transport.requests).toHaveLength(4);
    expect(pinger.stats).toEqual({ sent: 4, answered: 4, lost: 0, removed: 0 });
  });

  it('pings through the NAT received address, and through the Path (as Route set, first hop as destination)', async () => {
    const { transport, start, bind, advance } = setup({ method: 'INFO', from: 'sip:keepalive@example.com' });
    transport.respondWith(ok);
    await bind('carol@example.com', buildBinding('sip:carol@10.0.0.5:5060', { received: 'sip:203.0.113.7:40000', socket: 'udp:127.0.0.1:5060' }));
    await bind('dave@example.com', buildBinding('sip:dave@10.0.0.6:5060', { path: ['<sip:192.0.2.99:5070;lr>'] }));
    start();
    await advance(INTERVAL_MS);
    const byUri = new Map(transport.requests.map((r) => [r.request.uri, r]));
    const carol = byUri.get('sip:carol@10.0.0.5:5060');
    expect(carol?.destination).toEqual({ protocol: 'udp', address: '203.0.113.7', port: 40000 });
    expect(carol?.local).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5060 });
    expect(carol?.request.method).toBe('INFO');
    expect(carol!.request.headerAll('from')[0]).toMatch(/^<sip:keepalive@example\.com>;tag=/);
    const dave = byUri.get('sip:dave@10.0.0.6:5060');
    expect(dave?.destination).toEqual({ protocol: 'udp', address: '192.0.2.99', port: 5070 });
    expect(dave!.request.headerAll('route')).toEqual(['<sip:192.0.2.99:5070;lr>']);
  });

  it('pings a binding over its flow only with pingTcp, and never a connection-oriented or push binding without', async () => {
    const flowBinding = buildBinding('sip:erin@192.0.2.30:50600;transport=tcp;ob', { flow: 'conn-7', socket: 'tcp:127.0.0.1:5060', instanceId: '<urn:uuid:1>', regId: 1 });
    const tcpContact = buildBinding('sip:erin@192.0.2.31:5060;transport=tcp');
    const push = buildBinding('sip:erin@192.0.2.32:5060;pn-provider=apns;pn-prid=x;pn-param=y', { flags: BindingFlags.push });
    const off = setup();
    off.transport.respondWith(ok);
    await off.bind('erin@example.com', flowBinding, tcpContact, push);
    off.start();
    await off.advance(INTERVAL_MS);
    expect(off.transport.requests).toHaveLength(0);

    const on = setup({ pingTcp: true });
    on.transport.respondWith(ok);
    await on.bind('erin@example.com', flowBinding, tcpContact, push);
    on.start();
    await on.advance(INTERVAL_MS);
    const destinations = on.transport.requests.map((r) => r.destination);
    expect(destinations).toEqual(expect.arrayContaining([
      { protocol: 'tcp', address: '192.0.2.30', port: 50600, connectionId: 'conn-7' },
      { protocol: 'tcp', address: '192.0.2.31', port: 5060 },
    ]));
    expect(destinations).toHaveLength(2);
  });

  it('spreads the AORs over the partitions: one part every interval/partitions, each AOR once per interval', async () => {
    const partitions = 3;
    const { transport, start, bind, advance } = setup({ partitions });
    transport.respondWith(ok);
    const aors = Array.from({ length: 30 }, (_, i) => `user${i}@example.com`);
    for (const aor of aors) await bind(aor, buildBinding(`sip:${aor.replace('@example.com', '')}@192.0.2.1:${5100 + aors.indexOf(aor)}`));
    start();
    const userOf = (uri: string): string => `${/^sip:([^@]+)@/.exec(uri)![1]}@example.com`;
    const seen: string[][] = [];
    for (let k = 0; k < partitions; k++) {
      const before = transport.requests.length;
      await advance(INTERVAL_MS / partitions);
      seen.push(transport.requests.slice(before).map((r) => userOf(r.request.uri)));
    }
    seen.forEach((part, k) => {
      expect(part.length).toBeLessThan(aors.length);
      expect(part.sort()).toEqual(aors.filter((a) => pingSlot(a, partitions, 1) === k).sort());
    });
    expect(seen.flat().sort()).toEqual([...aors].sort());
  });

  it('pings only its share of the AORs when processes share the location: each AOR once per interval in all', async () => {
    const { transport, start, bind, advance } = setup({ partitions: 2 });
    transport.respondWith(ok);
    const aors = Array.from({ length: 40 }, (_, i) => `user${i}@example.com`);
    for (const [i, aor] of aors.entries()) await bind(aor, buildBinding(`sip:${aor.replace('@example.com', '')}@192.0.2.1:${5100 + i}`));
    const userOf = (uri: string): string => `${/^sip:([^@]+)@/.exec(uri)![1]}@example.com`;
    const pingedBy: string[][] = [];
    for (const index of [0, 1]) {
      const before = transport.requests.length;
      const pinger = start({ share: { processes: 2, index } });
      for (let part = 0; part < 2; part++) await advance(INTERVAL_MS / 2);
      pinger.close();
      pingedBy.push(transport.requests.slice(before).map((r) => userOf(r.request.uri)));
    }
    expect(pingedBy[0].length).toBeGreaterThan(0);
    expect(pingedBy[1].length).toBeGreaterThan(0);
    expect([...pingedBy[0], ...pingedBy[1]].sort()).toEqual([...aors].sort());
    expect(() => start({ share: { processes: 2, index: 2 } })).toThrow('ContactPingerOptions.share.index');
  });

  it('records the request→final response time in µs, any status counting, so lookups sort and filter by it', async () => {
    const { clock, registrar, transport, start, bind, advance } = setup();
    const delays: Record<string, number> = { 'sip:frank@192.0.2.40': 80, 'sip:frank@192.0.2.41': 5, 'sip:frank@192.0.2.42': 30 };
    transport.respondWith((request) => new Promise((resolve) => {
      clock.setTimer(delays[request.uri], () => resolve(buildResponseText(request, request.uri.endsWith('.41') ? 405 : 200, 'x')));
    }));
    await bind('frank@example.com', ...Object.keys(delays).map((c, i) => buildBinding(c, { q: 1000 - i * 100 })));
    const pinger = start();
    const before = await registrar.lookup('sip:frank@example.com');
    expect(before.kind === 'found' && before.targets.map((t) => t.uri)).toEqual(['sip:frank@192.0.2.40', 'sip:frank@192.0.2.41', 'sip:frank@192.0.2.42']);
    await advance(INTERVAL_MS);
    // Each reply is handled once the clock stands at its delay, as it would be on the wire.
    await advance(5);
    await advance(25);
    await advance(50);
    expect(pinger.stats).toMatchObject({ sent: 3, answered: 3 });
    const sorted = await registrar.lookup('sip:frank@example.com', { sortByLatency: true });
    expect(sorted.kind === 'found' && sorted.targets.map((t) => t.uri)).toEqual(['sip:frank@192.0.2.41', 'sip:frank@192.0.2.42', 'sip:frank@192.0.2.40']);
    const fast = await registrar.lookup('sip:frank@example.com', { maxPingLatencyUs: 50_000 });
    expect(fast.kind === 'found' && fast.targets.map((t) => t.uri)).toEqual(['sip:frank@192.0.2.41', 'sip:frank@192.0.2.42']);
  });

  it('with removeOnTimeout removes a binding after maxPingsLost lost pings in a row; an answer starts the count again', async () => {
    const { registrar, transport, start, bind, advance } = setup({ maxPingsLost: 2, removeOnTimeout: true });
    let answering = false;
    transport.respondWith((request) => (answering ? ok(request) : 'timeout'));
    await bind('gina@example.com', buildBinding('sip:gina@192.0.2.50'));
    const pinger = start();
    const deleted: string[] = [];
    registrar.on('deleted', (c) => deleted.push(c.binding.contact));
    await advance(INTERVAL_MS); // lost 1
    answering = true;
    await advance(INTERVAL_MS); // answered: the count starts again
    answering = false;
    await advance(INTERVAL_MS); // lost 1
    expect(await registrar.bindings('gina@example.com')).toHaveLength(1);
    await advance(INTERVAL_MS); // lost 2: removed
    expect(await registrar.bindings('gina@example.com')).toHaveLength(0);
    expect(deleted).toEqual(['sip:gina@192.0.2.50']);
    expect(pinger.stats).toEqual({ sent: 4, answered: 1, lost: 3, removed: 1 });
  });

  it('without removeOnTimeout keeps a binding whose pings are lost', async () => {
    const { registrar, transport, start, bind, advance } = setup({ maxPingsLost: 1 });
    transport.respondWith(() => new Error('ICMP port unreachable'));
    await bind('hank@example.com', buildBinding('sip:hank@192.0.2.60'));
    const pinger = start();
    for (let k = 0; k < 3; k++) await advance(INTERVAL_MS);
    expect(await registrar.bindings('hank@example.com')).toHaveLength(1);
    expect(pinger.stats).toEqual({ sent: 3, answered: 0, lost: 3, removed: 0 });
  });

  it('does not ping a binding again while its previous ping is in flight, and stops on close', async () => {
    const { transport, start, bind, advance } = setup({ intervalMs: 1000 });
    transport.respondWith(() => new Promise<FakeReply>(() => undefined));
    await bind('ivan@example.com', buildBinding('sip:ivan@192.0.2.70'));
    const pinger = start();
    await advance(1000);
    await advance(1000);
    expect(transport.requests).toHaveLength(1);
    pinger.close();
    pinger.close();
    await advance(10_000);
    expect(transport.requests).toHaveLength(1);
  });

  it('refuses bad options with a ConfigError naming the option', () => {
    const { registrar, transport } = setup();
    const bad = (o: Partial<ContactPingerOptions>) => () => createContactPinger({ registrar, transport, intervalMs: INTERVAL_MS, ...o });
    expect(bad({ intervalMs: 0 })).toThrow(/ContactPingerOptions\.intervalMs must be an integer in 1\.\./);
    expect(bad({ partitions: INTERVAL_MS + 1 })).toThrow(/ContactPingerOptions\.partitions must be an integer in 1\.\.30000/);
    expect(bad({ method: 'INVITE' })).toThrow(/ContactPingerOptions\.method cannot be INVITE/);
    expect(bad({ method: 'OPT IONS' })).toThrow(/ContactPingerOptions\.method must be a SIP method/);
    expect(bad({ from: 'tel:+15551234' })).toThrow(/ContactPingerOptions\.from must be a sip: or sips: URI/);
    expect(bad({ maxPingsLost: 0 })).toThrow(ConfigError);
    expect(() => createContactPinger({ transport, intervalMs: 1000 } as unknown as ContactPingerOptions)).toThrow(/needs options\.registrar/);
  });
});
