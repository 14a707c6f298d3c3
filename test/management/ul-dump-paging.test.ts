import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { locationCommands } from '../../src/management/location-commands';
import type { MiCommand } from '../../src/management/mi-command';
import type { LocationStore } from '../../src/ports/location-store';
import { createRegistrar, type Registrar } from '../../src/registrar/registrar';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { RedisLocationStore } from '../../src/stores/redis-location-store';
import { connectRedis } from '../../src/stores/redis-client';
import { SqliteLocationStore } from '../../src/stores/sqlite-location-store';
import { buildBinding } from '../../src/testing/build-binding';
import { ManualClock } from '../../src/testing/manual-clock';
import { runMiCommand } from '../helpers/run-mi-command';
import { startRedis, type RedisServer } from '../helpers/start-redis';

const T0 = 1_700_000_000_000;

interface DumpPage {
  readonly Domains: readonly { readonly name: string; readonly AORs: readonly { readonly AOR: string; readonly Contacts: readonly unknown[] }[] }[];
  readonly count?: { readonly aors: number; readonly bindings: number };
  readonly next_cursor: string | null;
}

/** A full collection, from the JavaScript heap's point of view (V8's `gc`, exposed at run time). */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const heapAfterGc = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

let registrar: Registrar | undefined;
afterEach(async () => {
  await registrar?.close();
  registrar = undefined;
});

/** `aors` AORs of `perAor` bindings each committed to `store`, and the usrloc commands of a registrar on it. */
async function filled(store: LocationStore, aors: number, perAor: number): Promise<readonly MiCommand[]> {
  for (let i = 0; i < aors; i++) {
    const bindings = Array.from({ length: perAor }, (_, k) => buildBinding(`sip:u${i}@198.51.100.${k}:5060`, { expiresAt: T0 + 3_600_000, callId: `call-${i}-${k}`, userAgent: 'Phone/1.0' }));
    expect((await store.commit(`u${i}@example.com`, null, bindings)).ok).toBe(true);
  }
  registrar = createRegistrar({ store, clock: new ManualClock(T0) });
  return locationCommands(registrar);
}

/** Every page of `ul_dump` at `limit`; `each` sees each page as it arrives (it is not kept). */
async function dumpAll(commands: readonly MiCommand[], limit: number, each: (page: DumpPage, n: number) => void): Promise<number> {
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const page = await runMiCommand(commands, 'ul_dump', cursor === undefined ? { limit } : { limit, cursor }) as DumpPage;
    each(JSON.parse(JSON.stringify(page)) as DumpPage, pages++);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return pages;
}

describe('ul_dump pages a large location with bounded memory', () => {
  it('100,000 bindings (50,000 AORs of 2) in pages of 1000: every binding once, the heap never holds more than a few pages', async () => {
    const commands = await filled(new MemoryLocationStore(), 50_000, 2);
    const before = heapAfterGc();
    const seen = new Set<string>();
    let bindings = 0;
    let largestPage = 0;
    let peakGrowth = 0;
    const pages = await dumpAll(commands, 1000, (page, n) => {
      const aors = page.Domains[0].AORs;
      largestPage = Math.max(largestPage, aors.length);
      for (const aor of aors) {
        seen.add(aor.AOR);
        bindings += aor.Contacts.length;
      }
      if (n === 0) expect(page.count).toEqual({ aors: 50_000, bindings: 100_000 });
      if (n % 10 === 5) peakGrowth = Math.max(peakGrowth, heapAfterGc() - before);
    });
    expect(seen.size).toBe(50_000);
    expect(bindings).toBe(100_000);
    expect(largestPage).toBe(1000);
    expect(pages).toBeGreaterThanOrEqual(50); // a last full page may be followed by an empty one
    expect(pages).toBeLessThanOrEqual(51);
    // One page of 1000 AORs is well under 2 MB of objects; the whole dump in one answer would be
    // over 40 MB. The Set of 50,000 AOR names seen (about 4 MB) is counted in the growth too.
    expect(peakGrowth).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});

describe('ul_dump over the durable stores', () => {
  const root = mkdtempSync(join(tmpdir(), 'sipreg-ul-dump-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('pages a real SQLite file: 2,500 AORs in pages of 1000, every AOR once', async () => {
    const commands = await filled(new SqliteLocationStore({ path: join(root, 'location.db') }), 2500, 1);
    const sizes: number[] = [];
    const seen = new Set<string>();
    await dumpAll(commands, 1000, (page) => {
      sizes.push(page.Domains[0].AORs.length);
      for (const aor of page.Domains[0].AORs) seen.add(aor.AOR);
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(seen.size).toBe(2500);
  }, 60_000);

  let redis: RedisServer | undefined;
  afterAll(async () => redis?.stop());

  it('pages a real Redis: 2,500 AORs in pages of about 1000, every AOR once', async () => {
    redis = await startRedis({ appendOnly: false });
    const client = await connectRedis(redis.url);
    const commands = await filled(new RedisLocationStore({ client, ownsClient: true }), 2500, 1);
    const sizes: number[] = [];
    const seen = new Set<string>();
    await dumpAll(commands, 1000, (page, n) => {
      if (n === 0) expect(page.count).toEqual({ aors: 2500, bindings: 2500 });
      sizes.push(page.Domains[0].AORs.length);
      for (const aor of page.Domains[0].AORs) seen.add(aor.AOR);
    });
    expect(seen.size).toBe(2500);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(2000);
    await registrar?.close();
    registrar = undefined;
    await client.quit().catch(() => undefined);
  }, 60_000);
});
