import { describe, expect, it } from '@jest/globals';
import { buildRequest } from '../../src/testing/message-builders';
import { CALLER, forkingHarness, settle } from './forking-harness';

const AOR = 'sip:bob@example.com';
const DESK = 'sip:bob@192.0.2.20:5062';
const MOBILE = 'sip:bob@192.0.2.21:5064';

async function calling(method = 'INVITE') {
  const h = forkingHarness({ frTimeoutMs: 3000, frInvTimeoutMs: 10_000 });
  await h.register(AOR, [{ uri: DESK, q: 1 }, { uri: MOBILE, q: 1 }]);
  h.transport.deliver(buildRequest(method, { to: AOR, ids: h.ids }), CALLER);
  await settle();
  return h;
}

describe('fr_timeout and fr_inv_timeout through createRegistrarServer (RFC 3261 §16.8, §16.6 step 11)', () => {
  it('answers 408 after fr_timeout when no branch answered at all, and sends no CANCEL', async () => {
    const { clock, sentRequests, statuses } = await calling();
    expect(statuses()).toEqual([100]);
    clock.advance(2999);
    expect(statuses()).toEqual([100]);
    clock.advance(1);
    expect(statuses()).toEqual([100, 408]);
    expect(sentRequests('CANCEL')).toHaveLength(0);
    // Timer A retransmitted the INVITEs until then, and stops with the branches.
    const invites = sentRequests('INVITE').length;
    clock.advance(60_000);
    expect(sentRequests('INVITE')).toHaveLength(invites);
    expect(sentRequests('CANCEL')).toHaveLength(0);
  });

  it('cancels a branch that starts ringing after fr_timeout gave up on it, without relaying its 180 (Kamailio tm cancel_b_method 1)', async () => {
    const { answer, branchTo, clock, sentRequests, statuses } = await calling();
    clock.advance(3000);
    expect(statuses()).toEqual([100, 408]);
    const desk = branchTo(DESK);
    await answer(desk, 180, 'Ringing');
    expect(sentRequests('CANCEL').map((c) => c.uri)).toEqual([DESK]);
    expect(statuses()).toEqual([100, 408]);
    // The CANCEL goes once; its INVITE's 487 is ACKed by the branch and not relayed.
    await answer(desk, 180, 'Ringing');
    await answer(desk, 487, 'Request Terminated');
    expect(sentRequests('CANCEL')).toHaveLength(1);
    expect(sentRequests('ACK').map((a) => a.uri)).toEqual([DESK]);
    expect(statuses()).toEqual([100, 408]);
  });

  it('still relays a 2xx from a branch after fr_timeout gave up on it (RFC 3261 §16.7 step 5)', async () => {
    const { answer, branchTo, clock, statuses } = await calling();
    clock.advance(3000);
    await answer(branchTo(MOBILE), 200, 'OK');
    expect(statuses()).toEqual([100, 408, 200]);
  });

  it('keeps a ringing branch past fr_timeout, then cancels it after fr_inv_timeout and answers 408', async () => {
    const { answer, branchTo, clock, sentRequests, statuses } = await calling();
    await answer(branchTo(DESK), 180, 'Ringing');
    await answer(branchTo(MOBILE), 180, 'Ringing');
    clock.advance(3000);
    expect(statuses()).toEqual([100, 180, 180]);
    expect(sentRequests('CANCEL')).toHaveLength(0);
    clock.advance(10_000 - 3000 - 1);
    expect(sentRequests('CANCEL')).toHaveLength(0);
    clock.advance(1);
    expect(sentRequests('CANCEL').map((c) => c.uri).sort()).toEqual([DESK, MOBILE]);
    expect(statuses()).toEqual([100, 180, 180, 408]);
  });

  // Core bug: ProxyBranch sets Timer C on the first provisional only. RFC 3261 §16.7 step 2 says
  // every provisional (101-199) MUST reset it (OpenSIPS tm restart_fr_on_each_reply, default on).
  it('resets fr_inv_timeout on every later provisional response (RFC 3261 §16.7 step 2)', async () => {
    const { answer, branchTo, clock, sentRequests, statuses } = await calling();
    const desk = branchTo(DESK);
    await answer(desk, 180, 'Ringing');
    await answer(branchTo(MOBILE), 486, 'Busy Here');
    clock.advance(9000);
    await answer(desk, 183, 'Session Progress');
    clock.advance(9999);
    expect(sentRequests('CANCEL')).toHaveLength(0);
    clock.advance(1);
    expect(sentRequests('CANCEL')).toHaveLength(1);
    expect(statuses()).toEqual([100, 180, 183, 486]);
  });

  it('answers a 408 for a silent branch next to a ringing one that then fails, choosing the ringing one\'s answer', async () => {
    const { answer, branchTo, clock, sentRequests, statuses } = await calling();
    const desk = branchTo(DESK);
    await answer(desk, 180, 'Ringing');
    clock.advance(3000);
    // The silent mobile got no CANCEL (it never answered, §9.1); the desk still rings.
    expect(sentRequests('CANCEL')).toHaveLength(0);
    await answer(desk, 486, 'Busy Here');
    expect(statuses()).toEqual([100, 180, 486]);
  });

  it('answers 408 after fr_timeout for a non-INVITE request that got no final response', async () => {
    const { clock, statuses } = await calling('MESSAGE');
    expect(statuses()).toEqual([]);
    clock.advance(2999);
    expect(statuses()).toEqual([]);
    clock.advance(1);
    expect(statuses()).toEqual([408]);
  });
});
