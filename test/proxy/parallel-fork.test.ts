import { describe, expect, it } from '@jest/globals';
import { buildRequest } from '../../src/testing/message-builders';
import { CALLER, forkingHarness, settle } from './forking-harness';

const AOR = 'sip:bob@example.com';
const DESK = 'sip:bob@192.0.2.20:5062';
const MOBILE = 'sip:bob@192.0.2.21:5064';

/** Two bindings of one AOR with the same q, and an INVITE to it from the caller. */
async function ringingBoth() {
  const h = forkingHarness();
  await h.register(AOR, [{ uri: DESK, q: 0.8 }, { uri: MOBILE, q: 0.8 }]);
  h.transport.deliver(buildRequest('INVITE', { to: AOR, ids: h.ids, cseq: 7 }), CALLER);
  await settle();
  return { ...h, desk: h.branchTo(DESK), mobile: h.branchTo(MOBILE) };
}

describe('parallel forking through createRegistrarServer (RFC 3261 §16.6, §16.7)', () => {
  it('sends the INVITE to every binding of one q, each on its own Via branch, and answers 100 Trying', async () => {
    const { desk, mobile, sentRequests, statuses, transport } = await ringingBoth();
    expect(sentRequests('INVITE')).toHaveLength(2);
    expect(desk.via[0].branch).toMatch(/^z9hG4bK/);
    expect(mobile.via[0].branch).toMatch(/^z9hG4bK/);
    expect(desk.via[0].branch).not.toBe(mobile.via[0].branch);
    expect(desk.via).toHaveLength(2);
    expect(desk.maxForwards).toBe(69);
    expect(transport.sent.find((s) => s.message === desk)?.destination).toEqual({ protocol: 'udp', address: '192.0.2.20', port: 5062 });
    expect(statuses()).toEqual([100]);
  });

  it('relays a 180, relays the 200 of the other branch at once, cancels the ringing branch and ACKs its 487 without relaying it', async () => {
    const { desk, mobile, answer, sentRequests, statuses, transport } = await ringingBoth();
    await answer(desk, 180, 'Ringing');
    expect(statuses()).toEqual([100, 180]);
    // The relayed 180 lost the proxy's Via: the caller sees its own Via on top.
    expect(transport.responses[1].response.via).toHaveLength(1);
    expect(transport.responses[1].response.via[0].branch).toBe(transport.responses[0].response.via[0].branch);

    await answer(mobile, 200, 'OK');
    expect(statuses()).toEqual([100, 180, 200]);
    const cancels = sentRequests('CANCEL');
    expect(cancels).toHaveLength(1);
    const [cancel] = cancels;
    expect(cancel.uri).toBe(desk.uri);
    expect(cancel.via[0].branch).toBe(desk.via[0].branch);
    expect(cancel.via).toHaveLength(1);
    expect(cancel.cseq).toEqual({ seq: desk.cseq.seq, method: 'CANCEL' });
    expect(cancel.callId).toBe(desk.callId);
    expect(transport.sent.find((s) => s.message === cancel)?.destination).toEqual({ protocol: 'udp', address: '192.0.2.20', port: 5062 });

    await answer(cancel, 200, 'OK');
    await answer(desk, 487, 'Request Terminated');
    const acks = sentRequests('ACK');
    expect(acks).toHaveLength(1);
    expect(acks[0].uri).toBe(desk.uri);
    expect(acks[0].via[0].branch).toBe(desk.via[0].branch);
    expect(acks[0].cseq).toEqual({ seq: desk.cseq.seq, method: 'ACK' });
    expect(acks[0].to.params.tag).toBe(`tag-${desk.via[0].branch}`);
    // Exactly one final response reached the caller: the 200.
    expect(statuses()).toEqual([100, 180, 200]);
    // A retransmitted 487 gets the ACK again from the branch's Completed transaction, still not relayed.
    await answer(desk, 487, 'Request Terminated');
    expect(sentRequests('ACK')).toHaveLength(2);
    expect(statuses()).toEqual([100, 180, 200]);
  });

  it('cancels a branch that sent no provisional response only once one arrives (RFC 3261 §9.1)', async () => {
    const { desk, mobile, answer, sentRequests, statuses } = await ringingBoth();
    await answer(mobile, 200, 'OK');
    expect(statuses()).toEqual([100, 200]);
    expect(sentRequests('CANCEL')).toHaveLength(0);
    await answer(desk, 180, 'Ringing');
    const cancels = sentRequests('CANCEL');
    expect(cancels).toHaveLength(1);
    expect(cancels[0].via[0].branch).toBe(desk.via[0].branch);
    // The late 180 is not relayed: the caller has its final response.
    expect(statuses()).toEqual([100, 200]);
  });

  it('relays every 2xx of an INVITE: a second branch answering 200 too reaches the caller (RFC 3261 §16.7 step 5)', async () => {
    const { desk, mobile, answer, statuses } = await ringingBoth();
    await answer(desk, 180, 'Ringing');
    await answer(mobile, 200, 'OK');
    await answer(desk, 200, 'OK');
    expect(statuses()).toEqual([100, 180, 200, 200]);
  });
});
