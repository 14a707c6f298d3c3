import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import type { BindingChange } from '../../src/registrar/binding-change';
import type { SaveResult } from '../../src/registrar/save-result';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { StoreError } from '../../src/errors/sdk-error';
import type { LocationStore } from '../../src/ports/location-store';
import type { Source } from '../../src/ports/transport';
import { register, replyContacts, res } from './sip-text';
import { serializeRequest } from '../../src/sip/serialize';
import { addSockHdr } from '../../src/registrar/add-sock-hdr';
import { parseSaveFlags } from '../../src/registrar/parse-save-flags';

const T0 = 1_700_000_000_000;

function setup(options: RegistrarOptions = {}) {
  const clock = new ManualClock(T0);
  const store = options.store ?? new MemoryLocationStore();
  const registrar = createRegistrar({ clock, store, purgeIntervalMs: 0, ...options });
  const events: BindingChange[] = [];
  for (const kind of ['inserted', 'refreshed', 'updated', 'deleted', 'expired'] as const) registrar.on(kind, (c) => events.push(c));
  return { clock, store, registrar, events };
}

async function saved(p: SaveResult | Promise<SaveResult>) {
  const r = await p;
  return { r, reply: res(r.response) };
}

const udpSource: Source = {
  protocol: 'udp', address: '203.0.113.7', port: 40000,
  local: { protocol: 'udp', address: '127.0.0.1', port: 5060 },
};

describe('registrar save: RFC 3261 §10.3', () => {
  it('stores a new contact with the default lifetime and lists it in the 200', async () => {
    const { registrar, events } = setup();
    const { r, reply } = await saved(registrar.save(register()));
    expect(r.ok).toBe(true);
    expect(reply.status).toBe(200);
    expect(replyContacts(reply)).toEqual([{ uri: 'sip:alice@192.0.2.10:5060', expires: '3600', params: { expires: '3600' } }]);
    expect(events.map((e) => e.kind)).toEqual(['inserted']);
    expect(events[0].aor).toBe('alice@example.com');
    const bs = await registrar.bindings('sip:alice@example.com');
    expect(bs).toHaveLength(1);
    expect(bs[0].expiresAt).toBe(T0 + 3600_000);
    expect(bs[0].callId).toBe('c1');
    expect(bs[0].cseq).toBe(1);
  });

  it('takes the lifetime from the Contact parameter, else the Expires header, else default_expires', async () => {
    const { registrar } = setup({ defaultExpires: 1800 });
    const a = await saved(registrar.save(register({ user: 'a', contacts: ['<sip:a@h1>;expires=300'], expires: 600 })));
    expect(replyContacts(a.reply)[0].expires).toBe('300');
    const b = await saved(registrar.save(register({ user: 'b', contacts: ['<sip:b@h1>'], expires: 600 })));
    expect(replyContacts(b.reply)[0].expires).toBe('600');
    const c = await saved(registrar.save(register({ user: 'c', contacts: ['<sip:c@h1>'] })));
    expect(replyContacts(c.reply)[0].expires).toBe('1800');
  });

  it('treats an expires parameter beyond 2^32-1 as absent (RFC 4475 §3.1.2.4)', async () => {
    const { registrar } = setup();
    const { reply } = await saved(registrar.save(register({ contacts: ['<sip:alice@h1>;expires=280297596632815'], expires: 900 })));
    expect(replyContacts(reply)[0].expires).toBe('900');
    const noHeader = await saved(registrar.save(register({ user: 'b', contacts: ['<sip:b@h1>;expires=280297596632815'] })));
    expect(replyContacts(noHeader.reply)[0].expires).toBe('3600');
  });

  it('clamps to min_expires and max_expires (OpenSIPS behaviour)', async () => {
    const { registrar } = setup({ minExpires: 60, maxExpires: 120 });
    const low = await saved(registrar.save(register({ user: 'a', expires: 10 })));
    expect(replyContacts(low.reply)[0].expires).toBe('60');
    const high = await saved(registrar.save(register({ user: 'b', expires: 99999 })));
    expect(replyContacts(high.reply)[0].expires).toBe('120');
  });

  it('answers 423 with Min-Expires in reject mode', async () => {
    const { registrar } = setup({ minExpires: 60, minExpiresMode: 'reject' });
    const { r, reply } = await saved(registrar.save(register({ expires: 30 })));
    expect(r.ok).toBe(false);
    expect(reply.status).toBe(423);
    expect(reply.header('Min-Expires')).toBe('60');
    expect(reply.header('P-Registrar-Error')).toBe('Expires below min_expires');
    expect(await registrar.bindings('alice@example.com')).toHaveLength(0);
  });

  it('per-call save flags override the module values', async () => {
    const { registrar } = setup({ minExpires: 60 });
    const { reply } = await saved(registrar.save(register({ expires: 7200 }), { maxExpires: 900 }));
    expect(replyContacts(reply)[0].expires).toBe('900');
    const { reply: r2 } = await saved(registrar.save(register({ user: 'b', expires: 100 }), { minExpires: 300 }));
    expect(replyContacts(r2)[0].expires).toBe('300');
  });

  it('removes a binding with expires 0 and lists the remaining ones', async () => {
    const { registrar, events } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@h1>', '<sip:alice@h2>'] }));
    const { reply } = await saved(registrar.save(register({ contacts: ['<sip:alice@h1>;expires=0'], cseq: 2 })));
    expect(replyContacts(reply).map((c) => c.uri)).toEqual(['sip:alice@h2']);
    expect(events.map((e) => e.kind)).toEqual(['inserted', 'inserted', 'deleted']);
  });

  it('accepts * only alone and only with Expires: 0', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@h1>', '<sip:alice@h2>'] }));
    const bad = await saved(registrar.save(register({ contacts: ['*'], expires: 10, cseq: 2 })));
    expect(bad.reply.status).toBe(400);
    expect(bad.reply.header('P-Registrar-Error')).toBe('* used in contact and expires is not zero');
    const noExpires = await saved(registrar.save(register({ contacts: ['*'], cseq: 3 })));
    expect(noExpires.reply.status).toBe(400);
    // '*' next to another Contact is refused by the parser already: the transport answers 400.
    expect(() => register({ contacts: ['*', '<sip:alice@h3>'], expires: 0, cseq: 4 })).toThrow(/does not parse: bad-contact/);
    expect(await registrar.bindings('alice@example.com')).toHaveLength(2);
    const ok = await saved(registrar.save(register({ contacts: ['*'], expires: 0, cseq: 5 })));
    expect(ok.reply.status).toBe(200);
    expect(replyContacts(ok.reply)).toEqual([]);
    expect(await registrar.bindings('alice@example.com')).toHaveLength(0);
  });

  it('rejects a lower CSeq on the same Call-ID and answers a retransmission without applying it twice', async () => {
    const { registrar, events, clock } = setup();
    await registrar.save(register({ cseq: 5 }));
    const lower = await saved(registrar.save(register({ cseq: 4 })));
    expect(lower.reply.status).toBe(400);
    expect(lower.reply.header('P-Registrar-Error')).toBe('Invalid CSeq number');
    clock.advance(1000);
    const again = await saved(registrar.save(register({ cseq: 5 })));
    expect(again.reply.status).toBe(200);
    expect(again.r.ok && again.r.retransmission).toBe(true);
    expect(replyContacts(again.reply)[0].expires).toBe('3599');
    expect(events).toHaveLength(1);
    clock.advance(30_000);
    const late = await saved(registrar.save(register({ cseq: 5 })));
    expect(late.reply.status).toBe(400);
    const higher = await saved(registrar.save(register({ cseq: 6 })));
    expect(higher.reply.status).toBe(200);
    expect(events.map((e) => e.kind)).toEqual(['inserted', 'refreshed']);
  });

  it('accepts a new Call-ID with any CSeq (the UA rebooted) and reports an update', async () => {
    const { registrar, events } = setup();
    await registrar.save(register({ cseq: 50 }));
    const { reply } = await saved(registrar.save(register({ callId: 'c2', cseq: 1 })));
    expect(reply.status).toBe(200);
    expect(events.map((e) => e.kind)).toEqual(['inserted', 'updated']);
    expect((await registrar.bindings('alice@example.com'))[0].callId).toBe('c2');
  });

  it('answers 503 over max_contacts, with Retry-After when configured', async () => {
    const { registrar } = setup({ maxContacts: 2, retryAfter: 30 });
    await registrar.save(register({ contacts: ['<sip:alice@h1>', '<sip:alice@h2>'] }));
    const { r, reply } = await saved(registrar.save(register({ contacts: ['<sip:alice@h3>'], callId: 'c9' })));
    expect(r.ok).toBe(false);
    expect(reply.status).toBe(503);
    expect(reply.header('Retry-After')).toBe('30');
    expect(reply.header('P-Registrar-Error')).toBe('Too many registered contacts');
    expect(await registrar.bindings('alice@example.com')).toHaveLength(2);
  });

  it('force-registration evicts the oldest bindings instead', async () => {
    const { registrar, clock } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@h1>'], callId: 'a' }), { maxContacts: 2 });
    clock.advance(1000);
    await registrar.save(register({ contacts: ['<sip:alice@h2>'], callId: 'b' }), { maxContacts: 2 });
    clock.advance(1000);
    const { reply } = await saved(registrar.save(register({ contacts: ['<sip:alice@h3>'], callId: 'c' }), { maxContacts: 2, forceRegistration: true }));
    expect(reply.status).toBe(200);
    expect(replyContacts(reply).map((c) => c.uri).sort()).toEqual(['sip:alice@h2', 'sip:alice@h3']);
  });

  it('only-request-contacts lists just this request\'s contacts; no-reply builds none', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@h1>'] }));
    const { reply } = await saved(registrar.save(register({ contacts: ['<sip:alice@h2>'], callId: 'x' }), { onlyRequestContacts: true }));
    expect(replyContacts(reply).map((c) => c.uri)).toEqual(['sip:alice@h2']);
    const silent = await registrar.save(register({ contacts: ['<sip:alice@h3>'], callId: 'y' }), { noReply: true });
    expect(silent.ok).toBe(true);
    expect(silent.response).toBeUndefined();
    expect(await registrar.bindings('alice@example.com')).toHaveLength(3);
  });

  it('enforces the OpenSIPS length limits', async () => {
    const { registrar } = setup({ maxUsernameLen: 5, maxContactLen: 30 });
    expect(res((await registrar.save(register({ user: 'toolongname' }))).response).status).toBe(400);
    const long = await registrar.save(register({ user: 'bob', contacts: ['<sip:bob@a-very-long-host-name.example.com:5060>'] }));
    expect(long.ok).toBe(false);
    expect(res(long.response).header('P-Registrar-Error')).toBe('Contact/AOR too long');
  });

  it('applies realm_prefix and case_sensitive to the AOR', async () => {
    const { registrar } = setup({ realmPrefix: 'sip.', caseSensitive: false });
    await registrar.save(register({ user: 'Alice', domain: 'sip.Example.com' }));
    expect(await registrar.isRegistered('sip:alice@example.com')).toBe(true);
    const strict = setup();
    await strict.registrar.save(register({ user: 'Alice' }));
    expect(await strict.registrar.isRegistered('sip:alice@example.com')).toBe(false);
    expect(await strict.registrar.isRegistered('sip:Alice@EXAMPLE.com')).toBe(true);
  });

  it('saves under a given AOR instead of the To URI, written either way (save(..., aor))', async () => {
    const { registrar } = setup();
    await registrar.save(register({ user: 'alice' }), { aor: 'bob@example.com' });
    await registrar.save(register({ user: 'alice', contacts: ['<sip:carol@h>'], callId: 'x' }), { aor: 'sip:carol@example.com' });
    expect(await registrar.isRegistered('alice@example.com')).toBe(false);
    expect(await registrar.isRegistered('bob@example.com')).toBe(true);
    expect(await registrar.isRegistered('carol@example.com')).toBe(true);
  });

  it('refuses AORs outside the served domains with 404', async () => {
    const { registrar } = setup({ domains: ['example.com'] });
    expect(res((await registrar.save(register({ domain: 'other.org' }))).response).status).toBe(404);
    expect(res((await registrar.save(register())).response).status).toBe(200);
  });

  it('answers 420 with Unsupported for a required extension it does not know', async () => {
    const { registrar } = setup();
    const { reply } = await saved(registrar.save(register({ extra: ['Require: foo, bar'] })));
    expect(reply.status).toBe(420);
    expect(reply.header('Unsupported')).toBe('foo, bar');
  });

  it('rejects malformed q and expires parameters with 400', async () => {
    const { registrar } = setup();
    expect(res((await registrar.save(register({ contacts: ['<sip:alice@h1>;q=1.5'] }))).response).header('P-Registrar-Error')).toBe('Invalid q param in contact');
    expect(res((await registrar.save(register({ contacts: ['<sip:alice@h1>;expires=soon'] }))).response).header('P-Registrar-Error')).toBe('Invalid expires param in contact');
    expect((await registrar.stats()).rejectedRegs).toBe(2);
  });

  it('matching mode 1 (URI + Call-ID) keeps a second registration of the same URI apart', async () => {
    const { registrar } = setup();
    await registrar.save(register({ callId: 'a' }), { matchingMode: 1 });
    await registrar.save(register({ callId: 'b' }), { matchingMode: 1 });
    expect(await registrar.bindings('alice@example.com')).toHaveLength(2);
    const plain = setup();
    await plain.registrar.save(register({ callId: 'a' }));
    await plain.registrar.save(register({ callId: 'b' }));
    expect(await plain.registrar.bindings('alice@example.com')).toHaveLength(1);
  });

  it('matching on a URI parameter replaces the binding whatever the host', async () => {
    const { registrar } = setup();
    await registrar.save(register({ contacts: ['<sip:alice@10.0.0.1:5060;rinstance=abc>'] }), { matchingMode: { param: 'rinstance' } });
    await registrar.save(register({ contacts: ['<sip:alice@10.0.0.2:5070;rinstance=abc>'], callId: 'z' }), { matchingMode: { param: 'rinstance' } });
    const bs = await registrar.bindings('alice@example.com');
    expect(bs.map((b) => b.contact)).toEqual(['sip:alice@10.0.0.2:5070;rinstance=abc']);
  });

  it('stores the NAT source as received and echoes it as received_param', async () => {
    const { registrar } = setup({ receivedMode: 'nat', receivedParam: 'rcv' });
    const { reply } = await saved(registrar.save(register(), { source: udpSource }));
    expect(replyContacts(reply)[0].params.rcv).toBe('"sip:203.0.113.7:40000"');
    const b = (await registrar.bindings('alice@example.com'))[0];
    expect(b.received).toBe('sip:203.0.113.7:40000');
    expect(b.socket).toBe('udp:127.0.0.1:5060');
    const direct = await saved(registrar.save(register({ user: 'bob', contacts: ['<sip:bob@203.0.113.7:40000>'] }), { source: udpSource }));
    expect(replyContacts(direct.reply)[0].params.rcv).toBeUndefined();
  });

  it('takes the socket from the socket header with the socket-header flag', async () => {
    const { registrar } = setup({ sockHdrName: 'Sock-Info' });
    await registrar.save(register({ extra: ['Sock-Info: tcp:10.1.1.1:5060'] }), { socketHeader: true, source: udpSource });
    expect((await registrar.bindings('alice@example.com'))[0].socket).toBe('tcp:10.1.1.1:5060');
  });

  it('add_sock_hdr on a front proxy and the socket-header flag on the registrar carry the socket across', async () => {
    const { registrar } = setup({ sockHdrName: 'Sock-Info' });
    const front = { protocol: 'tcp' as const, address: '2001:db8::5', port: 5061 };
    const forwarded = res(serializeRequest(register(), { extraHeaders: [addSockHdr('Sock-Info', front)] }), 'request');
    await registrar.save(forwarded, parseSaveFlags('s'));
    expect((await registrar.bindings('alice@example.com'))[0].socket).toBe('tcp:[2001:db8::5]:5061');
  });

  it('stores attr, ownership tag, User-Agent, Allow, instance and reg-id', async () => {
    const { registrar } = setup();
    await registrar.save(register({
      contacts: ['<sip:alice@h1;transport=tcp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1;q=0.7;audio'],
      extra: ['User-Agent: Phone/1.0', 'Allow: INVITE, ACK, BYE, message'],
    }), { attr: 'vip', ownershipTag: 'node-a' });
    const b = (await registrar.bindings('alice@example.com'))[0];
    expect(b).toMatchObject({
      attr: 'vip', ownershipTag: 'node-a', userAgent: 'Phone/1.0', methods: ['INVITE', 'ACK', 'BYE', 'MESSAGE'],
      instanceId: '<urn:uuid:00000000-0000-1000-8000-000A95A0E128>', regId: 1, q: 700, params: ';audio',
    });
  });

  it('takes a Contact methods parameter over Allow, and shares equal method lists between bindings (RFC 3840 §9)', async () => {
    const { registrar } = setup();
    for (const user of ['a', 'b']) {
      await registrar.save(register({ user, contacts: [`<sip:${user}@h1>;methods="invite, MESSAGE,bye"`], extra: ['Allow: INVITE'] }));
    }
    const a = (await registrar.bindings('a@example.com'))[0];
    const b = (await registrar.bindings('b@example.com'))[0];
    expect(a.methods).toEqual(['INVITE', 'MESSAGE', 'BYE']);
    expect(b.methods).toBe(a.methods);
  });

  it('reports how long to keep a TCP connection with tcp-persistent', async () => {
    const { registrar } = setup();
    const tcp: Source = { ...udpSource, protocol: 'tcp', local: { ...udpSource.local, protocol: 'tcp' } };
    const r = await registrar.save(register({ expires: 600 }), { tcpPersistent: true, source: tcp });
    expect(r.ok && r.keepConnectionUntil).toBe(T0 + 600_000);
    const u = await registrar.save(register({ user: 'b', expires: 600 }), { tcpPersistent: true, source: udpSource });
    expect(u.ok && u.keepConnectionUntil).toBeUndefined();
  });

  it('saves a cached registration with the lifetime the upstream registrar granted (mcontact)', async () => {
    const { registrar } = setup();
    const upstream = res(new TextEncoder().encode([
      'SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1', 'From: <sip:alice@example.com>;tag=f1',
      'To: <sip:alice@example.com>;tag=t1', 'Call-ID: c1', 'CSeq: 1 REGISTER',
      'Contact: <sip:other@x>;expires=100', 'Contact: <sip:alice@198.51.100.1:5060;ctid=7>;expires=1234', 'Content-Length: 0', '', '',
    ].join('\r\n')));
    await registrar.save(register({ expires: 3600 }), { upstreamReply: { response: upstream, mcontact: 'sip:alice@198.51.100.1:5060;ctid=7' } });
    const b = (await registrar.bindings('alice@example.com'))[0];
    expect(b.expiresAt).toBe(T0 + 1234_000);
    expect(b.flags & 8).toBe(8);
  });

  it('counts accepted and rejected registrations', async () => {
    const { registrar } = setup({ maxContacts: 5, maxExpires: 7200 });
    await registrar.save(register());
    await registrar.save(register({ user: 'b', contacts: ['<sip:b@h>;q=9'] }));
    expect(await registrar.stats()).toEqual({
      acceptedRegs: 1, rejectedRegs: 1, maxExpires: 7200, maxContacts: 5, defaultExpires: 3600, bindings: 1, aors: 1,
      rejectedByReason: { 'invalid-q': 1 }, authFailures: 0, expired: 0, pushesSent: 0, pushesFailed: 0,
    });
  });

  it('answers a query (no Contact) with the current bindings and changes nothing', async () => {
    const { registrar, events, clock } = setup();
    await registrar.save(register({ expires: 100 }));
    clock.advance(40_000);
    const { reply } = await saved(registrar.save(register({ contacts: [], callId: 'q', cseq: 1 })));
    expect(replyContacts(reply)).toEqual([{ uri: 'sip:alice@192.0.2.10:5060', expires: '60', params: { expires: '60' } }]);
    expect(events).toHaveLength(1);
  });
});

describe('registrar save: store failures lose nothing', () => {
  function failing(store: LocationStore, error: Error): LocationStore {
    return { ...store, load: (a) => store.load(a), commit: () => { throw error; }, expiredAors: (n, l) => store.expiredAors(n, l), aors: () => store.aors(), count: () => store.count(), close: () => store.close() };
  }

  it('answers 500 when the commit fails, and nothing is stored', async () => {
    const inner = new MemoryLocationStore();
    const { registrar } = setup({ store: failing(inner, new StoreError('disk full')) });
    const r = await registrar.save(register());
    expect(r.ok).toBe(false);
    expect(res(r.response).status).toBe(500);
    expect(inner.count().bindings).toBe(0);
  });

  it('answers 503 with Retry-After on a transient failure', async () => {
    const inner = new MemoryLocationStore();
    const { registrar } = setup({ store: failing(inner, new StoreError('busy', { transient: true })), retryAfter: 7 });
    const reply = res((await registrar.save(register())).response);
    expect(reply.status).toBe(503);
    expect(reply.header('Retry-After')).toBe('7');
  });

  it('retries the compare-and-set after a conflict, and gives up with 500 after maxCommitAttempts', async () => {
    const inner = new MemoryLocationStore();
    let conflicts = 1;
    const flaky: LocationStore = {
      load: (a) => inner.load(a),
      commit: (a, v, b) => (conflicts-- > 0 ? { ok: false, conflict: true } : inner.commit(a, v, b)),
      expiredAors: (n, l) => inner.expiredAors(n, l), aors: () => inner.aors(), count: () => inner.count(), close: () => inner.close(),
    };
    const { registrar } = setup({ store: flaky });
    expect((await registrar.save(register())).ok).toBe(true);
    conflicts = 100;
    const r = await registrar.save(register({ user: 'b' }));
    expect(r.ok).toBe(false);
    expect(res(r.response).status).toBe(500);
  });
});
