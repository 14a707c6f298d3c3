import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistrar } from '../../src/registrar/registrar';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { SqliteLocationStore } from '../../src/stores/sqlite-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import type { LocationStore } from '../../src/ports/location-store';
import { register, replyContacts, res } from './sip-text';

const T0 = 1_700_000_000_000;

/** A memory store whose every load and commit is an async step ordered by fast-check's scheduler. */
function scheduledStore(s: fc.Scheduler): LocationStore {
  const inner = new MemoryLocationStore();
  return {
    load: (aor) => s.schedule(Promise.resolve(inner.load(aor)), `load ${aor}`),
    commit: (aor, version, bindings) => s.schedule(Promise.resolve()).then(() => inner.commit(aor, version, bindings)),
    expiredAors: (now, limit) => inner.expiredAors(now, limit),
    aors: () => inner.aors(),
    count: () => inner.count(),
    close: () => inner.close(),
  };
}

describe('registrar properties', () => {
  it('concurrent saves to one AOR never lose a binding', async () => {
    await fc.assert(fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 8 }), async (s, writers) => {
      const registrar = createRegistrar({ store: scheduledStore(s), clock: new ManualClock(T0), purgeIntervalMs: 0, maxCommitAttempts: 100 });
      const saves = Array.from({ length: writers }, (_, i) =>
        Promise.resolve(registrar.save(register({ contacts: [`<sip:alice@10.0.0.${i + 1}>`], callId: `w${i}` }))));
      await s.waitFor(Promise.all(saves));
      const results = await Promise.all(saves);
      expect(results.every((r) => r.ok)).toBe(true);
      const stored = await s.waitFor(Promise.resolve(registrar.bindings('alice@example.com')));
      expect(stored.map((b) => b.contact).sort()).toEqual(Array.from({ length: writers }, (_, i) => `sip:alice@10.0.0.${i + 1}`).sort());
    }), { numRuns: 100 });
  });

  it('grants 0 for de-registrations and otherwise a lifetime clamped to [min_expires, max_expires]', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 100_000 }), fc.nat(200_000),
      async (minExpires, span, requested) => {
        const maxExpires = span === 0 ? 0 : minExpires + span;
        const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0, minExpires, maxExpires });
        const reply = res((await registrar.save(register({ expires: requested }))).response);
        const granted = replyContacts(reply)[0]?.expires;
        if (requested === 0) return expect(granted).toBeUndefined();
        let want = Math.max(requested, minExpires);
        if (maxExpires > 0) want = Math.min(want, maxExpires);
        expect(Number(granted)).toBe(want);
      },
    ), { numRuns: 300 });
  });
});

describe('registrar on SQLite', () => {
  it('a registrar restarted on the same file has every unexpired binding back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-restart-'));
    const path = join(dir, 'location.db');
    try {
      const clock = new ManualClock(T0);
      const first = createRegistrar({ store: new SqliteLocationStore({ path }), clock, purgeIntervalMs: 0 });
      for (let i = 0; i < 50; i++) {
        await first.save(register({ user: `u${i}`, contacts: [`<sip:u${i}@10.0.${i}.1:5060>;q=0.5;+sip.instance="<urn:uuid:${i}>";reg-id=1`], expires: i < 10 ? 60 : 3600, extra: ['User-Agent: P/1', 'Allow: INVITE, BYE'] }), { attr: `a${i}` });
      }
      const before = await first.bindings('u20@example.com');
      await first.close();
      await first.options.store.close();

      clock.advance(120_000);
      const store = new SqliteLocationStore({ path });
      const second = createRegistrar({ store, clock, purgeIntervalMs: 0 });
      expect(await second.isRegistered('u5@example.com')).toBe(false);
      for (let i = 10; i < 50; i++) expect(await second.isRegistered(`u${i}@example.com`)).toBe(true);
      const after = await second.bindings('u20@example.com');
      expect(after).toHaveLength(1);
      for (const key of ['contact', 'callId', 'cseq', 'expiresAt', 'q', 'updatedAt', 'flags', 'userAgent', 'methods', 'instanceId', 'regId', 'attr'] as const) {
        expect(after[0][key]).toEqual(before[0][key]);
      }
      expect(await second.purgeExpired()).toBe(10);
      await second.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
