import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/ports/logger';
import type { TransactionOutcome } from '../../src/ports/transport';
import type { SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { ClientTransactions, clientTransactionKey } from '../../src/transactions/non-invite-client-transactions';
import { resolveTransactionTimers } from '../../src/transactions/transaction-timers';

const ids = new IdSequence('nict');

/** A transaction table on a manual clock, and one OPTIONS request sent through it over `reliable`. */
function start(reliable = false) {
  const clock = new ManualClock(0);
  const table = new ClientTransactions(clock, resolveTransactionTimers('test', {}), silentLogger);
  const text = buildRequest('OPTIONS', { via: { branch: 'z9hG4bK-nict', transport: reliable ? 'TCP' : 'UDP' }, ids });
  const key = clientTransactionKey('z9hG4bK-nict', 'OPTIONS');
  let sends = 0;
  const send = { reliable, send: () => { sends++; return Promise.resolve(); } };
  const state: { outcome?: TransactionOutcome } = {};
  void table.start(key, send).then((outcome) => { state.outcome = outcome; });
  const response = (status: number): SipResponse => {
    const parsed = parseSipMessage(buildResponseText(text, status, 'Reason'));
    if (!parsed.ok || parsed.message.kind !== 'response') throw new Error('test response does not parse');
    return parsed.message;
  };
  return { clock, table, key, send, sends: () => sends, state, response };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClientTransactions (RFC 3261 §17.1.2)', () => {
  it('UDP: Timer E retransmits at T1 doubling to T2, Timer F (64·T1) times out', async () => {
    const { clock, sends, state } = start();
    for (const [count, at] of [[2, 500], [3, 1500], [4, 3500], [5, 7500], [6, 11500]] as const) {
      clock.advance(at - 1 - clock.now());
      expect(sends()).toBe(count - 1);
      clock.advance(1);
      expect(sends()).toBe(count);
    }
    clock.advance(32_000 - clock.now());
    await settled();
    expect(state.outcome).toEqual({ kind: 'timeout' });
    expect(clock.pending()).toBe(0);
  });

  it('UDP: after the final response, Timer K (T4) keeps the transaction Completed, absorbing copies of the response', async () => {
    const { clock, table, sends, state, response } = start();
    expect(table.receive(response(100))).toBe(true);
    expect(table.receive(response(200))).toBe(true);
    await settled();
    expect(state.outcome).toMatchObject({ kind: 'response', response: { status: 200 } });
    clock.advance(4999);
    expect(sends()).toBe(1);
    expect(table.receive(response(200))).toBe(true);
    clock.advance(1);
    expect(table.receive(response(200))).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('TCP: Timer K is 0, the final response ends the transaction', async () => {
    const { clock, table, state, response } = start(true);
    expect(table.receive(response(404))).toBe(true);
    await settled();
    expect(state.outcome).toMatchObject({ kind: 'response', response: { status: 404 } });
    expect(table.receive(response(404))).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('a request sent again with the branch of a Completed transaction starts afresh; one in flight is refused', async () => {
    const { clock, table, key, send, response } = start();
    expect(() => table.start(key, send)).toThrow('already in flight');
    table.receive(response(200));
    const again = table.start(key, send);
    expect(table.receive(response(200))).toBe(true);
    expect(await again).toMatchObject({ kind: 'response' });
    table.closeAll(new Error('closing'));
    expect(clock.pending()).toBe(0);
  });
});
