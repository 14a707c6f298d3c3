import { NonceCounts } from '../../src/auth/nonce-counts';
import { ManualClock } from '../../src/testing/manual-clock';

describe('NonceCounts: nc replay protection (RFC 7616 §3.4, Kamailio nonce_count)', () => {
  it('accepts each count once, in order or out of order within the 64 below the highest', () => {
    const counts = new NonceCounts(10, 35_000, new ManualClock(0));
    expect(counts.accept('n', 1)).toBe(true);
    expect(counts.accept('n', 1)).toBe(false);
    expect(counts.accept('n', 3)).toBe(true);
    expect(counts.accept('n', 2)).toBe(true);
    expect(counts.accept('n', 2)).toBe(false);
    expect(counts.accept('n', 3)).toBe(false);
    expect(counts.accept('other', 1)).toBe(true);
  });

  it('remembers exactly the 64 counts below the highest, across word boundaries and large jumps', () => {
    for (const jump of [1, 31, 32, 33, 63, 64, 65, 200]) {
      const counts = new NonceCounts(10, 35_000, new ManualClock(0));
      const base = 10;
      expect(counts.accept('n', base)).toBe(true);
      expect(counts.accept('n', base + jump)).toBe(true);
      const top = base + jump;
      // The old highest is a replay while inside the window, and so is everything below the window.
      expect(counts.accept('n', base)).toBe(false);
      for (let nc = Math.max(1, top - 64); nc < top; nc++) {
        if (nc === base) continue;
        expect([jump, nc, counts.accept('n', nc)]).toEqual([jump, nc, true]);
        expect([jump, nc, counts.accept('n', nc)]).toEqual([jump, nc, false]);
      }
      if (top - 65 >= 1) expect(counts.accept('n', top - 65)).toBe(false);
    }
  });

  it('forgets the least recently used nonce beyond capacity, and every nonce after its time to live', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const counts = new NonceCounts(2, 35_000, clock);
    counts.accept('a', 1);
    counts.accept('b', 1);
    counts.accept('c', 1);
    expect(counts.accept('a', 1)).toBe(true);
    expect(counts.accept('c', 1)).toBe(false);
    clock.advance(35_000);
    expect(counts.accept('c', 1)).toBe(false);
    clock.advance(1);
    expect(counts.accept('c', 1)).toBe(true);
  });
});
