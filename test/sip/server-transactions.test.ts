import { describe, expect, it } from '@jest/globals';
import { ServerTransactions } from '../../src/sip/server-transactions';
import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest } from '../../src/sip/message';

const request = (branch: string, sentBy = '192.0.2.1:5060', method = 'REGISTER'): SipRequest => {
  const parsed = parseSipMessage(`${method} sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP ${sentBy};branch=${branch}\r\nFrom: <sip:a@example.com>;tag=1\r\n`
    + `To: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`);
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test request does not parse');
  return parsed.message;
};

/** A handler whose answer comes when the test says. */
const later = (): { handle: () => Promise<string>; answer: (text: string) => void } => {
  let answer: (text: string) => void = () => undefined;
  return { handle: () => new Promise<string>((resolve) => { answer = resolve; }), answer: (text) => answer(text) };
};

describe('ServerTransactions (RFC 3261 §17.2.2, Trying state)', () => {
  it('absorbs a copy of a request still being handled, and handles it again once answered', async () => {
    const transactions = new ServerTransactions<string>();
    const slow = later();
    const first = transactions.run(request('z9hG4bK-1'), slow.handle);
    expect(transactions.run(request('z9hG4bK-1'), () => 'copy')).toBeUndefined();
    slow.answer('200 OK');
    expect(await first).toBe('200 OK');
    expect(transactions.run(request('z9hG4bK-1'), () => 'after')).toBe('after');
  });

  it('matches the branch with the sent-by and the method; a pre-RFC 3261 branch matches nothing', async () => {
    const transactions = new ServerTransactions<string>();
    const slow = later();
    const first = transactions.run(request('z9hG4bK-2'), slow.handle);
    expect(transactions.run(request('z9hG4bK-2', '192.0.2.9:5060'), () => 'other sent-by')).toBe('other sent-by');
    expect(transactions.run(request('z9hG4bK-2', '192.0.2.1:5060', 'OPTIONS'), () => 'other method')).toBe('other method');
    slow.answer('a');
    await first;
    const old = later();
    const pending = transactions.run(request('old-style'), old.handle);
    expect(transactions.run(request('old-style'), () => 'y')).toBe('y');
    old.answer('x');
    expect(await pending).toBe('x');
  });

  it('keeps nothing for a synchronous answer, and forgets a request whose handling failed', async () => {
    const transactions = new ServerTransactions<string>();
    expect(transactions.run(request('z9hG4bK-3'), () => 'sync')).toBe('sync');
    expect(transactions.run(request('z9hG4bK-3'), () => 'sync again')).toBe('sync again');
    await expect(transactions.run(request('z9hG4bK-4'), () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await transactions.run(request('z9hG4bK-4'), () => Promise.resolve('ok'))).toBe('ok');
  });
});
