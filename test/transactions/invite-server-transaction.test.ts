import { describe, expect, it } from '@jest/globals';
import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { InviteServerTransaction } from '../../src/transactions/invite-server-transaction';
import { resolveTransactionTimers } from '../../src/transactions/transaction-timers';

const ids = new IdSequence('ist');
const timers = resolveTransactionTimers('test', {});

/** An INVITE server transaction over `reliable`, recording the status lines it sends and what it tells its owner. */
function start(reliable = false) {
  const clock = new ManualClock(0);
  const parsed = parseSipMessage(buildRequest('INVITE', { ids }));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test INVITE does not parse');
  const request: SipRequest = parsed.message;
  const sent: string[] = [];
  const events: string[] = [];
  const transaction = new InviteServerTransaction({
    clock,
    timers,
    reliable,
    request,
    send: (bytes) => sent.push(Buffer.from(bytes).toString().split('\r\n')[0]),
    onTimeout: () => events.push('timeout'),
    onTerminated: () => events.push('terminated'),
  });
  const respond = (status: number): void => transaction.respond(status, new TextEncoder().encode(buildResponseText(request, status, 'Reason')));
  return { clock, sent, events, transaction, respond };
}

describe('InviteServerTransaction (RFC 3261 §17.2.1, RFC 6026 §7.1)', () => {
  it('sends 100 Trying after 200 ms when the TU has not answered, and resends the last provisional response for a retransmitted INVITE', () => {
    const { clock, sent, transaction, respond } = start();
    transaction.receiveInvite();
    expect(sent).toEqual([]);
    clock.advance(199);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual(['SIP/2.0 100 Trying']);
    transaction.receiveInvite();
    respond(180);
    transaction.receiveInvite();
    expect(sent).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying', 'SIP/2.0 180 Reason', 'SIP/2.0 180 Reason']);
    expect(transaction.state).toBe('proceeding');
  });

  it('sends no 100 Trying when the TU answers within 200 ms', () => {
    const { clock, sent, respond } = start();
    clock.advance(100);
    respond(183);
    clock.advance(1000);
    expect(sent).toEqual(['SIP/2.0 183 Reason']);
  });

  it('UDP: retransmits a non-2xx final response on Timer G (T1 doubling to T2) until Timer H (32 s) gives up waiting for the ACK', () => {
    const { clock, sent, events, transaction, respond } = start();
    respond(486);
    expect(transaction.state).toBe('completed');
    // Sent at 0 then at 500, 1500, 3500, 7500, then every 4000 ms up to 31500.
    for (const at of [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]) {
      clock.advance(at - 1 - clock.now());
      const before = sent.length;
      clock.advance(1);
      expect(sent).toHaveLength(before + 1);
    }
    expect(sent.every((line) => line === 'SIP/2.0 486 Reason')).toBe(true);
    // A late copy of the INVITE is answered from Completed, not handed to the TU.
    transaction.receiveInvite();
    expect(sent).toHaveLength(12);
    clock.advance(499);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['terminated', 'timeout']);
    expect(clock.pending()).toBe(0);
  });

  it('UDP: the ACK stops Timer G and H (Confirmed); later ACKs are absorbed until Timer I (T4 = 5 s)', () => {
    const { clock, sent, events, transaction, respond } = start();
    respond(404);
    clock.advance(500);
    expect(sent).toHaveLength(2);
    expect(transaction.receiveAck()).toBe(true);
    expect(transaction.state).toBe('confirmed');
    transaction.receiveInvite();
    clock.advance(4999);
    expect(sent).toHaveLength(2);
    expect(transaction.receiveAck()).toBe(true);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['terminated']);
    expect(clock.pending()).toBe(0);
  });

  it('TCP: no Timer G, Timer H still runs, and Timer I is 0', () => {
    const timedOut = start(true);
    timedOut.respond(486);
    timedOut.clock.advance(31_999);
    expect(timedOut.sent).toEqual(['SIP/2.0 486 Reason']);
    timedOut.clock.advance(1);
    expect(timedOut.events).toEqual(['terminated', 'timeout']);

    const acked = start(true);
    acked.respond(486);
    expect(acked.transaction.receiveAck()).toBe(true);
    expect(acked.events).toEqual(['terminated']);
    expect(acked.clock.pending()).toBe(0);
  });

  it('a 2xx moves to Accepted: 2xx retransmissions from the TU are sent, INVITE copies absorbed, ACKs handed to the TU, until Timer L (32 s)', () => {
    const { clock, sent, events, transaction, respond } = start();
    respond(200);
    expect(transaction.state).toBe('accepted');
    transaction.receiveInvite();
    respond(200);
    respond(180);
    respond(500);
    expect(transaction.receiveAck()).toBe(false);
    expect(sent).toEqual(['SIP/2.0 200 Reason', 'SIP/2.0 200 Reason']);
    clock.advance(31_999);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['terminated']);
    expect(clock.pending()).toBe(0);
  });
});
