import { describe, expect, it } from '@jest/globals';
import { IdSequence, buildRequest } from '../../src/testing/message-builders';
import { CALLER, forkingHarness, settle } from './forking-harness';

const AOR = 'sip:bob@example.com';
const DESK = 'sip:bob@192.0.2.20:5062';
const MOBILE = 'sip:bob@192.0.2.21:5064';

/** The caller's INVITE and the CANCEL/ACK of its transaction (RFC 3261 §9.1, §17.1.1.3). */
function callerDialog(ids: IdSequence) {
  const tx = { via: { branch: 'z9hG4bK-caller-1' }, callId: 'call-1@example.com', fromTag: 'alice', cseq: 5, to: AOR, ids };
  return {
    invite: buildRequest('INVITE', { ...tx, body: 'v=0\r\n', contentType: 'application/sdp' }),
    cancel: buildRequest('CANCEL', tx),
    ack: (toTag: string) => buildRequest('ACK', { ...tx, toTag }),
  };
}

async function ringing() {
  const h = forkingHarness();
  await h.register(AOR, [{ uri: DESK, q: 1 }, { uri: MOBILE, q: 1 }]);
  const caller = callerDialog(h.ids);
  h.transport.deliver(caller.invite, CALLER);
  await settle();
  return { ...h, caller, desk: h.branchTo(DESK), mobile: h.branchTo(MOBILE) };
}

describe('the caller\'s server transaction in createRegistrarServer (RFC 3261 §16.10, §17.2)', () => {
  it('answers a CANCEL 200 and the INVITE 487, cancels the ringing branch at once and the silent one on its first provisional', async () => {
    const { answer, caller, desk, mobile, sentRequests, transport, statuses } = await ringing();
    await answer(desk, 180, 'Ringing');
    transport.deliver(caller.cancel, CALLER);
    await settle();
    const cancelOk = transport.responses[2].response;
    expect([cancelOk.status, cancelOk.cseq.method]).toEqual([200, 'CANCEL']);
    const invite487 = transport.responses[3].response;
    expect([invite487.status, invite487.cseq.method]).toEqual([487, 'INVITE']);
    expect(statuses()).toEqual([100, 180, 200, 487]);
    expect(sentRequests('CANCEL').map((c) => c.via[0].branch)).toEqual([desk.via[0].branch]);

    await answer(mobile, 180, 'Ringing');
    expect(sentRequests('CANCEL').map((c) => c.via[0].branch)).toEqual([desk.via[0].branch, mobile.via[0].branch]);
    // Neither the late 180 nor the branches' 487s reach the caller; each 487 is ACKed here.
    await answer(desk, 487, 'Request Terminated');
    await answer(mobile, 487, 'Request Terminated');
    expect(sentRequests('ACK').map((a) => a.via[0].branch)).toEqual([desk.via[0].branch, mobile.via[0].branch]);
    expect(statuses()).toEqual([100, 180, 200, 487]);
  });

  it('answers 481 to a CANCEL whose INVITE it does not know (RFC 3261 §9.2)', async () => {
    const { transport, statuses, sentRequests, ids } = await ringing();
    transport.deliver(buildRequest('CANCEL', { to: AOR, via: { branch: 'z9hG4bK-unknown' }, ids }), CALLER);
    await settle();
    expect(statuses()).toEqual([100, 481]);
    expect(sentRequests('CANCEL')).toHaveLength(0);
  });

  it('absorbs a retransmitted INVITE: no second fork, the last response sent again', async () => {
    const { answer, caller, desk, sentRequests, transport, statuses } = await ringing();
    transport.deliver(caller.invite, CALLER);
    await settle();
    expect(statuses()).toEqual([100, 100]);
    await answer(desk, 180, 'Ringing');
    transport.deliver(caller.invite, CALLER);
    await settle();
    expect(statuses()).toEqual([100, 100, 180, 180]);
    expect(transport.responses[3].data).toEqual(transport.responses[2].data);
    expect(sentRequests('INVITE')).toHaveLength(2);
  });

  it('retransmits its non-2xx final response on Timer G over UDP and absorbs the caller\'s ACK of it (hop by hop, RFC 3261 §17.2.1): nothing is forwarded', async () => {
    const { answer, caller, desk, mobile, sentRequests, transport, statuses, clock } = await ringing();
    await answer(desk, 486, 'Busy Here');
    await answer(mobile, 486, 'Busy Here');
    expect(statuses()).toEqual([100, 486]);
    clock.advance(500);
    expect(statuses()).toEqual([100, 486, 486]);
    const proxyAcks = sentRequests('ACK').length;
    expect(proxyAcks).toBe(2);
    transport.deliver(caller.ack(transport.lastResponse().to.params.tag ?? ''), CALLER);
    await settle();
    expect(sentRequests('ACK')).toHaveLength(proxyAcks);
    // The ACK stopped Timer G: the 486 is not retransmitted any more.
    clock.advance(10_000);
    expect(statuses()).toEqual([100, 486, 486]);
  });
});
