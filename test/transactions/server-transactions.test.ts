import { describe, expect, it } from '@jest/globals';
import { ServerTransactions } from '../../src/transactions/server-transactions';
import { ManualClock } from '../../src/testing/manual-clock';
import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest } from '../../src/sip/message';

const request = (branch: string, sentBy = '192.0.2.1:5060', method = 'REGISTER'): SipRequest => {
  const parsed = parseSipMessage(`${method} sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP ${sentBy};branch=${branch}\r\nFrom: <sip:a@example.com>;tag=1\r\n`
    + `To: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`);
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test request does not parse');
  return parsed.message;
};

type Answer = { readonly response?: Uint8Array };
const answer = (text: string): Answer => ({ response: Buffer.from(text) });
const text = (a: Answer | undefined): string | undefined => (a?.response === undefined ? undefined : Buffer.from(a.response).toString());

/** A handler whose answer comes when the test says. */
const later = (): { handle: () => Promise<Answer>; answer: (text: string) => void } => {
  let settle: (a: Answer) => void = () => undefined;
  return { handle: () => new Promise<Answer>((resolve) => { settle = resolve; }), answer: (t) => settle(answer(t)) };
};

const sync = (a: Answer | Promise<Answer | undefined> | undefined): Answer | undefined => {
  if (a instanceof Promise) throw new Error('expected a synchronous answer');
  return a;
};

describe('ServerTransactions (RFC 3261 §17.2.2)', () => {
  it('absorbs a copy while the first is handled (Trying), then answers copies with the same response without handling them (Completed)', async () => {
    const clock = new ManualClock(1000);
    const transactions = new ServerTransactions<Answer>({ clock, waitMs: 32_000 });
    const slow = later();
    const first = transactions.run(request('z9hG4bK-1'), slow.handle);
    expect(transactions.run(request('z9hG4bK-1'), () => answer('copy'))).toBeUndefined();
    slow.answer('200 OK');
    expect(text(await first)).toBe('200 OK');
    let handled = 0;
    const again = (): Answer => { handled++; return answer('handled again'); };
    clock.advance(31_999);
    expect(text(sync(transactions.run(request('z9hG4bK-1'), again)))).toBe('200 OK');
    expect(handled).toBe(0);
    // The wait timer fired: the transaction is gone, a copy is a new request (and a synchronous answer keeps nothing).
    clock.advance(1);
    expect(text(sync(transactions.run(request('z9hG4bK-1'), again)))).toBe('handled again');
    expect(handled).toBe(1);
    expect(transactions.size).toBe(0);
  });

  it('drops Completed transactions whose wait timer fired as new requests arrive', async () => {
    const clock = new ManualClock(0);
    const transactions = new ServerTransactions<Answer>({ clock, waitMs: 100 });
    for (let i = 0; i < 5; i++) await transactions.run(request(`z9hG4bK-t${i}`), () => Promise.resolve(answer(`${i}`)));
    expect(transactions.size).toBe(5);
    clock.advance(100);
    await transactions.run(request('z9hG4bK-t9'), () => Promise.resolve(answer('9')));
    expect(transactions.size).toBe(1);
  });

  it('matches the branch with the sent-by and the method; a pre-RFC 3261 branch matches nothing', async () => {
    const transactions = new ServerTransactions<Answer>({ clock: new ManualClock(0) });
    const slow = later();
    const first = transactions.run(request('z9hG4bK-2'), slow.handle);
    expect(text(sync(transactions.run(request('z9hG4bK-2', '192.0.2.9:5060'), () => answer('other sent-by'))))).toBe('other sent-by');
    expect(text(sync(transactions.run(request('z9hG4bK-2', '192.0.2.1:5060', 'OPTIONS'), () => answer('other method'))))).toBe('other method');
    slow.answer('a');
    await first;
    const old = later();
    const pending = transactions.run(request('old-style'), old.handle);
    expect(text(sync(transactions.run(request('old-style'), () => answer('y'))))).toBe('y');
    old.answer('x');
    expect(text(await pending)).toBe('x');
  });

  it('keeps nothing for a synchronous answer, and forgets a request whose handling failed', async () => {
    const transactions = new ServerTransactions<Answer>({ clock: new ManualClock(0) });
    expect(text(sync(transactions.run(request('z9hG4bK-3'), () => answer('sync'))))).toBe('sync');
    expect(text(sync(transactions.run(request('z9hG4bK-3'), () => answer('sync again'))))).toBe('sync again');
    expect(transactions.size).toBe(0);
    await expect(transactions.run(request('z9hG4bK-4'), () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(transactions.size).toBe(0);
    expect(text(await transactions.run(request('z9hG4bK-4'), () => Promise.resolve(answer('ok'))))).toBe('ok');
  });

  it('with keepSyncAnswers, answers a copy of a synchronously answered request with the first response until the wait timer fires (a challenge keeps its nonce)', () => {
    const clock = new ManualClock(0);
    const transactions = new ServerTransactions<Answer>({ clock, keepSyncAnswers: true });
    let handled = 0;
    const challenge = (): Answer => answer(`401 nonce-${++handled}`);
    expect(text(sync(transactions.run(request('z9hG4bK-5'), challenge)))).toBe('401 nonce-1');
    clock.advance(4999);
    expect(text(sync(transactions.run(request('z9hG4bK-5'), challenge)))).toBe('401 nonce-1');
    expect(handled).toBe(1);
    clock.advance(1);
    expect(text(sync(transactions.run(request('z9hG4bK-5'), challenge)))).toBe('401 nonce-2');
  });

  it('absorbs a late copy without an answer once later responses have written over its own in the ring, and never handles it twice', () => {
    const transactions = new ServerTransactions<Answer>({ clock: new ManualClock(0), keepSyncAnswers: true });
    const large = (n: number): Answer => ({ response: Buffer.alloc(1 << 20, n) });
    let handled = 0;
    const handle = (n: number) => (): Answer => { handled++; return large(n); };
    transactions.run(request('z9hG4bK-ring-0'), handle(0));
    expect(sync(transactions.run(request('z9hG4bK-ring-0'), handle(99)))?.response?.[0]).toBe(0);
    for (let i = 1; i <= 8; i++) transactions.run(request(`z9hG4bK-ring-${i}`), handle(i));
    expect(handled).toBe(9);
    expect(sync(transactions.run(request('z9hG4bK-ring-0'), handle(99)))).toEqual({ response: undefined });
    expect(sync(transactions.run(request('z9hG4bK-ring-8'), handle(99)))?.response?.[0]).toBe(8);
    expect(handled).toBe(9);
  });

  it('keeps at most 131,072 transactions: beyond, the oldest is forgotten first', () => {
    const transactions = new ServerTransactions<Answer>({ clock: new ManualClock(0), keepSyncAnswers: true });
    const total = (1 << 17) + 2;
    for (let i = 0; i < total; i++) transactions.run(request(`z9hG4bK-cap-${i}`), () => answer(`${i}`));
    expect(transactions.size).toBe(1 << 17);
    expect(text(sync(transactions.run(request('z9hG4bK-cap-1'), () => answer('handled again'))))).toBe('handled again');
    expect(text(sync(transactions.run(request(`z9hG4bK-cap-${total - 1}`), () => answer('x'))))).toBe(`${total - 1}`);
  });
});
