import { IssuedNonceCounts, type NonceSequence } from '../../src/auth/issued-nonce-counts';
import type { NonceId } from '../../src/auth/nonce-signer';

/** A signer's sequence that the test moves by hand. */
class Sequence implements NonceSequence {
  seqHigh = 0x1234abcd;
  seqLow = 0xfffffff0;
}

/** The words of nonce `seqLow` of `sequence` (issued at 2023-11-14 22:13:20 UTC), with MAC words `mac`. */
function nonce(sequence: NonceSequence, seqLow: number, mac = [1, 2, 3, 4], seqHigh = sequence.seqHigh): NonceId {
  return { issuedMs: 1_700_000_000_000, timeHigh: 395, timeLow: 3_478_425_600 >>> 0, seqHigh, seqLow: seqLow >>> 0, mac0: mac[0], mac1: mac[1], mac2: mac[2], mac3: mac[3] };
}

describe('IssuedNonceCounts: the nonces one signer issued, with their counts (RFC 7616 §3.4, Kamailio nonce_count)', () => {
  it('finds a nonce issued here byte for byte, for its realm and source only, and counts it from its first use', () => {
    const sequence = new Sequence();
    const table = new IssuedNonceCounts(8, sequence);
    const id = nonce(sequence, ++sequence.seqLow);
    expect(table.find(id, 'example.com', undefined)).toBe(false);
    table.issued(id, 'example.com', undefined);
    expect(table.find(id, 'example.com', undefined)).toBe(true);
    expect(table.find(id, 'example.org', undefined)).toBe(false);
    expect(table.find(id, 'example.com', '192.0.2.10')).toBe(false);
    expect(table.find(id, 'example.com', '')).toBe(false);
    expect(table.find({ ...id, mac3: 5 }, 'example.com', undefined)).toBe(false);
    expect(table.find({ ...id, timeLow: id.timeLow + 1 }, 'example.com', undefined)).toBe(false);
    expect(table.find({ ...id, timeHigh: id.timeHigh + 1 }, 'example.com', undefined)).toBe(false);
    expect(table.accept(id, 1, 'example.com', undefined)).toBe(true);
    expect(table.accept(id, 1, 'example.com', undefined)).toBe(false);
    expect(table.accept(id, 3, 'example.com', undefined)).toBe(true);
    expect(table.accept(id, 2, 'example.com', undefined)).toBe(true);
    expect(table.accept(id, 2, 'example.com', undefined)).toBe(false);
    expect(table.find(id, 'example.com', undefined)).toBe(true);
  });

  it('counts a nonce of its signer that it did not see issued (checked by HMAC) from its first accepted count', () => {
    const sequence = new Sequence();
    const table = new IssuedNonceCounts(8, sequence);
    const id = nonce(sequence, ++sequence.seqLow);
    expect(table.accept(id, 5, 'example.com', '192.0.2.10')).toBe(true);
    expect(table.find(id, 'example.com', '192.0.2.10')).toBe(true);
    expect(table.accept(id, 5, 'example.com', '192.0.2.10')).toBe(false);
    expect(table.accept(id, 4, 'example.com', '192.0.2.10')).toBe(true);
  });

  it('tracks the last capacity nonces issued (rounded up to a power of two), across the wrap of the low word; older ones are replays', () => {
    const sequence = new Sequence();
    const table = new IssuedNonceCounts(3, sequence);
    const ids: NonceId[] = [];
    for (let k = 0; k < 40; k++) {
      const id = nonce(sequence, (sequence.seqLow = (sequence.seqLow + 1) >>> 0));
      table.issued(id, 'r', undefined);
      ids.push(id);
    }
    expect(sequence.seqLow).toBe(24);
    for (const id of ids.slice(-4)) expect(table.find(id, 'r', undefined)).toBe(true);
    for (const id of ids.slice(-4)) expect(table.accept(id, 1, 'r', undefined)).toBe(true);
    for (const id of ids.slice(0, -4)) {
      expect(table.find(id, 'r', undefined)).toBe(false);
      expect(table.accept(id, 1, 'r', undefined)).toBe(false);
    }
    // a sequence number not issued yet, or another signer's, is not one of them either
    expect(table.accept(nonce(sequence, 25), 1, 'r', undefined)).toBe(false);
    const foreign = nonce(sequence, 24, [1, 2, 3, 4], 0x99);
    expect(table.owns(foreign)).toBe(false);
    expect(table.owns(ids[0])).toBe(true);
    expect(table.find(foreign, 'r', undefined)).toBe(false);
    expect(table.accept(foreign, 1, 'r', undefined)).toBe(false);
  });
});
