import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/errors/sdk-error';
import { GRAMMAR_BUDGET_SPENT, GrammarBudget } from '../../src/sip/grammar-budget';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';

/** An OPTIONS whose Via ends in a comment: the scanner declines it, the grammar rejects it (bad-via). */
const DECLINED = 'OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1 (comment)\r\n'
  + 'Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: abc\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
const SCANNED = DECLINED.replace(' (comment)', '');

describe('GrammarBudget (the grammar tier bounded against floods, RFC 3261 §26.1.5)', () => {
  it('allows perSecond parses a second, refilled in proportion to time, with at most a tenth of a second saved up', () => {
    const clock = new ManualClock();
    const budget = new GrammarBudget(40, clock);
    const takes = (n: number): boolean[] => Array.from({ length: n }, () => budget.take());
    expect(takes(5)).toEqual([true, true, true, true, false]);
    clock.advance(25);
    expect(takes(2)).toEqual([true, false]);
    clock.advance(60_000);
    expect(takes(5)).toEqual([true, true, true, true, false]);
    let allowed = 0;
    for (let ms = 0; ms < 1000; ms += 5) {
      clock.advance(5);
      allowed += takes(3).filter(Boolean).length;
    }
    expect(allowed).toBe(40);
  });

  it('never allows one with 0, and refuses a budget that is not a whole number ≥ 0', () => {
    const clock = new ManualClock();
    const none = new GrammarBudget(0, clock);
    clock.advance(10_000);
    expect(none.take()).toBe(false);
    expect(() => new GrammarBudget(-1, clock)).toThrow(ConfigError);
    expect(() => new GrammarBudget(1.5, clock)).toThrow(/whole number/);
  });

  it('is spent only by what the scanner declines: parseSipMessage answers grammar-budget-spent unparsed, and scanned messages go on', () => {
    const budget = new GrammarBudget(1, new ManualClock());
    const first = parseSipMessage(DECLINED, undefined, undefined, budget);
    expect(first).toMatchObject({ ok: false, error: { reason: 'bad-via' } });
    expect(parseSipMessage(DECLINED, undefined, undefined, budget)).toEqual({ ok: false, error: { reason: GRAMMAR_BUDGET_SPENT } });
    for (let i = 0; i < 3; i++) expect(parseSipMessage(SCANNED, undefined, undefined, budget)).toMatchObject({ ok: true, tier: 'scanner' });
  });
});
