/**
 * The PUBLISH side of reg-event (OpenSIPS `publish_reginfo`, RFC 3903 with RFC 3680 bodies):
 * what a change publishes, entity tags, refreshes, 412 and 423, identities and default domain.
 */
import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import type { ReginfoDocument } from '../../src/reginfo/reginfo-document';
import type { SipRequest } from '../../src/sip/message';
import type { FakeReply } from '../../src/testing/fake-transport';
import { buildResponseText } from '../../src/testing/message-builders';
import { network, okWithEtag, type Network, type Node } from './reginfo-harness';

const PROXY = 'sip:127.0.0.1:5999';

function doc(r: SipRequest): ReginfoDocument {
  const parsed = parseReginfo(r.body);
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.value;
}

describe('reg-event publisher', () => {
  let net: Network;
  let a: Node;
  let reply: (r: SipRequest) => FakeReply;
  const publishes = (): SipRequest[] => net.strays.filter((r) => r.method === 'PUBLISH');

  beforeEach(() => {
    reply = (r) => okWithEtag(r, 'etag-1');
    net = network([{ name: 'A', reginfo: { publish: true, outboundProxy: PROXY, publishExpiresSec: 600 } }], (r) => reply(r));
    a = net.nodes[0];
  });
  afterEach(async () => net.close());

  it('publishes the full state of the AOR on every change, with the entity tag it was given', async () => {
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    let sent = publishes();
    expect(sent).toHaveLength(1);
    const first = sent[0];
    expect(first.uri).toBe('sip:alice@example.com');
    expect(first.to.uri).toBe('sip:alice@example.com');
    expect(first.from.uri).toBe('sip:alice@example.com');
    expect(first.route.map((r) => r.uri)).toEqual(['sip:127.0.0.1:5999;lr']);
    expect(first.header('event')).toBe('reg');
    expect(first.header('expires')).toBe('600');
    expect(first.header('content-type')).toBe('application/reginfo+xml');
    expect(first.header('sip-if-match')).toBeUndefined();
    expect(doc(first)).toMatchObject({ version: 0, state: 'full' });
    expect(doc(first).registrations[0].contacts.map((c) => [c.uri, c.event])).toEqual([['sip:alice@192.0.2.1:5060', 'registered']]);

    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.2:5060', 300);
    sent = publishes();
    expect(sent).toHaveLength(2);
    expect(sent[1].header('sip-if-match')).toBe('etag-1');
    expect(doc(sent[1]).version).toBe(1);
    expect(doc(sent[1]).registrations[0].contacts.map((c) => [c.uri, c.event]).sort()).toEqual([
      ['sip:alice@192.0.2.1:5060', 'registered'],
      ['sip:alice@192.0.2.2:5060', 'registered'],
    ]);
  });

  it('refreshes a publication without a body before it expires, and publishes afresh after a 412', async () => {
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 3600);
    await net.step(539_000);
    expect(publishes()).toHaveLength(1);
    await net.step(2000); // 600 s granted: refreshed 60 s before the end
    let sent = publishes();
    expect(sent).toHaveLength(2);
    expect(sent[1].body.length).toBe(0);
    expect(sent[1].header('sip-if-match')).toBe('etag-1');
    reply = (r) => (r.header('sip-if-match') !== undefined ? buildResponseText(r, 412, 'Conditional Request Failed') : okWithEtag(r, 'etag-2'));
    await net.step(540_000);
    sent = publishes();
    const [refresh, fresh] = sent.slice(-2);
    expect(refresh.body.length).toBe(0);
    expect(fresh.header('sip-if-match')).toBeUndefined();
    expect(doc(fresh).registrations[0].contacts[0].uri).toBe('sip:alice@192.0.2.1:5060');
  });

  it('asks again with the Min-Expires of a 423', async () => {
    reply = (r) => (Number(r.header('expires')) < 1200 ? buildResponseText(r, 423, 'Interval Too Brief', [['Min-Expires', '1200']]) : okWithEtag(r));
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    expect(publishes().map((r) => r.header('expires'))).toEqual(['600', '1200']);
  });

  it('publishes the terminated state when the last contact goes, and then stops refreshing', async () => {
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 0);
    const last = publishes().at(-1)!;
    expect(doc(last).registrations[0]).toMatchObject({ state: 'terminated' });
    expect(doc(last).registrations[0].contacts.map((c) => [c.state, c.event])).toEqual([['terminated', 'unregistered']]);
    const count = publishes().length;
    await net.step(3_600_000);
    expect(publishes()).toHaveLength(count);
  });

  it('reports each outcome as a publish event', async () => {
    const outcomes: unknown[] = [];
    a.reginfo.on('publish', (p) => outcomes.push(p));
    reply = () => 'timeout';
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    expect(outcomes).toEqual([{ aor: 'alice@example.com', uri: 'sip:alice@example.com', status: 'timeout', refresh: false }]);
  });

  it('does not publish what it learned from a NOTIFY (OpenSIPS self_op)', async () => {
    const two = network([
      { name: 'A' },
      { name: 'B', reginfo: { publish: true, outboundProxy: 'sip:127.0.0.1:5071' } },
    ]);
    const [na, nb] = two.nodes;
    await nb.reginfo.subscribe('sip:alice@example.com', 600);
    await two.register(na, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    expect((await nb.registrar.bindings('alice@example.com')).length).toBe(1);
    expect(nb.transport.requests.filter((r) => r.request.method === 'PUBLISH')).toEqual([]);
    await two.close();
  });
});

describe('reg-event identities and update()', () => {
  it('publishes one registration per identity once they are set, and nothing before (ul_identities_key)', async () => {
    const net = network([{ name: 'A', reginfo: { publish: true, outboundProxy: PROXY, useIdentities: true, defaultDomain: 'ims.test' } }]);
    const a = net.nodes[0];
    await net.register(a, 'sip:alice@ims.test', 'sip:alice@192.0.2.1:5060', 300);
    expect(net.strays).toEqual([]);
    a.reginfo.setIdentities('alice', ['<sip:alice@ims.test>', ' <tel:+15551234> ', 'bob']);
    expect(await a.reginfo.update('alice@ims.test')).toBe(true);
    await net.step(0);
    const [publish] = net.strays;
    expect(publish.uri).toBe('sip:alice@ims.test');
    const d = parseReginfo(publish.body);
    expect(d.ok && d.value.registrations.map((r) => [r.aor, r.state, r.contacts.length])).toEqual([
      ['sip:alice@ims.test', 'active', 1],
      ['tel:+15551234', 'active', 1],
      ['sip:bob@ims.test', 'active', 1],
    ]);
    expect(await a.reginfo.update('nobody@ims.test')).toBe(false);
    // The identities go with the last binding (after the terminated state was published with them).
    await net.register(a, 'sip:alice@ims.test', 'sip:alice@192.0.2.1:5060', 0);
    expect(net.strays).toHaveLength(2);
    const gone = parseReginfo(net.strays[1].body);
    expect(gone.ok && gone.value.registrations.map((r) => r.state)).toEqual(['terminated', 'terminated', 'terminated']);
    await net.register(a, 'sip:alice@ims.test', 'sip:alice@192.0.2.1:5060', 300);
    expect(net.strays).toHaveLength(2);
    await net.close();
  });
});
