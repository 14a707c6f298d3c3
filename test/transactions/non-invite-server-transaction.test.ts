import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/testing/manual-clock';
import { NonInviteServerTransaction } from '../../src/transactions/non-invite-server-transaction';
import { resolveTransactionTimers } from '../../src/transactions/transaction-timers';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

function start(reliable: boolean) {
  const clock = new ManualClock(0);
  const sent: string[] = [];
  let terminated = 0;
  const transaction = new NonInviteServerTransaction({
    clock,
    timers: resolveTransactionTimers('test', {}),
    reliable,
    send: (b) => sent.push(new TextDecoder().decode(b)),
    onTerminated: () => terminated++,
  });
  return { clock, transaction, sent, terminated: () => terminated };
}

describe('NonInviteServerTransaction (RFC 3261 §17.2.2)', () => {
  it('absorbs a retransmission before any response, then answers it with the last provisional or final response', () => {
    const { transaction, sent } = start(false);
    transaction.receiveRequest();
    expect(sent).toEqual([]);
    transaction.respond(180, bytesOf('180'));
    expect(transaction.state).toBe('proceeding');
    transaction.receiveRequest();
    transaction.respond(200, bytesOf('200'));
    transaction.receiveRequest();
    expect(sent).toEqual(['180', '180', '200', '200']);
  });

  it('UDP: ignores responses after the final one and stays Completed for Timer J (64·T1), then is Terminated', () => {
    const { clock, transaction, sent, terminated } = start(false);
    transaction.respond(404, bytesOf('404'));
    transaction.respond(200, bytesOf('200'));
    expect([transaction.state, sent]).toEqual(['completed', ['404']]);
    clock.advance(31_999);
    transaction.receiveRequest();
    expect([sent.length, terminated()]).toEqual([2, 0]);
    clock.advance(1);
    expect([transaction.state, terminated()]).toEqual(['terminated', 1]);
    transaction.receiveRequest();
    expect(sent).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });

  it('TCP: Terminated at once on the final response (Timer J is 0)', () => {
    const { clock, transaction, terminated } = start(true);
    transaction.respond(200, bytesOf('200'));
    expect([transaction.state, terminated()]).toEqual(['terminated', 1]);
    expect(clock.pending()).toBe(0);
  });
});
