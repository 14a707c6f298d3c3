/**
 * The mid-registrar held against the OpenSIPS mid_registrar manual (issue 22): a device matched by
 * a URI parameter, its push device or its instance that moves to another host:port; max_contacts
 * before forwarding; expires_max_deviation on the phones' lifetimes when throttling; the per-call
 * outgoing_expires and extra Contact parameters; the AOR-throttling de-REGISTER.
 */
import type { SipRequest } from '../../src/sip/message';
import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { parse, parseResponse, setup } from './mid-harness';

const forwardedContacts = (r: SipRequest): [string, string | null | undefined][] => (r.contacts === '*' ? [] : r.contacts.map((c) => [c.uri, c.params.expires]));

describe('mid-registrar: a matched device that moves to another host:port (matching-mode param, push device)', () => {
  it('throttle-contact removes the old Contact upstream in the REGISTER that binds the new one (match_param)', async () => {
    const t = setup('throttle-contact', { defaultSaveOptions: { matchingMode: { param: 'rinstance' } } });
    await t.register('sip:ann@example.com', [{ uri: 'sip:ann@192.0.2.7:5062;rinstance=r1', expires: 300 }], { callId: 'a1' });
    const [before] = await t.upstreamContacts('ann@example.com');
    await t.register('sip:ann@example.com', [{ uri: 'sip:ann@198.51.100.9:40000;rinstance=r1', expires: 300 }], { callId: 'a1', cseq: 2 });
    expect(t.upstreamSeen).toHaveLength(2);
    const moved = forwardedContacts(t.upstreamSeen[1]);
    expect(moved).toContainEqual([before, '0']);
    const upstream = await t.upstreamContacts('ann@example.com');
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).not.toBe(before);
    const found = await t.mid.lookup(upstream[0]);
    expect(found.kind === 'found' && found.targets.map((x) => x.uri)).toEqual(['sip:ann@198.51.100.9:40000;rinstance=r1']);
    expect((await t.mid.lookup(before)).kind).toBe('not-found');
    // Nothing left upstream to de-register later.
    await t.advance(301_000);
    expect(await t.upstreamContacts('ann@example.com')).toEqual([]);
    expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 1, deRegistersFailed: 0 });
  });

  it('mirror mode replaces the push device\'s old Contact upstream: one binding, one push-pending entry (RFC 8599)', async () => {
    const t = setup('mirror', { push: { enabled: true, providers: ['apns'] } });
    const pn = ';pn-provider=apns;pn-prid=dev1;pn-param=topic';
    await t.register('sip:bea@example.com', [{ uri: `sip:bea@192.0.2.8:5062${pn}`, expires: 300 }], { callId: 'b1' });
    await t.register('sip:bea@example.com', [{ uri: `sip:bea@198.51.100.10:41000${pn}`, expires: 300 }], { callId: 'b1', cseq: 2 });
    expect(await t.mid.registrar.bindings('bea@example.com')).toHaveLength(1);
    const upstream = await t.upstreamContacts('bea@example.com');
    expect(upstream).toHaveLength(1);
    await t.advance(200_000);
    const found = await t.mid.lookup(parse(buildRequest('INVITE', { requestUri: upstream[0], to: 'sip:bea@example.com' })));
    expect(found.kind).not.toBe('not-found');
    expect(t.mid.registrar.pendingPushes().length).toBeLessThanOrEqual(1);
  });
  it('throttle-contact replaces the old Contact upstream when an outbound instance moves (RFC 5626 §6: same instance and reg-id)', async () => {
    const t = setup('throttle-contact', { outbound: { enabled: true } });
    const from = (uri: string, cseq: number) => parse(buildRegister({
      aor: 'sip:kim@example.com', callId: 'k1', fromTag: 'k1', cseq, supported: ['outbound', 'path'],
      contacts: [{ uri, expires: 300, params: { '+sip.instance': '"<urn:uuid:00000000-0000-1000-8000-000000000001>"', 'reg-id': '1' } }],
    }));
    expect(parseResponse((await t.mid.process(from('sip:kim@192.0.2.30:5062;ob', 1))).response!).status).toBe(200);
    const [before] = await t.upstreamContacts('kim@example.com');
    expect(parseResponse((await t.mid.process(from('sip:kim@198.51.100.30:6000;ob', 2))).response!).status).toBe(200);
    expect(forwardedContacts(t.upstreamSeen[1])).toContainEqual([before, '0']);
    expect(await t.upstreamContacts('kim@example.com')).toHaveLength(1);
    expect((await t.mid.registrar.bindings('kim@example.com')).map((b) => b.contact)).toEqual(['sip:kim@198.51.100.30:6000;ob']);
  });
});

describe('mid-registrar: max_contacts before forwarding', () => {
  for (const mode of ['mirror', 'throttle-contact', 'throttle-aor'] as const) {
    it(`${mode}: an over-limit REGISTER is answered 503 with Retry-After here, never forwarded, and nothing is de-registered`, async () => {
      const t = setup(mode, { maxContacts: 1, retryAfter: 30 });
      await t.register('sip:cat@example.com', [{ uri: 'sip:cat@192.0.2.9', expires: 300 }], { callId: 'c1' });
      expect(t.upstreamSeen).toHaveLength(1);
      const refused = await t.register('sip:cat@example.com', [{ uri: 'sip:cat@192.0.2.10', expires: 300 }], { callId: 'c2' });
      expect([refused.status, refused.header('retry-after')]).toEqual([503, '30']);
      await t.advance(0);
      expect(t.upstreamSeen).toHaveLength(1);
      expect((await t.mid.registrar.bindings('cat@example.com')).map((b) => b.contact)).toEqual(['sip:cat@192.0.2.9']);
      expect(await t.upstreamContacts('cat@example.com')).toHaveLength(1);
      expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 0, deRegistersFailed: 0 });
    });
  }

  it('the per-call maxContacts counts too, and force-registration still forwards', async () => {
    const t = setup('throttle-contact');
    await t.register('sip:dot@example.com', [{ uri: 'sip:dot@192.0.2.11', expires: 300 }], { callId: 'd1' });
    const second = parse(buildRegister({ aor: 'sip:dot@example.com', contacts: [{ uri: 'sip:dot@192.0.2.12', expires: 300 }], callId: 'd2', fromTag: 'd2' }));
    expect(parseResponse((await t.mid.process(second, { maxContacts: 1 })).response!).status).toBe(503);
    expect(t.upstreamSeen).toHaveLength(1);
    expect(parseResponse((await t.mid.process(second, { maxContacts: 1, forceRegistration: true })).response!).status).toBe(200);
    await t.advance(0);
    // The evicted binding is de-registered upstream by the mid-registrar.
    expect(t.upstreamSeen.map((r) => [r.callId, r.expires])).toEqual([['d1', 3600], ['d2', 3600], ['d1', 0]]);
    expect(await t.upstreamContacts('dot@example.com')).toHaveLength(1);
  });
});

describe('mid-registrar: expires_max_deviation on the lifetimes the phones get when throttling', () => {
  for (const mode of ['throttle-contact', 'throttle-aor'] as const) {
    it(`${mode}: each phone gets its asked lifetime ± the deviation, the same on every refresh, covered upstream`, async () => {
      const t = setup(mode, { outgoingExpires: 600, expiresMaxDeviation: 20 });
      const granted: number[] = [];
      for (let i = 0; i < 30; i++) {
        const reply = await t.register(`sip:p${i}@example.com`, [{ uri: `sip:p${i}@192.0.2.60`, expires: 120 }]);
        granted.push(Number(reply.contacts !== '*' && reply.contacts[0].params.expires));
      }
      expect(granted.every((e) => e >= 100 && e <= 140)).toBe(true);
      expect(new Set(granted).size).toBeGreaterThan(5);
      await t.advance(10_000);
      const again = await t.register('sip:p0@example.com', [{ uri: 'sip:p0@192.0.2.60', expires: 120 }], { cseq: 2 });
      expect(t.upstreamSeen).toHaveLength(30);
      expect(Number(again.contacts !== '*' && again.contacts[0].params.expires)).toBe(granted[0]);
      const [b] = await t.mid.registrar.bindings('p0@example.com');
      expect(b.upstream!.expiresAt).toBeGreaterThanOrEqual(b.expiresAt);
    });
  }
});

describe('mid-registrar: per-call outgoingExpires and extraContactParams (mid_registrar_save outgoing_expires, extra_contact_params_avp)', () => {
  it('throttle-contact forwards with the call\'s lifetime and parameters instead of the options\'', async () => {
    const t = setup('throttle-contact', { outgoingExpires: 600, extraContactParams: ';transport=udp' });
    const request = parse(buildRegister({ aor: 'sip:eve@example.com', contacts: [{ uri: 'sip:eve@192.0.2.13', expires: 60 }], callId: 'e1' }));
    const outcome = await t.mid.handleRegister(request, { outgoingExpires: 1800, extraContactParams: ';transport=tls' });
    expect(outcome.action).toBe('forward');
    const sent = parse(outcome.action === 'forward' ? outcome.request : '');
    const [[uri, expires]] = forwardedContacts(sent);
    expect([uri.endsWith(';transport=tls'), uri.includes('transport=udp'), expires, sent.expires]).toEqual([true, false, '1800', 1800]);
  });

  it('throttle-aor puts them on the AOR\'s one Contact', async () => {
    const t = setup('throttle-aor');
    const request = parse(buildRegister({ aor: 'sip:fay@example.com', contacts: [{ uri: 'sip:fay@192.0.2.14', expires: 60 }], callId: 'f1' }));
    const outcome = await t.mid.handleRegister(request, { outgoingExpires: 900, extraContactParams: ';transport=tcp' });
    const sent = parse(outcome.action === 'forward' ? outcome.request : '');
    expect(forwardedContacts(sent)).toEqual([['sip:fay%40example.com@10.0.0.2:5060;transport=tcp', '900']]);
  });

  it('refuses a per-call outgoingExpires that is not a non-negative integer with ConfigError', async () => {
    const t = setup('throttle-contact');
    const request = parse(buildRegister({ aor: 'sip:gus@example.com', contacts: [{ uri: 'sip:gus@192.0.2.15' }] }));
    await expect(t.mid.handleRegister(request, { outgoingExpires: -5 })).rejects.toThrow(/outgoingExpires/);
  });
});

describe('mid-registrar: the AOR-throttling de-REGISTER', () => {
  it('de-registers the AOR with the Call-ID and CSeq of its last upstream REGISTER when the last device vanishes', async () => {
    const t = setup('throttle-aor', { outgoingExpires: 900 });
    await t.register('sip:hal@example.com', [{ uri: 'sip:hal@192.0.2.16', expires: 60 }], { callId: 'h1' });
    await t.register('sip:hal@example.com', [{ uri: 'sip:hal@192.0.2.17', expires: 120 }], { callId: 'h2', cseq: 7 });
    expect(t.upstreamSeen).toHaveLength(2);
    // The device that refreshed the AOR upstream last leaves first (absorbed); the other vanishes.
    await t.register('sip:hal@example.com', [{ uri: 'sip:hal@192.0.2.17', expires: 0 }], { callId: 'h2', cseq: 8 });
    expect(t.upstreamSeen).toHaveLength(2);
    await t.advance(61_000);
    expect(await t.mid.registrar.bindings('hal@example.com')).toEqual([]);
    expect(t.upstreamSeen).toHaveLength(3);
    expect([t.upstreamSeen[2].callId, t.upstreamSeen[2].cseq.seq, forwardedContacts(t.upstreamSeen[2])]).toEqual(['h2', 8, [['sip:hal%40example.com@10.0.0.2:5060', '0']]]);
    expect(await t.upstreamContacts('hal@example.com')).toEqual([]);
    expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 1, deRegistersFailed: 0 });
  });

  it('continues the CSeq of the last upstream REGISTER when a device refreshed the AOR after another took its copy', async () => {
    const t = setup('throttle-aor', { outgoingExpires: 300 });
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.18', expires: 120 }], { callId: 'i1' });
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.19', expires: 120 }], { callId: 'i2' });
    // i1's refresh is absorbed and carries i2's upstream registration.
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.18', expires: 120 }], { callId: 'i1', cseq: 2 });
    await t.advance(100_000);
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.18', expires: 120 }], { callId: 'i1', cseq: 3 });
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.19', expires: 120 }], { callId: 'i2', cseq: 2 });
    // i2 refreshes the AOR upstream now (its upstream registration runs short).
    await t.advance(100_000);
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.19', expires: 120 }], { callId: 'i2', cseq: 3 });
    const last = t.upstreamSeen[t.upstreamSeen.length - 1];
    expect([last.callId, last.cseq.seq]).toEqual(['i2', 3]);
    // i2 leaves (absorbed: i1 remains), i1 vanishes.
    await t.register('sip:ida@example.com', [{ uri: 'sip:ida@192.0.2.19', expires: 0 }], { callId: 'i2', cseq: 4 });
    const seen = t.upstreamSeen.length;
    await t.advance(121_000);
    expect(t.upstreamSeen.slice(seen).map((r) => [r.callId, r.cseq.seq, r.expires])).toEqual([['i2', 4, 0]]);
    expect(await t.upstreamContacts('ida@example.com')).toEqual([]);
    expect(await t.mid.stats()).toMatchObject({ deRegistersSent: 1, deRegistersFailed: 0 });
  });
});
