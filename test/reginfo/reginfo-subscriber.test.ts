/**
 * The subscriber side of reg-event (OpenSIPS `reginfo_subscribe` and `reginfo_handle_notify`,
 * RFC 6665 §4.1, RFC 3680 §5.3): the SUBSCRIBE, keeping it alive, re-subscribing on failure, and
 * applying NOTIFYs with their return codes, versions, full and partial state.
 */
import { buildReginfo } from '../../src/reginfo/build-reginfo';
import type { ReginfoContact, ReginfoDocument } from '../../src/reginfo/reginfo-document';
import type { SipRequest } from '../../src/sip/message';
import type { FakeReply } from '../../src/testing/fake-transport';
import { buildRequest, buildResponseText, IdSequence } from '../../src/testing/message-builders';
import { network, type Network, type Node } from './reginfo-harness';

const AOR = 'sip:alice@example.com';
const ids = new IdSequence('n');

const contact = (uri: string, over: Partial<ReginfoContact> = {}): ReginfoContact => ({
  id: uri, state: 'active', event: 'registered', uri, expiresSec: 300, callId: `c-${uri}`, cseq: 1, ...over,
});

const document = (version: number, state: 'full' | 'partial', contacts: ReginfoContact[], registrationState: 'active' | 'terminated' | 'init' = 'active'): ReginfoDocument => ({
  version, state, registrations: [{ aor: AOR, id: 'r1', state: registrationState, contacts }],
});

describe('reg-event subscriber', () => {
  let net: Network;
  let b: Node;
  let reply: (r: SipRequest) => FakeReply;
  const subscribes = (): SipRequest[] => net.strays.filter((r) => r.method === 'SUBSCRIBE');

  /** A NOTIFY in the dialog of `sub` (our SUBSCRIBE), from the notifier. */
  const notify = async (sub: SipRequest, body: ReginfoDocument | string | undefined, state = 'active;expires=600', over: { contentType?: string; event?: string } = {}): Promise<number> => {
    const before = b.transport.responses.length;
    b.transport.deliver(buildRequest('NOTIFY', {
      requestUri: 'sip:reginfo@127.0.0.1:5071',
      from: AOR,
      fromTag: 'notifier',
      to: sub.from.uri,
      toTag: sub.from.params.tag ?? undefined,
      callId: sub.callId,
      cseq: 10 + before,
      contacts: ['<sip:notifier@127.0.0.1:5999>'],
      headers: [['Event', over.event ?? 'reg'], ['Subscription-State', state]],
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : buildReginfo(body), contentType: over.contentType ?? 'application/reginfo+xml' }),
      ids,
    }), { address: '127.0.0.1', port: 5999 });
    await net.step(0);
    return b.transport.responses[before]?.response.status ?? 0;
  };

  beforeEach(() => {
    reply = (r) => buildResponseText(r, 200, 'OK', [['Expires', r.header('expires') ?? '600'], ['Contact', '<sip:notifier@127.0.0.1:5999>']], { toTag: 'notifier' });
    net = network([{ name: 'B', reginfo: { outboundProxy: 'sip:127.0.0.1:5999' } }], (r) => reply(r));
    b = net.nodes[0];
  });
  afterEach(async () => net.close());

  it('subscribes through the outbound proxy and refreshes in the dialog before expiry', async () => {
    const info = await b.reginfo.subscribe(AOR, 600);
    expect(info).toMatchObject({ uri: AOR, status: 'active', lastStatus: 200 });
    const [sub] = subscribes();
    expect(sub.uri).toBe(AOR);
    expect(sub.to.uri).toBe(AOR);
    expect(sub.from.uri).toBe('sip:reginfo@127.0.0.1:5071');
    expect(sub.route.map((r) => r.uri)).toEqual(['sip:127.0.0.1:5999;lr']);
    expect(sub.header('event')).toBe('reg');
    expect(sub.header('accept')).toBe('application/reginfo+xml');
    expect(sub.expires).toBe(600);
    expect(sub.contacts).toEqual([expect.objectContaining({ uri: 'sip:reginfo@127.0.0.1:5071' })]);
    await net.step(539_000);
    expect(subscribes()).toHaveLength(1);
    await net.step(2000);
    const refresh = subscribes()[1];
    expect(refresh.uri).toBe('sip:notifier@127.0.0.1:5999');
    expect(refresh.callId).toBe(sub.callId);
    expect(refresh.to.params.tag).toBe('notifier');
    expect(refresh.cseq.seq).toBe(sub.cseq.seq + 1);
    expect(b.reginfo.subscriptions().subscribed).toEqual([expect.objectContaining({ uri: AOR, status: 'active' })]);
  });

  it('subscribes again after a failure: Retry-After, backoff after a timeout, at once after a 481', async () => {
    reply = (r) => buildResponseText(r, 503, 'Service Unavailable', [['Retry-After', '20']]);
    const states: string[] = [];
    b.reginfo.on('subscription', (s) => states.push(s.status));
    expect((await b.reginfo.subscribe(AOR, 600)).status).toBe('retrying');
    await net.step(19_000);
    expect(subscribes()).toHaveLength(1);
    reply = () => 'timeout';
    await net.step(1000);
    expect(subscribes()).toHaveLength(2);
    expect(subscribes()[1].callId).not.toBe(subscribes()[0].callId);
    await net.step(120_000); // second failure: 50–100 % of min(1800 s, 30 s · 2²)
    expect(subscribes().length).toBeGreaterThanOrEqual(3);
    reply = (r) => buildResponseText(r, 200, 'OK', [['Expires', '600']], { toTag: 'n2' });
    await net.step(240_000);
    expect(b.reginfo.subscriptions().subscribed[0].status).toBe('active');
    const count = subscribes().length;
    reply = (r) => buildResponseText(r, 481, 'Call/Transaction Does Not Exist');
    const sentAt: number[] = [];
    const plain = reply;
    reply = (r) => {
      sentAt.push(net.clock.now());
      return plain(r);
    };
    await net.step(545_000); // the refresh gets 481: a new subscription at once
    const [refresh, fresh] = subscribes().slice(count);
    expect(refresh.to.params.tag).toBe('n2');
    expect(fresh.to.params.tag).toBeUndefined();
    expect(fresh.callId).not.toBe(refresh.callId);
    expect(sentAt[1] - sentAt[0]).toBeLessThanOrEqual(1000);
    expect(states).toContain('retrying');
  });

  it('follows the notifier\'s Subscription-State: re-subscribes after deactivated, stops after rejected', async () => {
    await b.reginfo.subscribe(AOR, 600);
    const [sub] = subscribes();
    expect(await notify(sub, document(0, 'full', []), 'terminated;reason=deactivated')).toBe(200);
    await net.step(0);
    expect(subscribes()).toHaveLength(2);
    const second = subscribes()[1];
    expect(second.callId).not.toBe(sub.callId);
    expect(await notify(second, undefined, 'terminated;reason=rejected')).toBe(200);
    await net.step(3_600_000);
    expect(subscribes()).toHaveLength(2);
    expect(b.reginfo.subscriptions().subscribed[0]).toMatchObject({ status: 'terminated', reason: 'rejected' });
  });

  it('applies full and partial state with the OpenSIPS return codes, and discards old versions', async () => {
    await b.reginfo.subscribe(AOR, 600);
    const [sub] = subscribes();
    const outcomes: { code: number; kind: string }[] = [];
    b.reginfo.on('notify', (o) => outcomes.push({ code: o.code, kind: o.kind }));
    await notify(sub, document(0, 'full', [contact('sip:a@192.0.2.1', { q: 500, received: 'sip:198.51.100.1:5060', path: ['<sip:edge;lr>'], userAgent: 'Phone/1' })]));
    const [learned] = await b.registrar.bindings('alice@example.com');
    expect(learned).toMatchObject({ contact: 'sip:a@192.0.2.1', q: 500, callId: 'c-sip:a@192.0.2.1', cseq: 1, received: 'sip:198.51.100.1:5060', path: ['<sip:edge;lr>'], userAgent: 'Phone/1' });
    expect(learned.expiresAt).toBe(net.clock.now() + 300_000);

    await notify(sub, document(1, 'partial', [contact('sip:a@192.0.2.2')]));
    expect((await b.registrar.bindings('alice@example.com')).map((x) => x.contact).sort()).toEqual(['sip:a@192.0.2.1', 'sip:a@192.0.2.2']);
    await notify(sub, document(1, 'partial', [contact('sip:a@192.0.2.3')])); // not newer: discarded
    expect(await b.registrar.bindings('alice@example.com')).toHaveLength(2);
    await notify(sub, document(2, 'partial', [contact('sip:a@192.0.2.1', { state: 'terminated', event: 'unregistered', expiresSec: 0 })]));
    expect((await b.registrar.bindings('alice@example.com')).map((x) => x.contact)).toEqual(['sip:a@192.0.2.2']);
    await notify(sub, document(3, 'full', [contact('sip:a@192.0.2.4')])); // full state replaces
    expect((await b.registrar.bindings('alice@example.com')).map((x) => x.contact)).toEqual(['sip:a@192.0.2.4']);
    await notify(sub, document(4, 'partial', [], 'terminated'));
    expect(await b.registrar.bindings('alice@example.com')).toEqual([]);
    expect(outcomes).toEqual([
      { code: 1, kind: 'applied' }, { code: 1, kind: 'applied' }, { code: 1, kind: 'stale' },
      { code: 1, kind: 'applied' }, { code: 1, kind: 'applied' }, { code: 2, kind: 'applied' },
    ]);
  });

  it('asks for full state with a refresh SUBSCRIBE after a gap in the versions', async () => {
    await b.reginfo.subscribe(AOR, 600);
    const [sub] = subscribes();
    await notify(sub, document(0, 'full', [contact('sip:a@192.0.2.1')]));
    const events: boolean[] = [];
    b.reginfo.on('notify', (o) => events.push(o.resync));
    await notify(sub, document(3, 'partial', [contact('sip:a@192.0.2.2')]));
    expect(events).toEqual([true]);
    expect((await b.registrar.bindings('alice@example.com')).map((x) => x.contact).sort()).toEqual(['sip:a@192.0.2.1', 'sip:a@192.0.2.2']);
    const refresh = subscribes()[1];
    expect(refresh.callId).toBe(sub.callId);
    expect(refresh.to.params.tag).toBe('notifier');
  });

  it('refreshes an existing binding only for a newer CSeq, so two nodes notifying each other stop', async () => {
    await b.reginfo.subscribe(AOR, 600);
    const [sub] = subscribes();
    const changes: string[] = [];
    for (const kind of ['inserted', 'refreshed', 'updated'] as const) b.registrar.on(kind, (c) => changes.push(`${kind} ${c.binding.cseq}`));
    await notify(sub, document(0, 'full', [contact('sip:a@192.0.2.1', { cseq: 5 })]));
    await notify(sub, document(1, 'full', [contact('sip:a@192.0.2.1', { cseq: 5, expiresSec: 299 })]));
    await notify(sub, document(2, 'full', [contact('sip:a@192.0.2.1', { cseq: 6, expiresSec: 600 })]));
    await notify(sub, document(3, 'full', [contact('sip:a@192.0.2.1', { cseq: 7, callId: 'new' })]));
    expect(changes).toEqual(['inserted 5', 'refreshed 6', 'updated 7']);
  });

  it('answers 400 to an invalid NOTIFY and 200 to one without a body; keeps Contact parameters', async () => {
    await b.reginfo.subscribe(AOR, 600);
    const [sub] = subscribes();
    expect(await notify(sub, '<reginfo', 'active')).toBe(400);
    expect(b.transport.responses.at(-1)!.response.reason).toMatch(/^Bad Request \(/);
    expect(await notify(sub, document(0, 'full', [contact('sip:a@x')]), 'active', { contentType: 'application/pidf+xml' })).toBe(400);
    expect(await notify(sub, '<!DOCTYPE r [<!ENTITY x "y">]><reginfo/>', 'active')).toBe(400);
    expect(await notify(sub, undefined)).toBe(200);
    const withParams = contact('sip:a@192.0.2.7', {
      unknownParams: [{ name: '+sip.instance', value: '"<urn:uuid:1>"' }, { name: 'reg-id', value: '1' }, { name: 'audio', value: '' }, { name: 'language', value: '"en"' }],
    });
    expect(await notify(sub, document(0, 'full', [withParams]))).toBe(200);
    const [binding] = await b.registrar.bindings('alice@example.com');
    expect(binding).toMatchObject({ instanceId: '<urn:uuid:1>', regId: 1, params: ';audio;language="en"' });
  });

  it('applies a NOTIFY of no subscription of ours, as OpenSIPS does, to the registrar given', async () => {
    const outcome = await b.reginfo.handleNotify(buildAnyNotify(document(0, 'full', [contact('sip:z@192.0.2.9')])));
    expect(outcome).toMatchObject({ code: 1, kind: 'applied', resync: false });
    expect(outcome.subscription).toBeUndefined();
    expect((await b.registrar.bindings('alice@example.com')).map((x) => x.contact)).toEqual(['sip:z@192.0.2.9']);
  });

  it('answers 481 to a NOTIFY of no subscription of ours and changes nothing (RFC 6665 §4.1.3)', async () => {
    await b.reginfo.subscribe(AOR, 600);
    const [sub] = subscribes();
    const forged = { ...sub, callId: 'forged-call' } as SipRequest;
    expect(await notify(forged, document(0, 'full', [contact('sip:intruder@203.0.113.66')]))).toBe(481);
    expect(await b.registrar.bindings('alice@example.com')).toEqual([]);
    expect(await notify(sub, document(0, 'full', [contact('sip:a@192.0.2.1')]))).toBe(200);
  });

  it('unsubscribes with Expires: 0 in the dialog', async () => {
    await b.reginfo.subscribe(AOR, 600);
    expect(await b.reginfo.unsubscribe(AOR)).toBe(true);
    const last = subscribes().at(-1)!;
    expect(last.expires).toBe(0);
    expect(last.to.params.tag).toBe('notifier');
    expect(await b.reginfo.unsubscribe(AOR)).toBe(false);
    expect(b.reginfo.subscriptions().subscribed).toEqual([]);
  });

  it('refuses misuse with a ConfigError that says what to pass', () => {
    expect(() => b.reginfo.subscribe('alice@example.com')).toThrow(/not a sip: URI/);
    expect(() => b.reginfo.subscribe(AOR, 0)).toThrow(/positive integer/);
  });
});

/** A parsed NOTIFY outside any subscription. */
function buildAnyNotify(doc: ReginfoDocument): SipRequest {
  const net = network([{ name: 'X' }]);
  const request = net.nodes[0].transport.deliver(buildRequest('NOTIFY', {
    requestUri: 'sip:reginfo@127.0.0.1:5071', to: 'sip:reginfo@127.0.0.1:5071', toTag: 'unknown', callId: 'stray-1',
    headers: [['Event', 'reg'], ['Subscription-State', 'active']], body: buildReginfo(doc), contentType: 'application/reginfo+xml', ids,
  }));
  void net.close();
  return request;
}
