import { describe, expect, it } from '@jest/globals';
import { AorTable } from '../../src/stores/aor-table';

/**
 * Issue 23 (memory after a flood): a table grown by a flood of AORs that then expire must give
 * its slots back, or the probe arrays of the peak (16 bytes a slot, two slots per AOR: 8.9 MB
 * after 200,000 AORs) stay allocated for an empty location service.
 */
describe('AorTable after a flood', () => {
  const n = 200_000;

  it('shrinks back to its initial capacity when every key is deleted', () => {
    const table = new AorTable<number>();
    const initial = table.capacity;
    for (let i = 0; i < n; i++) table.set(`user${i}@example.com`, i);
    expect(table.capacity).toBeGreaterThanOrEqual(2 * n);
    for (let i = 0; i < n; i++) table.delete(`user${i}@example.com`);
    expect(table.size).toBe(0);
    expect(table.capacity).toBe(initial);
  });

  it('keeps its capacity within a constant factor of its keys while they are deleted, and every remaining key reachable', () => {
    const table = new AorTable<number>();
    for (let i = 0; i < n; i++) table.set(`user${i}@example.com`, i);
    for (let i = 0; i < n; i++) {
      table.delete(`user${i}@example.com`);
      if (i % 1000 === 0) expect(table.capacity).toBeLessThanOrEqual(Math.max(16, 16 * table.size));
    }
    const kept = new AorTable<number>();
    for (let i = 0; i < n; i++) kept.set(`user${i}@example.com`, i);
    for (let i = 0; i < n; i++) if (i % 1000 !== 0) kept.delete(`user${i}@example.com`);
    expect(kept.size).toBe(n / 1000);
    expect(kept.capacity).toBeLessThanOrEqual(16 * kept.size);
    for (let i = 0; i < n; i += 1000) expect(kept.get(`user${i}@example.com`)).toBe(i);
    expect([...kept.keys()].length).toBe(n / 1000);
  });
});
