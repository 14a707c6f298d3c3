import { NonceCounts } from '../../src/auth/nonce-counts';
import { ManualClock } from '../../src/testing/manual-clock';

/** What the signature check of the nonces established: realm, no source binding, issue time. */
const SIGNED = { realm: 'example.com', address: undefined, issuedMs: 1_699_999_990_000 };

describe('NonceCounts: nc replay protection (RFC 7616 §3.4, Kamailio nonce_count)', () => {
  it('accepts each count once, in order or out of order within the 64 below the highest', () => {
    const counts = new NonceCounts(10, 35_000, new ManualClock(0));
    expect(counts.accept('n', 1, SIGNED)).toBe(true);
    expect(counts.accept('n', 1, SIGNED)).toBe(false);
    expect(counts.accept('n', 3, SIGNED)).toBe(true);
    expect(counts.accept('n', 2, SIGNED)).toBe(true);
    expect(counts.accept('n', 2, SIGNED)).toBe(false);
    expect(counts.accept('n', 3, SIGNED)).toBe(false);
    expect(counts.accept('other', 1, SIGNED)).toBe(true);
  });

  it('remembers exactly the 64 counts below the highest, across word boundaries and large jumps', () => {
    for (const jump of [1, 31, 32, 33, 63, 64, 65, 200]) {
      const counts = new NonceCounts(10, 35_000, new ManualClock(0));
      const base = 10;
      expect(counts.accept('n', base, SIGNED)).toBe(true);
      expect(counts.accept('n', base + jump, SIGNED)).toBe(true);
      const top = base + jump;
      // The old highest is a replay while inside the window, and so is everything below the window.
      expect(counts.accept('n', base, SIGNED)).toBe(false);
      for (let nc = Math.max(1, top - 64); nc < top; nc++) {
        if (nc === base) continue;
        expect([jump, nc, counts.accept('n', nc, SIGNED)]).toEqual([jump, nc, true]);
        expect([jump, nc, counts.accept('n', nc, SIGNED)]).toEqual([jump, nc, false]);
      }
      if (top - 65 >= 1) expect(counts.accept('n', top - 65, SIGNED)).toBe(false);
    }
  });

  it('forgets the least recently used nonce beyond capacity, and every nonce after its time to live', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const counts = new NonceCounts(2, 35_000, clock);
    counts.accept('a', 1, SIGNED);
    counts.accept('b', 1, SIGNED);
    counts.accept('c', 1, SIGNED);
    expect(counts.accept('a', 1, SIGNED)).toBe(true);
    expect(counts.accept('c', 1, SIGNED)).toBe(false);
    clock.advance(35_000);
    expect(counts.accept('c', 1, SIGNED)).toBe(false);
    clock.advance(1);
    expect(counts.accept('c', 1, SIGNED)).toBe(true);
  });

  it('finds the origin of a counted nonce for the realm and source its signature was checked for, and nothing else', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const counts = new NonceCounts(10, 35_000, clock);
    const issued = (nonce: string, realm: string, address?: string): number | undefined => counts.find(nonce, realm, address)?.issuedMs;
    expect(counts.find('n', 'example.com', undefined)).toBeUndefined();
    expect(counts.accept('n', 1, { realm: 'example.com', address: undefined, issuedMs: 1_699_999_990_000 })).toBe(true);
    expect(counts.accept('bound', 1, { realm: 'example.com', address: '192.0.2.10', issuedMs: 1_699_999_995_000 })).toBe(true);
    expect(issued('n', 'example.com')).toBe(1_699_999_990_000);
    expect(issued('n', 'example.org')).toBeUndefined();
    expect(issued('n', 'example.com', '192.0.2.10')).toBeUndefined();
    expect(issued('bound', 'example.com', '192.0.2.10')).toBe(1_699_999_995_000);
    expect(issued('bound', 'example.com', '192.0.2.99')).toBeUndefined();
    expect(issued('bound', 'example.com')).toBeUndefined();
    // a later count keeps what the first one recorded
    expect(counts.accept('n', 2, { realm: 'example.org', address: '192.0.2.99', issuedMs: 0 })).toBe(true);
    expect(issued('n', 'example.com')).toBe(1_699_999_990_000);
    clock.advance(35_001);
    expect(counts.find('n', 'example.com', undefined)).toBeUndefined();
  });

  it('counts on the origin find answered without looking the nonce up again, replays included', () => {
    const counts = new NonceCounts(10, 35_000, new ManualClock(0));
    expect(counts.accept('n', 1, SIGNED)).toBe(true);
    const found = counts.find('n', 'example.com', undefined)!;
    expect(counts.accept('n', 2, found)).toBe(true);
    expect(counts.accept('n', 2, counts.find('n', 'example.com', undefined)!)).toBe(false);
    expect(counts.accept('n', 2, SIGNED)).toBe(false);
    expect(counts.accept('n', 1, found)).toBe(false);
  });
});
