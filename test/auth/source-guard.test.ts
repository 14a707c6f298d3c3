import fc from 'fast-check';
import { createSourceGuard, type SourceGuard } from '../../src/auth/source-guard';
import type { SourceGuardOptions } from '../../src/auth/source-guard-options';
import type { SourceBan } from '../../src/auth/ban-list';
import type { RateLimitedEvent, UnbannedEvent } from '../../src/auth/source-guard-events';
import { ConfigError } from '../../src/errors/sdk-error';
import type { Logger } from '../../src/ports/logger';
import { ManualClock } from '../../src/testing/manual-clock';

/** A multiple of every sampling unit used here, so unit boundaries fall on round offsets. */
const T0 = 1_700_000_040_000;
const HOT = '192.0.2.1';
const OTHER = '192.0.2.2';
const GUESSER = '198.51.100.7';

interface LogEntry {
  readonly level: string;
  readonly obj: object;
  readonly msg: string | undefined;
}

/** A logger keeping every entry. */
function capturingLogger(): Logger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (obj: object, msg?: string): void => void entries.push({ level, obj, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A guard on a manual clock at T0 with a capturing logger, recording its events. */
function setup(options: Omit<SourceGuardOptions, 'clock' | 'logger'>) {
  const clock = new ManualClock(T0);
  const logger = capturingLogger();
  const guard = createSourceGuard({ ...options, clock, logger });
  const banned: SourceBan[] = [];
  const unbanned: UnbannedEvent[] = [];
  const rateLimited: RateLimitedEvent[] = [];
  guard.events.on('banned', (b) => banned.push(b));
  guard.events.on('unbanned', (e) => unbanned.push(e));
  guard.events.on('rate-limited', (e) => rateLimited.push(e));
  return { clock, logger, guard, banned, unbanned, rateLimited };
}

/** `n` requests from `address` now, the verdicts counted. */
function send(guard: SourceGuard, address: string, n: number): Record<string, number> {
  const verdicts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const v = guard.admit(address);
    verdicts[v] = (verdicts[v] ?? 0) + 1;
  }
  return verdicts;
}

const fail = (guard: SourceGuard, address: string, n: number): void => {
  for (let i = 0; i < n; i++) guard.authFailed(address);
};

describe('SourceGuard pike (per-source rate limit)', () => {
  test('admits reqsDensityPerUnit requests per unit and refuses the one over it, per source', () => {
    const { guard, rateLimited, logger } = setup({ pike: {} });
    expect(send(guard, HOT, 30)).toEqual({ ok: 30 });
    expect(guard.admit(HOT)).toBe('rate-limited');
    expect(guard.admit(OTHER)).toBe('ok');
    expect(rateLimited).toEqual([{ address: HOT, rate: 31 }]);
    expect(logger.entries).toEqual([
      { level: 'warn', obj: { source: HOT, rate: 31, samplingTimeUnit: 2 }, msg: 'sipreg: rate-limited 192.0.2.1: 31 requests in 2 s, over 30' },
    ]);
  });

  test('a hot source gets one event and one log line, not one per refused request', () => {
    const { guard, rateLimited, logger } = setup({ pike: { reqsDensityPerUnit: 5 } });
    expect(send(guard, HOT, 500)).toEqual({ ok: 5, 'rate-limited': 495 });
    expect(rateLimited).toHaveLength(1);
    expect(logger.entries).toHaveLength(1);
  });

  test('a burst straddling a unit boundary is caught by the sliding estimate', () => {
    const { clock, guard } = setup({ pike: { samplingTimeUnit: 2, reqsDensityPerUnit: 30 } });
    clock.advance(1900);
    expect(send(guard, HOT, 30)).toEqual({ ok: 30 });
    clock.advance(200); // 0.1 s into the next unit: 95 % of the previous unit still counts
    expect(guard.admit(HOT)).toBe('ok'); // 28.5 + 1
    expect(guard.admit(HOT)).toBe('rate-limited'); // 28.5 + 2
  });

  test('the previous unit weighs less as the current one goes on', () => {
    const { clock, guard } = setup({ pike: { samplingTimeUnit: 2, reqsDensityPerUnit: 30 } });
    expect(send(guard, HOT, 30)).toEqual({ ok: 30 });
    clock.advance(3000); // half of the previous unit left: 15
    expect(send(guard, HOT, 15)).toEqual({ ok: 15 });
    expect(guard.admit(HOT)).toBe('rate-limited');
  });

  test('a flood stays refused while it goes on (refused requests count) and is admitted once it calms down', () => {
    const { clock, guard, rateLimited } = setup({ pike: { samplingTimeUnit: 2, reqsDensityPerUnit: 30 } });
    expect(send(guard, HOT, 100)).toEqual({ ok: 30, 'rate-limited': 70 });
    clock.advance(2000);
    expect(guard.admit(HOT)).toBe('rate-limited'); // 100 from the unit before, all of it still in the last 2 s
    clock.advance(2000);
    expect(guard.admit(HOT)).toBe('ok'); // 1 + 1
    expect(rateLimited).toHaveLength(1);
    expect(send(guard, HOT, 40)).toEqual({ ok: 28, 'rate-limited': 12 });
    expect(rateLimited).toEqual([{ address: HOT, rate: 31 }, { address: HOT, rate: 31 }]);
  });

  test('a source just over the density is admitted again once its estimate falls back to it', () => {
    const { clock, guard } = setup({ pike: { samplingTimeUnit: 2, reqsDensityPerUnit: 30 } });
    expect(send(guard, HOT, 40)).toEqual({ ok: 30, 'rate-limited': 10 });
    clock.advance(3000);
    expect(guard.admit(HOT)).toBe('ok'); // 40 * 0.5 + 1
  });

  test('a gap of more than one unit forgets the earlier requests', () => {
    const { clock, guard } = setup({ pike: { samplingTimeUnit: 1, reqsDensityPerUnit: 3 } });
    expect(send(guard, HOT, 4)).toEqual({ ok: 3, 'rate-limited': 1 });
    clock.advance(2000);
    expect(send(guard, HOT, 3)).toEqual({ ok: 3 });
  });

  test('property: no source is admitted more than density × (units + 1) requests in any window of that many units', () => {
    const step = fc.record({ source: fc.integer({ min: 0, max: 2 }), stepMs: fc.integer({ min: 0, max: 1500 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.array(step, { maxLength: 300 }), (density, unitSec, steps) => {
        const clock = new ManualClock(T0);
        const guard = createSourceGuard({ pike: { samplingTimeUnit: unitSec, reqsDensityPerUnit: density }, maxSources: 8, clock });
        const admitted: number[][] = [[], [], []];
        for (const { source, stepMs } of steps) {
          clock.advance(stepMs);
          if (guard.admit(`192.0.2.${source}`) === 'ok') admitted[source].push(clock.now());
        }
        for (const times of admitted) {
          for (let units = 1; units <= 3; units++) {
            const windowMs = units * unitSec * 1000;
            for (const start of times) {
              const inWindow = times.filter((t) => t >= start && t < start + windowMs).length;
              expect(inWindow).toBeLessThanOrEqual(density * (units + 1));
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('SourceGuard bans (failed authentications)', () => {
  test('the after-th failure bans the source, with one event and one warn line fail2ban can read', () => {
    const { guard, banned, logger } = setup({ ban: { after: 3 } });
    fail(guard, GUESSER, 2);
    expect(guard.admit(GUESSER)).toBe('ok');
    expect(banned).toEqual([]);
    guard.authFailed(GUESSER);
    expect(guard.admit(GUESSER)).toBe('banned');
    expect(guard.admit(OTHER)).toBe('ok');
    expect(banned).toEqual([{ address: GUESSER, untilMs: T0 + 300_000, failures: 3 }]);
    expect(logger.entries).toEqual([
      { level: 'warn', obj: { source: GUESSER, banSec: 300, failures: 3 }, msg: 'sipreg: banned 198.51.100.7 for 300 s after 3 failed authentications' },
    ]);
    expect(guard.bans()).toEqual([{ address: GUESSER, untilMs: T0 + 300_000, failures: 3 }]);
  });

  test('failures older than the window do not count', () => {
    const { clock, guard, banned } = setup({ ban: { after: 3, window: 60 } });
    guard.authFailed(GUESSER);
    clock.advance(30_000);
    guard.authFailed(GUESSER);
    clock.advance(31_000); // the first failure is 61 s old
    guard.authFailed(GUESSER);
    expect(guard.admit(GUESSER)).toBe('ok');
    clock.advance(1000); // failures at 30, 61 and 62 s: within 60 s
    guard.authFailed(GUESSER);
    expect(guard.admit(GUESSER)).toBe('banned');
    expect(banned).toEqual([{ address: GUESSER, untilMs: T0 + 62_000 + 300_000, failures: 3 }]);
  });

  test('a failure exactly one window old no longer counts', () => {
    const { clock, guard } = setup({ ban: { after: 2, window: 10 } });
    guard.authFailed(GUESSER);
    clock.advance(10_000);
    guard.authFailed(GUESSER);
    expect(guard.admit(GUESSER)).toBe('ok');
    clock.advance(9_999);
    guard.authFailed(GUESSER);
    expect(guard.admit(GUESSER)).toBe('banned');
  });

  test('a ban runs out after ban.time: the source is admitted and unbanned is emitted once', () => {
    const { clock, guard, unbanned, logger } = setup({ ban: { after: 1, time: 300 } });
    guard.authFailed(GUESSER);
    clock.advance(299_999);
    expect(guard.admit(GUESSER)).toBe('banned');
    clock.advance(1);
    expect(guard.admit(GUESSER)).toBe('ok');
    expect(guard.admit(GUESSER)).toBe('ok');
    expect(unbanned).toEqual([{ address: GUESSER, reason: 'expired' }]);
    expect(logger.entries.at(-1)).toEqual({ level: 'info', obj: { source: GUESSER, reason: 'expired' }, msg: 'sipreg: unbanned 198.51.100.7 (expired)' });
    expect(guard.stats().banEntries).toBe(0);
  });

  test('bans() leaves out and ends the bans that ran out', () => {
    const { clock, guard, unbanned } = setup({ ban: { after: 1, time: 10 } });
    guard.authFailed(GUESSER);
    clock.advance(5000);
    guard.authFailed(OTHER);
    clock.advance(5000);
    expect(guard.bans()).toEqual([{ address: OTHER, untilMs: T0 + 15_000, failures: 1 }]);
    expect(unbanned).toEqual([{ address: GUESSER, reason: 'expired' }]);
    expect(guard.stats().banEntries).toBe(1);
  });

  test('unban() lifts a ban with an unbanned event and answers false when there is none', () => {
    const { guard, unbanned } = setup({ ban: { after: 1 } });
    guard.authFailed(GUESSER);
    expect(guard.unban(GUESSER)).toBe(true);
    expect(guard.admit(GUESSER)).toBe('ok');
    expect(unbanned).toEqual([{ address: GUESSER, reason: 'unban' }]);
    expect(guard.unban(GUESSER)).toBe(false);
    expect(guard.unban(OTHER)).toBe(false);
    expect(guard.bans()).toEqual([]);
  });

  test('failures during a ban do not count and the ban cleared the earlier ones', () => {
    const { clock, guard, banned } = setup({ ban: { after: 3, window: 600, time: 60 } });
    fail(guard, GUESSER, 3);
    fail(guard, GUESSER, 10);
    expect(banned).toHaveLength(1);
    clock.advance(60_000);
    fail(guard, GUESSER, 2);
    expect(guard.admit(GUESSER)).toBe('ok');
    guard.authFailed(GUESSER);
    expect(guard.admit(GUESSER)).toBe('banned');
    expect(banned).toHaveLength(2);
  });

  test('bans are checked before pike and a banned source does not count for the rate', () => {
    const { guard, rateLimited } = setup({ pike: { reqsDensityPerUnit: 5 }, ban: { after: 1 } });
    guard.authFailed(HOT);
    expect(send(guard, HOT, 100)).toEqual({ banned: 100 });
    guard.unban(HOT);
    expect(send(guard, HOT, 5)).toEqual({ ok: 5 });
    expect(rateLimited).toEqual([]);
  });

  test('ban.after 0 turns bans off', () => {
    const { guard, banned } = setup({ ban: { after: 0 } });
    fail(guard, GUESSER, 50);
    expect(guard.admit(GUESSER)).toBe('ok');
    expect(banned).toEqual([]);
    expect(guard.options.ban).toBeUndefined();
    expect(guard.stats()).toEqual({ rateEntries: 0, failureEntries: 0, banEntries: 0 });
  });
});

describe('SourceGuard memory bound', () => {
  const address = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

  test('a flood of 200k distinct sources keeps every table within maxSources and an existing ban survives it', () => {
    const { guard } = setup({ pike: {}, ban: { after: 3 } });
    fail(guard, GUESSER, 3);
    for (let i = 0; i < 200_000; i++) {
      const source = address(i);
      guard.admit(source);
      guard.authFailed(source);
    }
    expect(guard.stats()).toEqual({ rateEntries: 100_000, failureEntries: 100_000, banEntries: 1 });
    expect(guard.admit(GUESSER)).toBe('banned');
    expect(guard.admit(address(0))).toBe('ok');
  });

  test('a full ban table evicts the least recently seen ban, reported as evicted', () => {
    const { guard, unbanned, logger } = setup({ ban: { after: 1 }, maxSources: 2 });
    guard.authFailed('192.0.2.10');
    guard.authFailed('192.0.2.11');
    expect(guard.admit('192.0.2.10')).toBe('banned'); // seen: .11 is now the least recent
    guard.authFailed('192.0.2.12');
    expect(unbanned).toEqual([{ address: '192.0.2.11', reason: 'evicted' }]);
    expect(logger.entries.at(-2)).toEqual({
      level: 'warn',
      obj: { source: '192.0.2.11', untilMs: T0 + 300_000 },
      msg: 'sipreg: ban table full (maxSources 2), lifted the ban of 192.0.2.11 before it ran out',
    });
    expect(guard.admit('192.0.2.11')).toBe('ok');
    expect(guard.bans().map((b) => b.address)).toEqual(['192.0.2.12', '192.0.2.10']);
  });
});

describe('SourceGuard options', () => {
  test('without pike and ban everything is admitted and nothing is kept', () => {
    const { guard } = setup({});
    expect(send(guard, HOT, 1000)).toEqual({ ok: 1000 });
    fail(guard, HOT, 100);
    expect(guard.admit(HOT)).toBe('ok');
    expect(guard.bans()).toEqual([]);
    expect(guard.unban(HOT)).toBe(false);
    expect(guard.stats()).toEqual({ rateEntries: 0, failureEntries: 0, banEntries: 0 });
    expect(createSourceGuard().admit(HOT)).toBe('ok');
  });

  test('defaults are resolved and frozen; the actions are readable', () => {
    const { guard } = setup({ pike: {}, ban: { after: 5 } });
    expect(guard.options.pike).toEqual({ samplingTimeUnit: 2, reqsDensityPerUnit: 30, action: 'drop' });
    expect(guard.options.ban).toEqual({ after: 5, window: 60, time: 300, action: 'drop' });
    expect(guard.options.maxSources).toBe(100_000);
    expect(Object.isFrozen(guard.options) && Object.isFrozen(guard.options.pike) && Object.isFrozen(guard.options.ban)).toBe(true);
    expect([guard.pikeAction, guard.banAction]).toEqual(['drop', 'drop']);
    const replying = createSourceGuard({ pike: { action: 'reply' }, ban: { after: 1, action: 'reply' } });
    expect([replying.pikeAction, replying.banAction]).toEqual(['reply', 'reply']);
  });

  test.each([
    ['SourceGuardOptions.pike.samplingTimeUnit must be an integer in 1..3600, got 0', { pike: { samplingTimeUnit: 0 } }],
    ['SourceGuardOptions.pike.samplingTimeUnit must be an integer in 1..3600, got 0.5', { pike: { samplingTimeUnit: 0.5 } }],
    ['SourceGuardOptions.pike.reqsDensityPerUnit must be an integer in 1..9007199254740991, got 0', { pike: { reqsDensityPerUnit: 0 } }],
    ["SourceGuardOptions.pike.action must be 'drop' or 'reply', got reject", { pike: { action: 'reject' } }],
    ['SourceGuardOptions.pike must be an object (leave it out to turn it off), got true', { pike: true }],
    ['SourceGuardOptions.ban needs after: the number of failed authentications that ban a source (0 for no bans)', { ban: {} }],
    ['SourceGuardOptions.ban.after must be an integer in 0..100, got 101', { ban: { after: 101 } }],
    ['SourceGuardOptions.ban.after must be an integer in 0..100, got -1', { ban: { after: -1 } }],
    ['SourceGuardOptions.ban.window must be an integer in 1..9007199254740991, got 0', { ban: { after: 3, window: 0 } }],
    ['SourceGuardOptions.ban.time must be an integer in 1..9007199254740991, got NaN', { ban: { after: 3, time: Number.NaN } }],
    ["SourceGuardOptions.ban.action must be 'drop' or 'reply', got block", { ban: { after: 3, action: 'block' } }],
    ['SourceGuardOptions.ban must be an object (leave it out to turn it off), got null', { ban: null }],
    ['SourceGuardOptions.maxSources must be an integer in 1..10000000, got 0', { maxSources: 0 }],
  ])('%# refused: %s', (message, options) => {
    const create = () => createSourceGuard(options as unknown as SourceGuardOptions);
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(message);
  });
});
