/**
 * The notifier side of reg-event (RFC 3680 §4, RFC 6665 §4.2): SUBSCRIBE answers, the full then
 * partial NOTIFYs and their versions, refresh, unsubscribe, expiry, failures and close.
 */
import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import type { ReginfoDocument } from '../../src/reginfo/reginfo-document';
import type { SipRequest } from '../../src/sip/message';
import type { FakeReply } from '../../src/testing/fake-transport';
import { buildRequest, buildResponseText, IdSequence } from '../../src/testing/message-builders';
import { network, type Network, type Node } from './reginfo-harness';

const WATCHER = 'sip:watcher@127.0.0.1:6000';
const ids = new IdSequence('w');

/** A SUBSCRIBE from the watcher for `aor`. */
function subscribe(aor: string, over: { expires?: number; toTag?: string; callId?: string; cseq?: number; headers?: [string, string][]; event?: string } = {}): string {
  return buildRequest('SUBSCRIBE', {
    requestUri: aor,
    to: aor,
    from: WATCHER,
    fromTag: 'wtag',
    toTag: over.toTag,
    callId: over.callId ?? 'sub-1@watcher',
    cseq: over.cseq ?? 1,
    contacts: [WATCHER],
    expires: over.expires ?? 600,
    headers: [['Event', over.event ?? 'reg'], ...(over.headers ?? [])],
    via: { host: '127.0.0.1', port: 6000 },
    ids,
  });
}

/** The NOTIFYs the node sent, with their parsed documents. */
function notifies(node: Node): { request: SipRequest; doc: ReginfoDocument; state: string }[] {
  return node.transport.requests.filter((r) => r.request.method === 'NOTIFY').map((r) => {
    const parsed = parseReginfo(r.request.body);
    if (!parsed.ok) throw new Error(parsed.error.reason);
    return { request: r.request, doc: parsed.value, state: r.request.header('subscription-state') ?? '' };
  });
}

describe('reg-event notifier', () => {
  let net: Network;
  let a: Node;
  let notifyReply: (r: SipRequest) => FakeReply;

  beforeEach(async () => {
    notifyReply = (r) => buildResponseText(r, 200, 'OK');
    net = network([{ name: 'A' }], (r) => notifyReply(r));
    a = net.nodes[0];
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
  });
  afterEach(async () => net.close());

  const deliver = async (text: string): Promise<SipRequest[]> => {
    const before = a.transport.responses.length;
    a.transport.deliver(text, { address: '127.0.0.1', port: 6000 });
    await net.step(0);
    return a.transport.responses.slice(before).map((r) => r.response as unknown as SipRequest);
  };
  const lastStatus = (): number => a.transport.responses.at(-1)?.response.status ?? 0;

  it('answers 200 and sends the full state, then a partial NOTIFY per change with the next version', async () => {
    await deliver(subscribe('sip:alice@example.com'));
    const ok = a.transport.responses.at(-1)!.response;
    expect(ok.status).toBe(200);
    expect(ok.header('expires')).toBe('600');
    expect(ok.header('contact')).toBe('<sip:reginfo@127.0.0.1:5071>');
    let sent = notifies(a);
    expect(sent).toHaveLength(1);
    const first = sent[0];
    expect(first.request.uri).toBe(WATCHER);
    expect(first.request.callId).toBe('sub-1@watcher');
    expect(first.request.to.params.tag).toBe('wtag');
    expect(first.request.from.params.tag).toBe(ok.to.params.tag);
    expect(first.request.header('event')).toBe('reg');
    expect(first.state).toBe('active;expires=600');
    expect(first.doc).toMatchObject({ version: 0, state: 'full' });
    expect(first.doc.registrations[0]).toMatchObject({ aor: 'sip:alice@example.com', state: 'active' });
    expect(first.doc.registrations[0].contacts.map((c) => [c.uri, c.event, c.expiresSec])).toEqual([['sip:alice@192.0.2.1:5060', 'registered', 300]]);

    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.2:5060', 120);
    sent = notifies(a);
    expect(sent).toHaveLength(2);
    expect(sent[1].doc).toMatchObject({ version: 1, state: 'partial' });
    expect(sent[1].doc.registrations[0].contacts.map((c) => [c.uri, c.state, c.event])).toEqual([['sip:alice@192.0.2.2:5060', 'active', 'registered']]);
    expect(sent[1].request.cseq.seq).toBe(sent[0].request.cseq.seq + 1);

    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.2:5060', 0);
    sent = notifies(a);
    expect(sent[2].doc).toMatchObject({ version: 2, state: 'partial' });
    expect(sent[2].doc.registrations[0].contacts.map((c) => [c.uri, c.state, c.event, c.expiresSec])).toEqual([['sip:alice@192.0.2.2:5060', 'terminated', 'unregistered', 0]]);
    expect(sent[2].doc.registrations[0].state).toBe('active');

    await net.step(301_000); // alice@192.0.2.1 expires; the purge reports it
    sent = notifies(a);
    const expired = sent.at(-1)!;
    expect(expired.doc.registrations[0].contacts.map((c) => [c.uri, c.event])).toEqual([['sip:alice@192.0.2.1:5060', 'expired']]);
    expect(expired.doc.registrations[0].state).toBe('terminated');
  });

  it('merges the changes of one REGISTER into one NOTIFY', async () => {
    await deliver(subscribe('sip:alice@example.com'));
    a.transport.deliver(buildRequest('REGISTER', {
      requestUri: 'sip:example.com', to: 'sip:alice@example.com', from: 'sip:alice@example.com',
      contacts: ['<sip:alice@192.0.2.3>;expires=60', '<sip:alice@192.0.2.4>;expires=60'], ids,
    }), { address: '127.0.0.1', port: 5090 });
    await net.step(0);
    const sent = notifies(a);
    expect(sent).toHaveLength(2);
    expect(sent[1].doc.registrations[0].contacts.map((c) => c.uri).sort()).toEqual(['sip:alice@192.0.2.3', 'sip:alice@192.0.2.4']);
  });

  it('sends full state after a refresh, and a final NOTIFY on unsubscribe', async () => {
    await deliver(subscribe('sip:alice@example.com'));
    const tag = a.transport.responses.at(-1)!.response.to.params.tag!;
    await deliver(subscribe('sip:alice@example.com', { toTag: tag, cseq: 2, expires: 900 }));
    expect(lastStatus()).toBe(200);
    let sent = notifies(a);
    expect(sent[1].doc).toMatchObject({ version: 1, state: 'full' });
    expect(sent[1].state).toBe('active;expires=900');
    await deliver(subscribe('sip:alice@example.com', { toTag: tag, cseq: 3, expires: 0 }));
    sent = notifies(a);
    expect(sent[2].state).toBe('terminated;reason=timeout');
    expect(sent[2].doc.state).toBe('full');
    expect(a.reginfo.subscriptions().watchers).toEqual([]);
    await deliver(subscribe('sip:alice@example.com', { toTag: tag, cseq: 4 }));
    expect(lastStatus()).toBe(481);
  });

  it('ends a subscription that is not refreshed with terminated;reason=timeout', async () => {
    await deliver(subscribe('sip:alice@example.com', { expires: 60 }));
    expect(a.reginfo.subscriptions().watchers).toHaveLength(1);
    await net.step(61_000);
    expect(notifies(a).at(-1)!.state).toBe('terminated;reason=timeout');
    expect(a.reginfo.subscriptions().watchers).toEqual([]);
  });

  it('grants 3761 s when the SUBSCRIBE names no Expires (RFC 3680 §3.2) and shortens one above the maximum', async () => {
    const noExpires = subscribe('sip:alice@example.com').replace(/Expires: 600\r\n/, '');
    await deliver(noExpires);
    expect(a.transport.responses.at(-1)!.response.header('expires')).toBe('3761');
    await deliver(subscribe('sip:alice@example.com', { callId: 'long', expires: 86_400 }));
    expect(a.transport.responses.at(-1)!.response.header('expires')).toBe('7200');
    expect(notifies(a).at(-1)!.state).toBe('active;expires=7200');
  });

  it('answers a retransmitted SUBSCRIBE without a second NOTIFY', async () => {
    const text = subscribe('sip:alice@example.com');
    await deliver(text);
    await deliver(text);
    expect(a.transport.responses.slice(-2).map((r) => r.response.status)).toEqual([200, 200]);
    expect(notifies(a)).toHaveLength(1);
  });

  it('refuses what it cannot serve', async () => {
    await deliver(subscribe('sip:alice@example.com', { headers: [['Accept', 'application/pidf+xml']] }));
    expect(lastStatus()).toBe(406);
    expect(a.transport.responses.at(-1)!.response.header('accept')).toBe('application/reginfo+xml');
    await deliver(subscribe('sip:alice@example.com', { expires: 10 }));
    expect(lastStatus()).toBe(423);
    expect(a.transport.responses.at(-1)!.response.header('min-expires')).toBe('60');
    await deliver(subscribe('sip:alice@example.com', { toTag: 'nosuch' }));
    expect(lastStatus()).toBe(481);
    await deliver(subscribe('sip:example.com', { callId: 'x2' }));
    expect(lastStatus()).toBe(404);
    expect(notifies(a)).toEqual([]);
  });

  it('asks the authorization policy (RFC 3680 §6) and answers 403 when it says no', async () => {
    const denied = network([{ name: 'D', reginfo: { authorize: (_r, _s, aor) => aor !== 'alice@example.com' } }]);
    const d = denied.nodes[0];
    d.transport.deliver(subscribe('sip:alice@example.com'), { address: '127.0.0.1', port: 6000 });
    await denied.step(0);
    expect(d.transport.responses.at(-1)!.response.status).toBe(403);
    d.transport.deliver(subscribe('sip:bob@example.com', { callId: 'other' }), { address: '127.0.0.1', port: 6000 });
    await denied.step(0);
    expect(d.transport.responses.at(-1)!.response.status).toBe(200);
    await denied.close();
  });

  it('leaves SUBSCRIBEs of other event packages to the proxy', async () => {
    await deliver(subscribe('sip:alice@example.com', { event: 'presence' }));
    expect(notifies(a)).toEqual([]);
    expect(a.transport.sent.map((s) => s.destination.port)).toEqual([5060]); // proxied to alice's contact
  });

  it('removes a subscription whose NOTIFY gets 481 (RFC 6665 §4.2.2)', async () => {
    notifyReply = (r) => buildResponseText(r, 481, 'Subscription Does Not Exist');
    await deliver(subscribe('sip:alice@example.com'));
    expect(notifies(a)).toHaveLength(1);
    expect(a.reginfo.subscriptions().watchers).toEqual([]);
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.9:5060', 60);
    expect(notifies(a)).toHaveLength(1);
  });

  it('sends its watchers the full state again on update() (reginfo_update), false for an AOR without bindings', async () => {
    await deliver(subscribe('sip:alice@example.com'));
    expect(await a.reginfo.update('alice@example.com')).toBe(true);
    await net.step(0);
    const sent = notifies(a);
    expect(sent).toHaveLength(2);
    expect(sent[1].doc).toMatchObject({ version: 1, state: 'full' });
    expect(sent[1].doc.registrations[0].contacts.map((c) => c.uri)).toEqual(['sip:alice@192.0.2.1:5060']);
    expect(await a.reginfo.update('nobody@example.com')).toBe(false);
  });

  it('ends every subscription with terminated;reason=deactivated on close', async () => {
    await deliver(subscribe('sip:alice@example.com'));
    await a.reginfo.close();
    expect(notifies(a).at(-1)!.state).toBe('terminated;reason=deactivated');
  });
});
