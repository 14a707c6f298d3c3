import { createMidRegistrar } from '../../src/mid-registrar/mid-registrar';
import type { SipRequest } from '../../src/sip/message';
import { FakeTransport } from '../../src/testing/fake-transport';
import { buildRegister, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { parse, parseResponse, setup, T0, UPSTREAM } from './mid-harness';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest';
import { SqliteLocationStore } from '../../src/stores/sqlite-location-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('mid-registrar: contact mirroring', () => {
  it('forwards every REGISTER with Contacts pointing here, saves what the main registrar confirmed, and routes back by contact id', async () => {
    const t = setup('mirror');
    const reply = await t.register('sip:alice@example.com', [{ uri: 'sip:alice@192.0.2.7:5062', expires: 600 }]);
    expect(reply.status).toBe(200);
    expect(reply.contacts !== '*' && reply.contacts.map((c) => [c.uri, c.params.expires])).toEqual([['sip:alice@192.0.2.7:5062', '600']]);
    const [upstreamContact] = await t.upstreamContacts('alice@example.com');
    expect(upstreamContact).toMatch(/^sip:alice@10\.0\.0\.2:5060;ctid=[0-9a-f]{16}$/);
    const forwarded = t.upstreamSeen[0];
    expect(forwarded.via).toHaveLength(2);
    expect(forwarded.via[0].host).toBe('10.0.0.2');
    expect(forwarded.maxForwards).toBe(69);
    expect(forwarded.callId).toBe('sip:alice@example.com-call');

    const again = await t.register('sip:alice@example.com', [{ uri: 'sip:alice@192.0.2.7:5062', expires: 600 }], { cseq: 2 });
    expect(again.status).toBe(200);
    expect(t.upstreamSeen).toHaveLength(2);

    const invite = buildRequest('INVITE', { requestUri: upstreamContact, to: 'sip:alice@example.com' });
    const found = await t.mid.lookup(parse(invite));
    expect(found.kind === 'found' && found.targets.map((x) => x.uri)).toEqual(['sip:alice@192.0.2.7:5062']);
    expect(await t.mid.stats()).toMatchObject({ forwarded: 2, absorbed: 0 });
  });

  it('keeps the main registrar lifetimes, relays error replies without saving, and answers 408 when it does not reply', async () => {
    const t = setup('mirror');
    t.transport.respondWith((request) => buildResponseText(request, 200, 'OK', [['Contact', `${request.headerAll('contact')[0].split(';expires')[0]};expires=300`]]));
    await t.register('sip:bob@example.com', [{ uri: 'sip:bob@192.0.2.8', expires: 3600 }]);
    const [b] = await t.mid.registrar.bindings('bob@example.com');
    expect(b.expiresAt).toBe(T0 + 300_000);

    t.transport.respondWith((request) => buildResponseText(request, 401, 'Unauthorized', [['WWW-Authenticate', 'Digest realm="example.com", nonce="n1"']]));
    const challenged = await t.register('sip:carol@example.com', [{ uri: 'sip:carol@192.0.2.9' }]);
    expect(challenged.status).toBe(401);
    expect(challenged.via).toHaveLength(1);
    expect(challenged.header('www-authenticate')).toContain('nonce="n1"');
    expect(await t.mid.registrar.bindings('carol@example.com')).toEqual([]);

    t.transport.respondWith(() => 'timeout');
    expect((await t.register('sip:carol@example.com', [{ uri: 'sip:carol@192.0.2.9' }])).status).toBe(408);
  });
});

describe('mid-registrar: Path behind an edge proxy', () => {
  it('keeps the Path here, forwards none, and routes calls from the main registrar through the edge (RFC 3327)', async () => {
    const t = setup('mirror');
    const request = parse(buildRegister({
      aor: 'sip:kim@example.com', contacts: [{ uri: 'sip:kim@10.9.8.7:5060;ob', params: { 'reg-id': '1', '+sip.instance': '"<urn:uuid:1>"' } }],
      path: ['sip:edge.example.com;lr'], supported: ['path'],
    }));
    const reply = parseResponse((await t.mid.process(request, { path: 'lazy' })).response!);
    expect(reply.status).toBe(200);
    expect(reply.path.map((p) => p.uri)).toEqual(['sip:edge.example.com;lr']);
    const forwarded = t.upstreamSeen[0];
    expect(forwarded.path).toEqual([]);
    expect(forwarded.contacts !== '*' && forwarded.contacts[0].params).toEqual({ '+sip.instance': '"<urn:uuid:1>"' });
    const [upstreamContact] = await t.upstreamContacts('kim@example.com');
    const found = await t.mid.lookup(upstreamContact);
    expect(found.kind === 'found' && [found.ruri?.uri, found.ruri?.route]).toEqual(['sip:kim@10.9.8.7:5060;ob', ['<sip:edge.example.com;lr>']]);
  });
});

describe('mid-registrar: contact throttling', () => {
  it('absorbs refreshes until the main registrar binding runs short, then forwards with outgoing_expires', async () => {
    const t = setup('throttle-contact', { outgoingExpires: 600 });
    const contact = [{ uri: 'sip:dave@192.0.2.10', expires: 120 }];
    expect((await t.register('sip:dave@example.com', contact)).status).toBe(200);
    expect(t.upstreamSeen[0].contacts !== '*' && t.upstreamSeen[0].contacts[0].params.expires).toBe('600');
    const actions: string[] = [];
    for (let n = 2; n <= 10; n++) {
      await t.advance(60_000);
      const before = t.upstreamSeen.length;
      const reply = await t.register('sip:dave@example.com', contact, { cseq: n });
      expect(reply.status).toBe(200);
      expect(reply.contacts !== '*' && reply.contacts[0].params.expires).toBe('120');
      actions.push(t.upstreamSeen.length > before ? 'F' : 'a');
    }
    // Upstream binding from t=0 lasts 600 s; a refresh at t is absorbed while 600 - t > 120.
    expect(actions.join('')).toBe('aaaaaaaFa');
    expect(await t.mid.stats()).toMatchObject({ forwarded: 2, absorbed: 8 });
  });

  it('randomises the lifetimes it asks upstream by expires_max_deviation, never below the phone\'s own', async () => {
    const t = setup('throttle-contact', { outgoingExpires: 600, expiresMaxDeviation: 100 });
    for (let i = 0; i < 40; i++) await t.register(`sip:dev${i}@example.com`, [{ uri: `sip:dev${i}@192.0.2.50`, expires: 120 }]);
    const asked = t.upstreamSeen.map((r) => Number(r.contacts !== '*' && r.contacts[0].params.expires));
    expect(asked.every((e) => e >= 500 && e <= 700)).toBe(true);
    expect(new Set(asked).size).toBeGreaterThan(5);
    const long = setup('throttle-contact', { outgoingExpires: 600, expiresMaxDeviation: 100 });
    await long.register('sip:lon@example.com', [{ uri: 'sip:lon@192.0.2.51', expires: 3600 }]);
    expect(long.upstreamSeen[0].contacts !== '*' && Number(long.upstreamSeen[0].contacts[0].params.expires)).toBeGreaterThanOrEqual(3600);
  });

  it('forwards a new device and a de-registration, and de-registers upstream a phone that vanished', async () => {
    const t = setup('throttle-contact');
    await t.register('sip:erin@example.com', [{ uri: 'sip:erin@192.0.2.11', expires: 60 }], { callId: 'e1' });
    await t.register('sip:erin@example.com', [{ uri: 'sip:erin@192.0.2.12', expires: 60 }], { callId: 'e2' });
    expect(t.upstreamSeen).toHaveLength(2);
    expect(await t.upstreamContacts('erin@example.com')).toHaveLength(2);

    await t.register('sip:erin@example.com', [{ uri: 'sip:erin@192.0.2.12', expires: 0 }], { callId: 'e2', cseq: 2 });
    expect(t.upstreamSeen).toHaveLength(3);
    expect(await t.upstreamContacts('erin@example.com')).toHaveLength(1);

    // The first phone goes silent: 60 s later its binding expires here and upstream within a second.
    const deregistered: string[] = [];
    t.mid.on('deregistered', (e) => deregistered.push(e.contact));
    await t.advance(60_000);
    await t.advance(1000);
    expect(await t.mid.registrar.bindings('erin@example.com')).toEqual([]);
    expect(await t.upstreamContacts('erin@example.com')).toEqual([]);
    expect(deregistered).toHaveLength(1);
    const dereg = t.upstreamSeen[3];
    expect([dereg.callId, dereg.cseq.seq, dereg.expires]).toEqual(['e1', 2, 0]);
    expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 1, deRegistersFailed: 0 });
  });

  it('answers a digest challenge to its de-REGISTER with the credentials the host supplies', async () => {
    const t = setup('throttle-contact', {
      credentials: (aor, realm) => (aor === 'frank@example.com' && realm === 'example.com' ? { username: 'frank', password: 'secret' } : undefined),
    });
    await t.register('sip:frank@example.com', [{ uri: 'sip:frank@192.0.2.13', expires: 60 }]);
    const seen: SipRequest[] = [];
    t.transport.respondWith(async (request) => {
      seen.push(request);
      const auth = request.header('authorization');
      if (auth === undefined) return buildResponseText(request, 401, 'Unauthorized', [['WWW-Authenticate', 'Digest realm="example.com", nonce="abc", qop="auth"']]);
      const cnonce = /cnonce="([^"]+)"/.exec(auth)![1];
      const expected = digestAuthorization(parseDigestChallenge('Digest realm="example.com", nonce="abc", qop="auth"')!, { username: 'frank', password: 'secret' }, { method: 'REGISTER', uri: 'sip:10.0.0.3:5060' }, cnonce);
      return auth === expected ? (await t.main.save(request)).response! : buildResponseText(request, 403, 'Forbidden');
    });
    await t.advance(61_000);
    expect(seen.map((r) => [r.cseq.seq, r.header('authorization') !== undefined])).toEqual([[2, false], [3, true]]);
    expect(await t.upstreamContacts('frank@example.com')).toEqual([]);
    expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 1 });
  });

  it('keeps the upstream binding while another local binding holds the Contact (matching-mode 1)', async () => {
    const t = setup('throttle-contact', { defaultSaveOptions: { matchingMode: 1 } });
    await t.register('sip:max@example.com', [{ uri: 'sip:max@192.0.2.20', expires: 60 }], { callId: 'm1' });
    await t.advance(30_000);
    await t.register('sip:max@example.com', [{ uri: 'sip:max@192.0.2.20', expires: 60 }], { callId: 'm2' });
    expect(await t.mid.registrar.bindings('max@example.com')).toHaveLength(2);
    await t.advance(31_000);
    expect(await t.mid.registrar.bindings('max@example.com')).toHaveLength(1);
    expect(await t.upstreamContacts('max@example.com')).toHaveLength(1);
    await t.advance(30_000);
    expect(await t.upstreamContacts('max@example.com')).toEqual([]);
    expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 1 });
  });

  it('tells the host how long to keep a TCP phone connection (tcp_persistent_flag), forwarded or absorbed', async () => {
    const t = setup('throttle-contact');
    const source = { protocol: 'tcp' as const, address: '192.0.2.40', port: 40000, local: { protocol: 'tcp' as const, address: '10.0.0.2', port: 5060 } };
    const request = (cseq: number) => parse(buildRegister({ aor: 'sip:nia@example.com', contacts: [{ uri: 'sip:nia@192.0.2.40:40000;transport=tcp', expires: 300 }], callId: 'n1', fromTag: 'n1', cseq }));
    expect((await t.mid.process(request(1), { tcpPersistent: true, source })).keepConnectionUntil).toBe(T0 + 300_000);
    await t.advance(10_000);
    expect((await t.mid.process(request(2), { tcpPersistent: true, source })).keepConnectionUntil).toBe(T0 + 310_000);
    expect(t.upstreamSeen).toHaveLength(1);
    expect((await t.mid.process(request(3), { source })).keepConnectionUntil).toBeUndefined();
  });

  it('over UDP, a retransmitted REGISTER is never forwarded twice: nothing while pending, the same reply after (RFC 3261 §17.2.2)', async () => {
    const t = setup('throttle-contact');
    let release: (() => void) | undefined;
    t.transport.respondWith(async (request) => {
      t.upstreamSeen.push(request);
      await new Promise<void>((resolve) => { release = resolve; });
      return (await t.main.save(request)).response!;
    });
    const source = { protocol: 'udp' as const, address: '192.0.2.41', port: 5062, local: { protocol: 'udp' as const, address: '10.0.0.2', port: 5060 } };
    const raw = buildRegister({ aor: 'sip:ola@example.com', contacts: [{ uri: 'sip:ola@192.0.2.41:5062', expires: 300 }], callId: 'o1', cseq: 1 });
    const first = t.mid.process(parse(raw), { source });
    await new Promise((r) => setImmediate(r));
    expect(await t.mid.process(parse(raw), { source })).toEqual({}); // the retransmission while the forward is pending
    release!();
    const answer = await first;
    expect(parseResponse(answer.response!).status).toBe(200);
    // A late retransmission: the same reply again, not forwarded again.
    const late = await t.mid.process(parse(raw), { source });
    expect(Buffer.from(late.response!).equals(Buffer.from(answer.response!))).toBe(true);
    expect(t.upstreamSeen).toHaveLength(1);
  });

  it('routes a request from the main registrar to the one Contact its contact id names (ct-username)', async () => {
    const t = setup('throttle-contact', { contactIdInsertion: 'ct-username', extraContactParams: ';transport=udp' });
    await t.register('sip:gina@example.com', [{ uri: 'sip:gina@192.0.2.14' }], { callId: 'g1' });
    await t.register('sip:gina@example.com', [{ uri: 'sip:gina@192.0.2.15' }], { callId: 'g2' });
    const upstream = await t.upstreamContacts('gina@example.com');
    expect(upstream.every((u) => /^sip:[0-9a-f]{16}@10\.0\.0\.2:5060;transport=udp$/.test(u))).toBe(true);
    const targets = await Promise.all(upstream.map(async (u) => {
      const r = await t.mid.lookup(u);
      return r.kind === 'found' ? r.targets.map((x) => x.uri) : r.kind;
    }));
    expect(targets.flat().sort()).toEqual(['sip:gina@192.0.2.14', 'sip:gina@192.0.2.15']);
    expect((await t.mid.lookup('sip:0123456789abcdef@10.0.0.2:5060')).kind).toBe('not-found');
  });
});

describe('mid-registrar: AOR throttling', () => {
  it('registers the AOR once upstream, forks to every device, and de-registers it when the last device is gone', async () => {
    const t = setup('throttle-aor', { outgoingExpires: 900 });
    await t.register('sip:hank@example.com', [{ uri: 'sip:hank@192.0.2.16', expires: 60 }], { callId: 'h1' });
    await t.register('sip:hank@example.com', [{ uri: 'sip:hank@192.0.2.17', expires: 120 }], { callId: 'h2' });
    expect(t.upstreamSeen).toHaveLength(2);
    expect(await t.upstreamContacts('hank@example.com')).toEqual(['sip:hank%40example.com@10.0.0.2:5060']);
    expect(t.upstreamSeen[1].expires).toBe(900);

    await t.register('sip:hank@example.com', [{ uri: 'sip:hank@192.0.2.16', expires: 60 }], { callId: 'h1', cseq: 2 });
    expect(t.upstreamSeen).toHaveLength(2);

    const found = await t.mid.lookup(parse(buildRequest('INVITE', { requestUri: 'sip:hank%40example.com@10.0.0.2:5060' })));
    expect(found.kind === 'found' && found.targets.map((x) => x.uri).sort()).toEqual(['sip:hank@192.0.2.16', 'sip:hank@192.0.2.17']);

    // One device leaves: absorbed. The other vanishes: the AOR is de-registered upstream.
    await t.register('sip:hank@example.com', [{ uri: 'sip:hank@192.0.2.16', expires: 0 }], { callId: 'h1', cseq: 3 });
    expect(t.upstreamSeen).toHaveLength(2);
    await t.advance(121_000);
    expect(await t.upstreamContacts('hank@example.com')).toEqual([]);
    expect(t.upstreamSeen[2]).toMatchObject({ callId: 'h2', expires: 0 });
    expect(await t.mid.stats()).toMatchObject({ forwarded: 2, absorbed: 2, deRegistersSent: 1 });
  });

  it('uses at_escape_str and forwards the last de-registration itself', async () => {
    const t = setup('throttle-aor', { atEscapeStr: '___' });
    await t.register('sip:ivy@example.com', [{ uri: 'sip:ivy@192.0.2.18', expires: 60 }]);
    expect(await t.upstreamContacts('ivy@example.com')).toEqual(['sip:ivy___example.com@10.0.0.2:5060']);
    await t.register('sip:ivy@example.com', [{ uri: 'sip:ivy@192.0.2.18', expires: 0 }], { cseq: 2 });
    expect(t.upstreamSeen).toHaveLength(2);
    expect(await t.upstreamContacts('ivy@example.com')).toEqual([]);
    expect(await t.mid.registrar.bindings('ivy@example.com')).toEqual([]);
  });
});

describe('mid-registrar: restart on a durable store', () => {
  it('keeps what the main registrar holds across a restart on SQLite: routes, absorbs and de-registers as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-mid-'));
    try {
      const path = join(dir, 'location.db');
      const first = setup('throttle-contact', { store: new SqliteLocationStore({ path }) });
      await first.register('sip:lee@example.com', [{ uri: 'sip:lee@192.0.2.30', expires: 60 }], { callId: 'l1' });
      const [upstreamContact] = await first.upstreamContacts('lee@example.com');
      await first.mid.close();
      await first.mid.registrar.options.store.close();

      const again = setup('throttle-contact', { store: new SqliteLocationStore({ path }) });
      const found = await again.mid.lookup(upstreamContact);
      expect(found.kind === 'found' && found.targets.map((x) => x.uri)).toEqual(['sip:lee@192.0.2.30']);
      await again.advance(30_000);
      await again.register('sip:lee@example.com', [{ uri: 'sip:lee@192.0.2.30', expires: 60 }], { callId: 'l1', cseq: 2 });
      expect(again.upstreamSeen).toHaveLength(0);
      await again.advance(61_000);
      expect(again.upstreamSeen.map((r) => [r.callId, r.cseq.seq, r.expires, r.contacts !== '*' && r.contacts[0].uri])).toEqual([['l1', 2, 0, upstreamContact]]);
      await again.mid.close();
      await again.mid.registrar.options.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mid-registrar: bad input and misuse', () => {
  it('answers an invalid REGISTER here with the registrar error and a spent Max-Forwards with 483', async () => {
    const t = setup('throttle-contact');
    const bad = await t.mid.process(parse(buildRegister({ aor: 'sip:jo@example.com', contacts: [{ uri: 'sip:jo@192.0.2.1', params: { expires: 'soon' } }] })));
    expect(parseResponse(bad.response!).status).toBe(400);
    const hops = await t.mid.handleRegister(parse(buildRegister({ aor: 'sip:jo@example.com', maxForwards: 0 })));
    expect(hops.action === 'absorbed' && parseResponse(hops.response!).status).toBe(483);
    // A Contact that cannot point here is refused, never bound here behind the main registrar's back.
    const tel = parseResponse((await t.mid.process(parse(buildRegister({ aor: 'sip:jo@example.com', contacts: ['<tel:+15551234>'] })))).response!);
    expect([tel.status, tel.header('p-registrar-error')]).toEqual([400, 'Contact is not a SIP URI the mid-registrar can forward']);
    expect(await t.mid.registrar.bindings('jo@example.com')).toEqual([]);
    expect(t.upstreamSeen).toHaveLength(0);
  });

  it('throws ConfigError for options it cannot work with', () => {
    expect(() => createMidRegistrar({ mode: 'throttle-aor', upstream: UPSTREAM, advertised: { host: 'x', port: 1 } })).toThrow(/transport is required/);
    expect(() => createMidRegistrar({ mode: 'mirror', upstream: UPSTREAM })).toThrow(/advertised is required/);
    expect(() => createMidRegistrar({ mode: 'bogus' as never, upstream: UPSTREAM, advertised: HERE_ADDR })).toThrow(/mode must be one of/);
    expect(() => createMidRegistrar({ upstream: undefined as never, advertised: HERE_ADDR })).toThrow(/upstream/);
    expect(() => createMidRegistrar({ mode: 'throttle-contact', upstream: UPSTREAM, transport: new FakeTransport(), purgeIntervalMs: 0 })).toThrow(/purgeIntervalMs must not be 0/);
  });
});

const HERE_ADDR = { host: '10.0.0.2', port: 5060 };
