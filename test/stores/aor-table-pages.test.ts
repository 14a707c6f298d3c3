import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AorTable, type ScanPosition } from '../../src/stores/aor-table';

/** Every page of `table.keysAfter`, `limit` at a time; `between(n)` runs after page n unless it was the last. */
function pages(table: AorTable<number>, limit: number, between: (n: number) => void = () => undefined): string[][] {
  const out: string[][] = [];
  let after: ScanPosition | undefined;
  do {
    const page = table.keysAfter(after, limit);
    out.push(page.keys);
    after = page.next;
    if (after !== undefined) between(out.length);
  } while (after !== undefined);
  return out;
}

describe('AorTable.keysAfter (paged listing)', () => {
  it('lists every key once in pages of exactly `limit` but the last, and an empty table in one empty page', () => {
    expect(pages(new AorTable<number>(), 10)).toEqual([[]]);
    const table = new AorTable<number>();
    for (let i = 0; i < 10_007; i++) table.set(`user${i}@example.com`, i);
    const listed = pages(table, 100);
    for (const page of listed.slice(0, -1)) expect(page).toHaveLength(100);
    const all = listed.flat();
    expect(all).toHaveLength(10_007);
    expect(new Set(all).size).toBe(10_007);
  });

  it('lists a key present throughout exactly once while the table grows, shrinks and rebuilds between pages', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.record({ add: fc.nat(1500), drop: fc.nat(1500) }), { minLength: 1, maxLength: 12 }),
        (limit, churn) => {
          const table = new AorTable<number>();
          for (let i = 0; i < 500; i++) table.set(`kept${i}`, i);
          let next = 0;
          const live: string[] = [];
          const listed = pages(table, limit, (n) => {
            const step = churn[n - 1];
            if (step === undefined) return;
            for (let i = 0; i < step.add; i++) {
              live.push(`churn${next++}`);
              table.set(live[live.length - 1], 0);
            }
            for (let i = 0; i < step.drop && live.length > 0; i++) table.delete(live.pop()!);
          }).flat();
          const counts = new Map<string, number>();
          for (const k of listed) counts.set(k, (counts.get(k) ?? 0) + 1);
          for (let i = 0; i < 500; i++) expect(counts.get(`kept${i}`)).toBe(1);
          for (const n of counts.values()) expect(n).toBe(1);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps its place when the table is rebuilt to another size between two pages', () => {
    const table = new AorTable<number>();
    for (let i = 0; i < 1000; i++) table.set(`kept${i}`, i);
    const first = table.keysAfter(undefined, 300);
    const before = table.capacity;
    for (let i = 0; i < 20_000; i++) table.set(`grow${i}`, i);
    expect(table.capacity).toBeGreaterThan(before);
    const second = pages(table, 500).length; // a fresh listing still works on the grown table
    expect(second).toBeGreaterThan(40);
    let after = first.next;
    const rest: string[] = [];
    for (let i = 0; i < 20_000; i++) table.delete(`grow${i}`);
    expect(table.capacity).toBeLessThan(4096);
    while (after !== undefined) {
      const page = table.keysAfter(after, 300);
      rest.push(...page.keys);
      after = page.next;
    }
    expect(new Set([...first.keys, ...rest])).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => `kept${i}`)));
    expect(first.keys.length + rest.length).toBe(1000);
  });
});
