import { describe, expect, it } from '@jest/globals';
import { ExpiryWheel } from '../../src/stores/expiry-wheel';

const T0 = 1_700_000_000_000;

describe('ExpiryWheel', () => {
  it('reports due AORs earliest bucket first and keeps them until they change', () => {
    const wheel = new ExpiryWheel();
    const expiry = new Map([
      ['b', T0 + 2500],
      ['a', T0 + 1200],
      ['c', T0 + 9000],
    ]);
    for (const [aor, at] of expiry) wheel.add(aor, at);
    const earliest = (aor: string) => expiry.get(aor);
    expect(wheel.collect(T0 + 1199, 10, earliest)).toEqual([]);
    expect(wheel.collect(T0 + 2500, 10, earliest)).toEqual(['a', 'b']);
    expect(wheel.collect(T0 + 2500, 1, earliest)).toEqual(['a']);
    expect(wheel.entries).toBe(3);
  });

  it('moves an entry to the later bucket of a refreshed AOR and drops entries of gone AORs', () => {
    const wheel = new ExpiryWheel();
    const expiry = new Map([
      ['refreshed', T0 + 1000],
      ['gone', T0 + 1000],
    ]);
    for (const [aor, at] of expiry) wheel.add(aor, at);
    expiry.set('refreshed', T0 + 60_000);
    expiry.delete('gone');
    const earliest = (aor: string) => expiry.get(aor);
    expect(wheel.collect(T0 + 30_000, 10, earliest)).toEqual([]);
    expect(wheel.entries).toBe(1);
    expect(wheel.collect(T0 + 60_000, 10, earliest)).toEqual(['refreshed']);
  });

  it('reports a duplicated AOR once and drops the duplicate', () => {
    const wheel = new ExpiryWheel();
    wheel.add('dup', T0);
    wheel.add('dup', T0 + 10);
    expect(wheel.collect(T0 + 10, 10, () => T0)).toEqual(['dup']);
    expect(wheel.entries).toBe(1);
  });

  it('drops an entry later than its AOR when an earlier one covers it', () => {
    const wheel = new ExpiryWheel();
    wheel.add('x', T0 + 5000);
    wheel.add('x', T0 + 1000);
    expect(wheel.collect(T0 + 5000, 10, () => T0 + 1000)).toEqual(['x']);
    expect(wheel.entries).toBe(1);
  });

  it('never reports NaN expiries and tolerates a zero limit', () => {
    const wheel = new ExpiryWheel();
    wheel.add('nan', Number.NaN);
    wheel.add('due', T0);
    expect(wheel.collect(T0, 0, () => T0)).toEqual([]);
    expect(wheel.collect(Number.MAX_SAFE_INTEGER, 10, (aor) => (aor === 'nan' ? Number.NaN : T0))).toEqual(['due']);
  });

  it('rebuild replaces every entry', () => {
    const wheel = new ExpiryWheel();
    for (let i = 0; i < 10; i++) wheel.add('same', T0 + i * 1000);
    wheel.rebuild([['same', T0]]);
    expect(wheel.entries).toBe(1);
    expect(ExpiryWheel.movedEarlier(T0 + 1999, T0 + 1000)).toBe(false);
    expect(ExpiryWheel.movedEarlier(T0 + 2000, T0 + 1999)).toBe(true);
  });
});
