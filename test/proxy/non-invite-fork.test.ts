import { describe, expect, it } from '@jest/globals';
import { buildRequest } from '../../src/testing/message-builders';
import { CALLER, forkingHarness, settle } from './forking-harness';

const AOR = 'sip:bob@example.com';
const DESK = 'sip:bob@192.0.2.20:5062';
const MOBILE = 'sip:bob@192.0.2.21:5064';

async function messaging() {
  const h = forkingHarness();
  await h.register(AOR, [{ uri: DESK, q: 1 }, { uri: MOBILE, q: 1 }]);
  const message = buildRequest('MESSAGE', { to: AOR, via: { branch: 'z9hG4bK-msg-1' }, body: 'hi', ids: h.ids });
  h.transport.deliver(message, CALLER);
  await settle();
  return { ...h, message, desk: h.branchTo(DESK, 'MESSAGE'), mobile: h.branchTo(MOBILE, 'MESSAGE') };
}

describe('forking a non-INVITE request through createRegistrarServer (RFC 3261 §16.6, §17.1.2)', () => {
  it('sends a MESSAGE to every binding, relays the first 2xx once, and answers a retransmission with it', async () => {
    const { answer, desk, mobile, message, sentRequests, statuses, transport } = await messaging();
    expect(sentRequests('MESSAGE')).toHaveLength(2);
    expect(statuses()).toEqual([]); // no 100 Trying for a non-INVITE (§16.2 leaves it to INVITE)
    await answer(desk, 200, 'OK');
    await answer(mobile, 200, 'OK');
    expect(statuses()).toEqual([200]);
    expect(sentRequests('CANCEL')).toHaveLength(0);
    transport.deliver(message, CALLER);
    await settle();
    expect(statuses()).toEqual([200, 200]);
    expect(transport.responses[1].data).toEqual(transport.responses[0].data);
    expect(sentRequests('MESSAGE')).toHaveLength(2);
  });

  it('retransmits each branch on Timer E over UDP (T1, doubling) until its final response', async () => {
    const { answer, clock, desk, sentRequests } = await messaging();
    const count = (uri: string): number => sentRequests('MESSAGE').filter((r) => r.uri === uri).length;
    clock.advance(499);
    expect([count(DESK), count(MOBILE)]).toEqual([1, 1]);
    clock.advance(1);
    expect([count(DESK), count(MOBILE)]).toEqual([2, 2]);
    await answer(desk, 200, 'OK');
    clock.advance(1000);
    expect([count(DESK), count(MOBILE)]).toEqual([2, 3]);
    // The retransmission is the same request, same branch.
    const mobiles = sentRequests('MESSAGE').filter((r) => r.uri === MOBILE);
    expect(mobiles[2].via[0].branch).toBe(mobiles[0].via[0].branch);
  });

  it('answers the best final response when every branch failed, with no ACK for a non-INVITE', async () => {
    const { answer, desk, mobile, sentRequests, statuses } = await messaging();
    await answer(desk, 404, 'Not Found');
    await answer(mobile, 480, 'Temporarily Unavailable');
    expect(statuses()).toEqual([404]);
    expect(sentRequests('ACK')).toHaveLength(0);
  });
});
