import { describe, expect, it } from '@jest/globals';
import { ServerTransactions } from '../../src/sip/server-transactions';
import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest } from '../../src/sip/message';
import { ManualClock } from '../../src/testing/manual-clock';

const request = (branch: string, sentBy = '192.0.2.1:5060', method = 'REGISTER'): SipRequest => {
  const parsed = parseSipMessage(`${method} sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP ${sentBy};branch=${branch}\r\nFrom: <sip:a@example.com>;tag=1\r\n`
    + `To: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`);
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test request does not parse');
  return parsed.message;
};

describe('ServerTransactions (RFC 3261 §17.2.2)', () => {
  it('handles a request once: nothing for a copy while pending, the same answer after, for Timer J', async () => {
    const clock = new ManualClock(0);
    const transactions = new ServerTransactions<string>();
    let release: (answer: string) => void = () => undefined;
    const first = transactions.run(request('z9hG4bK-1'), clock, () => new Promise<string>((resolve) => { release = resolve; }));
    expect(transactions.run(request('z9hG4bK-1'), clock, () => 'again')).toBeUndefined();
    release('200 OK');
    expect(await first).toBe('200 OK');
    clock.advance(31_999);
    expect(transactions.run(request('z9hG4bK-1'), clock, () => 'again')).toBe('200 OK');
    clock.advance(1);
    expect(transactions.run(request('z9hG4bK-1'), clock, () => 'after Timer J')).toBe('after Timer J');
  });

  it('matches the branch with the sent-by and the method; a pre-RFC 3261 branch matches nothing', () => {
    const clock = new ManualClock(0);
    const transactions = new ServerTransactions<string>();
    expect(transactions.run(request('z9hG4bK-2'), clock, () => 'a')).toBe('a');
    expect(transactions.run(request('z9hG4bK-2', '192.0.2.9:5060'), clock, () => 'other sent-by')).toBe('other sent-by');
    expect(transactions.run(request('z9hG4bK-2', '192.0.2.1:5060', 'OPTIONS'), clock, () => 'other method')).toBe('other method');
    expect(transactions.run(request('old-style'), clock, () => 'x')).toBe('x');
    expect(transactions.run(request('old-style'), clock, () => 'y')).toBe('y');
  });

  it('forgets a transaction whose handling failed, so a retransmission is handled again', async () => {
    const clock = new ManualClock(0);
    const transactions = new ServerTransactions<string>();
    await expect(transactions.run(request('z9hG4bK-3'), clock, () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(() => transactions.run(request('z9hG4bK-4'), clock, () => { throw new Error('bug'); })).toThrow('bug');
    expect(await transactions.run(request('z9hG4bK-3'), clock, () => Promise.resolve('ok'))).toBe('ok');
    expect(transactions.run(request('z9hG4bK-4'), clock, () => 'ok')).toBe('ok');
  });

  it('keeps at most max transactions: beyond them the oldest generation is forgotten', () => {
    const clock = new ManualClock(0);
    const transactions = new ServerTransactions<number>(4);
    for (let k = 0; k < 6; k++) transactions.run(request(`z9hG4bK-${k}`), clock, () => k);
    expect(transactions.run(request('z9hG4bK-5'), clock, () => -1)).toBe(5);
    expect(transactions.run(request('z9hG4bK-0'), clock, () => -1)).toBe(-1);
  });
});
