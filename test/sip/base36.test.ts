import fc from 'fast-check';
import { base36 } from '../../src/sip/base36';

describe('base36', () => {
  it('spells a number as Number.prototype.toString(36) does, at the digit and pair boundaries', () => {
    const edges = [0, 1, 35, 36, 37, 1295, 1296, 1297, 46655, 46656, 1679615, 1679616, 60466175, 60466176, 2 ** 31 - 1];
    for (const n of edges) expect(base36(n)).toBe(n.toString(36));
  });

  it('spells every 31-bit non-negative integer as Number.prototype.toString(36) does', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n) => base36(n) === n.toString(36)), { numRuns: 5000 });
  });
});
