import { describe, expect, it } from '@jest/globals';
import { buildRequest } from '../../src/testing/message-builders';
import { CALLER, forkingHarness, settle } from './forking-harness';

const AOR = 'sip:bob@example.com';
const DESK = 'sip:bob@192.0.2.20:5062';
const MOBILE = 'sip:bob@192.0.2.21:5064';
const LAPTOP = 'sip:bob@192.0.2.22:5066';

async function calling(contacts: readonly { uri: string; q: number }[]) {
  const h = forkingHarness();
  await h.register(AOR, contacts);
  h.transport.deliver(buildRequest('INVITE', { to: AOR, ids: h.ids }), CALLER);
  await settle();
  return h;
}

describe('serial forking by q through createRegistrarServer (RFC 3261 §16.6 step 10, serialize_branches)', () => {
  it('sends the INVITE to the highest q first and to the next q only after the first failed (its 486 ACKed, not relayed)', async () => {
    const { answer, branchTo, sentRequests, statuses } = await calling([{ uri: MOBILE, q: 0.5 }, { uri: DESK, q: 1 }]);
    expect(sentRequests('INVITE').map((r) => r.uri)).toEqual([DESK]);
    const desk = branchTo(DESK);
    await answer(desk, 486, 'Busy Here');
    const acks = sentRequests('ACK');
    expect(acks).toHaveLength(1);
    expect(acks[0].via[0].branch).toBe(desk.via[0].branch);
    expect(sentRequests('INVITE').map((r) => r.uri)).toEqual([DESK, MOBILE]);
    expect(statuses()).toEqual([100]);
    await answer(branchTo(MOBILE), 200, 'OK');
    expect(statuses()).toEqual([100, 200]);
  });

  it('answers the best final response once every group failed: 3xx over 4xx (RFC 3261 §16.7 step 6)', async () => {
    const { answer, branchTo, statuses, transport } = await calling([{ uri: DESK, q: 1 }, { uri: MOBILE, q: 0.5 }]);
    await answer(branchTo(DESK), 486, 'Busy Here');
    await answer(branchTo(MOBILE), 302, 'Moved Temporarily', [['Contact', '<sip:bob@203.0.113.7>']]);
    expect(statuses()).toEqual([100, 302]);
    expect(transport.lastResponse().header('Contact')).toBe('<sip:bob@203.0.113.7>');
    expect(transport.lastResponse().via).toHaveLength(1);
  });

  it('a 6xx in the first group ends the search: the next q is never tried (RFC 3261 §16.7 step 10)', async () => {
    const { answer, branchTo, sentRequests, statuses } = await calling([{ uri: DESK, q: 1 }, { uri: MOBILE, q: 0.5 }]);
    await answer(branchTo(DESK), 603, 'Decline');
    expect(statuses()).toEqual([100, 603]);
    expect(sentRequests('INVITE').map((r) => r.uri)).toEqual([DESK]);
  });

  it('a 6xx from one parallel branch cancels the ringing others and is the final answer', async () => {
    const { answer, branchTo, sentRequests, statuses } = await calling([{ uri: DESK, q: 1 }, { uri: MOBILE, q: 1 }, { uri: LAPTOP, q: 0.5 }]);
    const desk = branchTo(DESK);
    const mobile = branchTo(MOBILE);
    await answer(desk, 180, 'Ringing');
    await answer(mobile, 603, 'Decline');
    const cancels = sentRequests('CANCEL');
    expect(cancels.map((c) => c.via[0].branch)).toEqual([desk.via[0].branch]);
    // The 603 waits for the cancelled branch's final answer (§16.7 step 6 needs every branch done).
    expect(statuses()).toEqual([100, 180]);
    await answer(desk, 487, 'Request Terminated');
    expect(statuses()).toEqual([100, 180, 603]);
    expect(sentRequests('INVITE').map((r) => r.uri)).not.toContain(LAPTOP);
  });

  it('aggregates the challenges of every 401/407 branch into the one sent upstream (RFC 3261 §16.7 step 7)', async () => {
    const { answer, branchTo, statuses, transport } = await calling([{ uri: DESK, q: 1 }, { uri: MOBILE, q: 1 }]);
    await answer(branchTo(DESK), 407, 'Proxy Authentication Required', [['Proxy-Authenticate', 'Digest realm="desk", nonce="1"']]);
    await answer(branchTo(MOBILE), 401, 'Unauthorized', [['WWW-Authenticate', 'Digest realm="mobile", nonce="2"']]);
    // Either challenge may be chosen (§16.7 step 6 leaves it open); the lower code is.
    expect(statuses()).toEqual([100, 401]);
    const final = transport.lastResponse();
    expect(final.headerAll('Proxy-Authenticate')).toEqual(['Digest realm="desk", nonce="1"']);
    expect(final.headerAll('WWW-Authenticate')).toEqual(['Digest realm="mobile", nonce="2"']);
  });

  it('sends 500 upstream for a 503 from the only branch (RFC 3261 §16.7 step 6)', async () => {
    const { answer, branchTo, statuses } = await calling([{ uri: DESK, q: 1 }]);
    await answer(branchTo(DESK), 503, 'Service Unavailable', [['Retry-After', '30']]);
    expect(statuses()).toEqual([100, 500]);
  });
});
