import { describe, expect, it } from '@jest/globals';
import { buildRequest } from '../../src/testing/message-builders';
import { CALLER, forkingHarness, settle } from './forking-harness';

const AOR = 'sip:bob@example.com';
const DESK = 'sip:bob@192.0.2.20:5062';
const OWN_ROUTE = '<sip:127.0.0.1:5060;lr>';
const INSTANCE = '"<urn:uuid:00000000-0000-4000-8000-00000000b0b1>"';

/** An in-dialog request from the caller: a To tag, the callee's Contact as Request-URI. */
function inDialog(method: string, h: ReturnType<typeof forkingHarness>, spec: { requestUri?: string; route?: readonly string[]; maxForwards?: number } = {}) {
  const headers = (spec.route ?? []).map((r) => ['Route', r] as const);
  return buildRequest(method, { to: AOR, toTag: 'callee', requestUri: spec.requestUri ?? DESK, headers, maxForwards: spec.maxForwards, ids: h.ids });
}

describe('routing in createRegistrarServer (RFC 3261 §16.4, §16.12; RFC 5627 §8.4.1)', () => {
  it('removes its own Route and forwards an in-dialog request to the Request-URI', async () => {
    const h = forkingHarness();
    h.transport.deliver(inDialog('BYE', h, { route: [OWN_ROUTE] }), CALLER);
    await settle();
    const [bye] = h.sentRequests('BYE');
    expect(bye.uri).toBe(DESK);
    expect(bye.route).toEqual([]);
    expect(h.transport.sent[0].destination).toEqual({ protocol: 'udp', address: '192.0.2.20', port: 5062 });
  });

  it('with a second Route, sends to that one without its own, the Request-URI unchanged (loose routing)', async () => {
    const h = forkingHarness();
    h.transport.deliver(inDialog('BYE', h, { route: [OWN_ROUTE, '<sip:192.0.2.99:5080;lr>'] }), CALLER);
    await settle();
    const [bye] = h.sentRequests('BYE');
    expect(bye.uri).toBe(DESK);
    expect(bye.route.map((r) => r.raw)).toEqual(['<sip:192.0.2.99:5080;lr>']);
    expect(h.transport.sent[0].destination).toEqual({ protocol: 'udp', address: '192.0.2.99', port: 5080 });
  });

  it('removes its own Route from an out-of-dialog INVITE it looks up', async () => {
    const h = forkingHarness();
    await h.register(AOR, [DESK]);
    h.transport.deliver(buildRequest('INVITE', { to: AOR, headers: [['Route', OWN_ROUTE]], ids: h.ids }), CALLER);
    await settle();
    expect(h.branchTo(DESK).route).toEqual([]);
  });

  it('drops an ACK with Max-Forwards 0: nothing sent, nothing answered (RFC 3261 §16.3 step 3, §17)', async () => {
    const h = forkingHarness();
    h.transport.deliver(inDialog('ACK', h, { route: [OWN_ROUTE], maxForwards: 0 }), CALLER);
    await settle();
    expect(h.transport.sent).toEqual([]);
    expect(h.statuses()).toEqual([]);
    expect(h.counters.dropped).toBe(1);
  });

  it('never forwards below Max-Forwards 0: 1 goes out as 0, an in-dialog BYE with 0 is answered 483', async () => {
    const h = forkingHarness();
    h.transport.deliver(inDialog('ACK', h, { maxForwards: 1 }), CALLER);
    h.transport.deliver(inDialog('BYE', h, { maxForwards: 1 }), CALLER);
    h.transport.deliver(inDialog('BYE', h, { maxForwards: 0 }), CALLER);
    await settle();
    expect(h.sentRequests().map((r) => [r.method, r.maxForwards])).toEqual([['ACK', 0], ['BYE', 0]]);
    expect(h.statuses()).toEqual([483]);
  });

  it('puts a Record-Route of the sending socket on top of a forwarded INVITE with recordRoute, and none without', async () => {
    for (const recordRoute of [true, false]) {
      const h = forkingHarness({ recordRoute });
      await h.register(AOR, [DESK]);
      h.transport.deliver(buildRequest('INVITE', { to: AOR, headers: [['Record-Route', '<sip:192.0.2.7;lr>']], ids: h.ids }), CALLER);
      await settle();
      const routes = h.branchTo(DESK).headerAll('Record-Route');
      expect(routes).toEqual(recordRoute ? ['<sip:127.0.0.1:5060;lr>', '<sip:192.0.2.7;lr>'] : ['<sip:192.0.2.7;lr>']);
    }
  });

  // Bug outside src/proxy: StampedRequest (src/transports/stamp-received.ts) delegates `headers`
  // to the unstamped original, and serializeRequest writes `headers`, so the forwarded Via loses
  // the received/rport the transport added (RFC 3261 §18.2.1, §16.6 step 8). A response relayed
  // statelessly (a 2xx after the transaction ended) then goes to the caller's sent-by, not its NAT address.
  it('forwards the caller\'s Via with the received parameter its transport added (RFC 3261 §18.2.1)', async () => {
    const h = forkingHarness();
    await h.register(AOR, [DESK]);
    h.transport.deliver(buildRequest('INVITE', { to: AOR, ids: h.ids }), CALLER);
    await settle();
    expect(h.branchTo(DESK).via[1].received).toBe(CALLER.address);
  });

  describe('an in-dialog request to a GRUU this registrar issued', () => {
    async function withGruu() {
      const h = forkingHarness({}, { domains: ['example.com'], gruu: { enabled: true } });
      const ok = await h.register(AOR, [{ uri: DESK, params: { '+sip.instance': INSTANCE } }], { supported: ['gruu'] });
      const gruu = /pub-gruu="([^"]+)"/.exec(ok.header('Contact') ?? '')?.[1];
      if (gruu === undefined) throw new Error(`no pub-gruu in ${ok.header('Contact')}`);
      return { ...h, gruu };
    }

    it('is resolved through lookup and forwarded to the instance\'s Contact, not to its own host', async () => {
      const h = await withGruu();
      h.transport.deliver(inDialog('BYE', h, { requestUri: h.gruu }), CALLER);
      await settle();
      expect(h.transport.sent).toHaveLength(1);
      expect(h.transport.sent[0].destination).toEqual({ protocol: 'udp', address: '192.0.2.20', port: 5062 });
      expect(h.sentRequests('BYE')[0].uri).toBe(DESK);
    });

    it('resolves an ACK to the GRUU the same way (the ACK of a 2xx, forwarded statelessly)', async () => {
      const h = await withGruu();
      h.transport.deliver(inDialog('ACK', h, { requestUri: h.gruu, route: [OWN_ROUTE] }), CALLER);
      await settle();
      expect(h.transport.sent).toHaveLength(1);
      expect(h.transport.sent[0].destination).toEqual({ protocol: 'udp', address: '192.0.2.20', port: 5062 });
      expect(h.sentRequests('ACK')[0].route).toEqual([]);
    });
  });
});
