import { describe, expect, it } from '@jest/globals';
import type { SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { NonInviteClientTransaction } from '../../src/transactions/non-invite-client-transaction';
import { resolveTransactionTimers } from '../../src/transactions/transaction-timers';

const text = buildRequest('MESSAGE', { via: { branch: 'z9hG4bK-nict-1' }, ids: new IdSequence('nict1') });
const bytes = new TextEncoder().encode(text);

function response(status: number): SipResponse {
  const parsed = parseSipMessage(buildResponseText(text, status, 'Reason'));
  if (!parsed.ok || parsed.message.kind !== 'response') throw new Error('test response does not parse');
  return parsed.message;
}

/** A transaction on a manual clock with RFC 3261 Table 4 timers, and what it did. */
function start(reliable: boolean, sentAlready = false) {
  const clock = new ManualClock(0);
  const log = { sends: 0, responses: [] as number[], timeouts: 0, terminated: 0 };
  const transaction = new NonInviteClientTransaction({
    clock,
    timers: resolveTransactionTimers('test', {}),
    reliable,
    bytes,
    sentAlready,
    send: (b) => {
      expect(b).toBe(bytes);
      log.sends++;
    },
    onResponse: (r) => log.responses.push(r.status),
    onTimeout: () => log.timeouts++,
    onTerminated: () => log.terminated++,
  });
  return { clock, transaction, log };
}

describe('NonInviteClientTransaction (RFC 3261 §17.1.2)', () => {
  it('UDP: sends at once, retransmits on Timer E (T1 doubling, capped at T2), Timer F (64·T1) times out', () => {
    const { clock, transaction, log } = start(false);
    expect(log.sends).toBe(1);
    // 500, 1500, 3500, 7500, 11500, 15500 ... (intervals 500, 1000, 2000, 4000, 4000 ...)
    for (const [at, sends] of [[499, 1], [500, 2], [1499, 2], [1500, 3], [3500, 4], [7500, 5], [11_499, 5], [11_500, 6]] as const) {
      clock.advance(at - clock.now());
      expect(log.sends).toBe(sends);
    }
    clock.advance(31_999 - clock.now());
    expect([log.timeouts, log.terminated, transaction.state]).toEqual([0, 0, 'trying']);
    clock.advance(1);
    expect([log.timeouts, log.terminated, transaction.state]).toEqual([1, 1, 'terminated']);
    expect(clock.pending()).toBe(0);
  });

  it('does not send again with sentAlready, but still retransmits and times out', () => {
    const { clock, log } = start(false, true);
    expect(log.sends).toBe(0);
    clock.advance(500);
    expect(log.sends).toBe(1);
  });

  it('UDP: a provisional moves it to Proceeding (Timer E goes on); the final to Completed, absorbing copies for Timer K (T4)', () => {
    const { clock, transaction, log } = start(false);
    transaction.receive(response(180));
    expect(transaction.state).toBe('proceeding');
    clock.advance(500);
    expect(log.sends).toBe(2);
    transaction.receive(response(200));
    expect(transaction.state).toBe('completed');
    transaction.receive(response(200));
    expect(log.responses).toEqual([180, 200]);
    clock.advance(4999);
    expect([log.sends, log.terminated]).toEqual([2, 0]);
    clock.advance(1);
    expect([transaction.state, log.terminated, log.timeouts]).toEqual(['terminated', 1, 0]);
    expect(clock.pending()).toBe(0);
  });

  it('TCP: no retransmission, and Terminated at once on the final response (Timer K is 0)', () => {
    const { clock, transaction, log } = start(true);
    clock.advance(10_000);
    expect(log.sends).toBe(1);
    transaction.receive(response(486));
    expect([transaction.state, log.terminated, log.responses]).toEqual(['terminated', 1, [486]]);
    expect(clock.pending()).toBe(0);
  });

  it('stop() ends it silently, once', () => {
    const { clock, transaction, log } = start(false);
    transaction.stop();
    transaction.stop();
    clock.advance(64_000);
    expect([log.sends, log.timeouts, log.terminated, transaction.state]).toEqual([1, 0, 1, 'terminated']);
  });
});
