import { describe, expect, it } from '@jest/globals';
import type { SipRequest, SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { InviteClientTransaction } from '../../src/transactions/invite-client-transaction';
import { resolveTransactionTimers } from '../../src/transactions/transaction-timers';

const ids = new IdSequence('ict');
const timers = resolveTransactionTimers('test', {});

const parse = (text: string | Uint8Array): ReturnType<typeof parseSipMessage> & { ok: true } => {
  const parsed = parseSipMessage(text);
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed;
};
const asRequest = (text: string | Uint8Array): SipRequest => {
  const { message } = parse(text);
  if (message.kind !== 'request') throw new Error('not a request');
  return message;
};
const asResponse = (text: string): SipResponse => {
  const { message } = parse(text);
  if (message.kind !== 'response') throw new Error('not a response');
  return message;
};

/** An INVITE client transaction over `reliable`, recording what it sends and tells the TU. */
function start(reliable = false) {
  const clock = new ManualClock(0);
  const text = buildRequest('INVITE', { headers: [['Route', '<sip:proxy.example.com;lr>']], ids });
  const request = asRequest(text);
  const sent: string[] = [];
  const tu: string[] = [];
  const transaction = new InviteClientTransaction({
    clock,
    timers,
    reliable,
    request,
    bytes: new TextEncoder().encode(text),
    send: (bytes) => sent.push(Buffer.from(bytes).toString()),
    onResponse: (response) => tu.push(`${response.status}`),
    onTimeout: () => tu.push('timeout'),
    onTerminated: () => tu.push('terminated'),
  });
  const response = (status: number): SipResponse => asResponse(buildResponseText(text, status, 'Reason', undefined, { toTag: 'callee' }));
  return { clock, text, sent, tu, transaction, response };
}

describe('InviteClientTransaction (RFC 3261 §17.1.1, RFC 6026 §7.2)', () => {
  it('UDP: retransmits the INVITE on Timer A (500, 1000, 2000 … ms, no cap) and gives up on Timer B (32 s) while Calling', () => {
    const { clock, text, sent, tu, transaction } = start();
    expect(sent).toEqual([text]);
    // Sent at 0 then at 500, 1500, 3500, 7500, 15500 and 31500 ms (doubling, never capped at T2).
    for (const at of [500, 1500, 3500, 7500, 15500, 31500]) {
      clock.advance(at - 1 - clock.now());
      const before = sent.length;
      clock.advance(1);
      expect(sent).toHaveLength(before + 1);
    }
    expect(sent.every((s) => s === text)).toBe(true);
    clock.advance(499);
    expect(tu).toEqual([]);
    clock.advance(1);
    expect(tu).toEqual(['terminated', 'timeout']);
    expect(transaction.state).toBe('terminated');
    expect(clock.pending()).toBe(0);
  });

  it('TCP: sends once, no Timer A; Timer B still times out', () => {
    const { clock, sent, tu } = start(true);
    clock.advance(31_999);
    expect(sent).toHaveLength(1);
    expect(tu).toEqual([]);
    clock.advance(1);
    expect(tu).toEqual(['terminated', 'timeout']);
  });

  it('a provisional response stops Timer A and Timer B (Proceeding waits for the final response)', () => {
    const { clock, sent, tu, transaction, response } = start();
    transaction.receive(response(180));
    expect(transaction.state).toBe('proceeding');
    clock.advance(120_000);
    expect(sent).toHaveLength(1);
    expect(tu).toEqual(['180']);
    expect(clock.pending()).toBe(0);
  });

  it('a non-2xx final response is ACKed (§17.1.1.3) and its retransmissions are ACKed again, not handed to the TU, until Timer D (32 s)', () => {
    const { clock, text, sent, tu, transaction, response } = start();
    transaction.receive(response(180));
    transaction.receive(response(486));
    expect(transaction.state).toBe('completed');
    expect(tu).toEqual(['180', '486']);
    const ack = asRequest(sent[1]);
    const invite = asRequest(text);
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe(invite.uri);
    expect(ack.via.map((v) => v.raw)).toEqual([invite.via[0].raw]);
    expect(ack.route.map((r) => r.raw)).toEqual(['<sip:proxy.example.com;lr>']);
    expect(ack.from.raw).toBe(invite.from.raw);
    expect(ack.to.params.tag).toBe('callee');
    expect(ack.callId).toBe(invite.callId);
    expect(ack.cseq).toEqual({ seq: invite.cseq.seq, method: 'ACK' });
    clock.advance(31_999);
    transaction.receive(response(486));
    expect(sent).toEqual([text, sent[1], sent[1]]);
    expect(tu).toEqual(['180', '486']);
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(tu).toEqual(['180', '486', 'terminated']);
    transaction.receive(response(486));
    expect(sent).toHaveLength(3);
  });

  it('TCP: Timer D is 0, the transaction ends with the non-2xx final response', () => {
    const { sent, tu, transaction, response } = start(true);
    transaction.receive(response(503));
    expect(sent).toHaveLength(2);
    expect(tu).toEqual(['503', 'terminated']);
    expect(transaction.state).toBe('terminated');
  });

  it('a 2xx moves to Accepted: 2xx retransmissions still reach the TU (it ACKs them), other responses are dropped, until Timer M (32 s)', () => {
    const { clock, sent, tu, transaction, response } = start();
    transaction.receive(response(200));
    expect(transaction.state).toBe('accepted');
    clock.advance(31_999);
    transaction.receive(response(200));
    transaction.receive(response(180));
    transaction.receive(response(500));
    expect(tu).toEqual(['200', '200']);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(tu).toEqual(['200', '200', 'terminated']);
    expect(clock.pending()).toBe(0);
  });
});
