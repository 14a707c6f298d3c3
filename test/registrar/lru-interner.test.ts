import { describe, expect, it } from '@jest/globals';
import { lruInterner } from '../../src/registrar/lru-interner';

describe('lruInterner', () => {
  it('keeps at most its character budget after a flood of distinct long User-Agents (issue 23: 80 MB kept after the bindings expired)', () => {
    const interner = lruInterner();
    const long = 'x'.repeat(8000);
    for (let i = 0; i < 10_000; i++) interner.userAgent(`phone/${i} ${long}`);
    expect(interner.keptChars).toBeLessThanOrEqual(1 << 20);
    expect(interner.keptChars).toBeGreaterThan(0);
  });

  it('does not keep a value longer than its whole budget, and returns it as given', () => {
    const interner = lruInterner(10, 100);
    const huge = 'y'.repeat(1000);
    expect(interner.userAgent(huge)).toBe(huge);
    expect(interner.methods(['INVITE', huge])).toEqual(['INVITE', huge]);
    expect(interner.keptChars).toBe(0);
  });

  it('still shares the method lists of a fleet (one frozen array per distinct list)', () => {
    const interner = lruInterner(10, 100);
    const first = interner.methods(['INVITE', 'ACK']);
    interner.methods(['OPTIONS']);
    expect(interner.methods(['INVITE', 'ACK'])).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(interner.methods([''])).toEqual(['']);
    expect(interner.keptChars).toBe('INVITE,ACK'.length + 1 + 'OPTIONS'.length + 1 + 1);
  });

  it('formats each endpoint once', () => {
    const interner = lruInterner();
    const local = { protocol: 'udp' as const, address: '127.0.0.1', port: 5060 };
    expect(interner.socket(local)).toBe(interner.socket(local));
  });
});
