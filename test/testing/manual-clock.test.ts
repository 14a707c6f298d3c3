import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/testing/manual-clock';
import { ConfigError } from '../../src/errors/sdk-error';

describe('ManualClock', () => {
  it('starts at the given time (0 by default) and only moves on advance', () => {
    expect(new ManualClock().now()).toBe(0);
    const clock = new ManualClock(1_700_000_000_000);
    expect(clock.now()).toBe(1_700_000_000_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_700_000_000_250);
    clock.advance(0);
    expect(clock.now()).toBe(1_700_000_000_250);
  });

  it('fires due timers in time order with now() at each due time, ties in scheduling order', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimer(300, at('c'));
    clock.setTimer(100, at('a'));
    clock.setTimer(200, at('b1'));
    clock.setTimer(200, at('b2'));
    clock.setTimer(301, at('late'));
    expect(clock.pending()).toBe(5);
    clock.advance(300);
    expect(fired).toEqual(['a@1100', 'b1@1200', 'b2@1200', 'c@1300']);
    expect(clock.now()).toBe(1300);
    expect(clock.pending()).toBe(1);
    clock.advance(1);
    expect(fired.at(-1)).toBe('late@1301');
    expect(clock.pending()).toBe(0);
  });

  it('fires timers scheduled by fired timers when they fall due inside the window', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const rearm = (): void => {
      fired.push(clock.now());
      clock.setTimer(100, rearm);
    };
    clock.setTimer(100, rearm);
    clock.advance(350);
    expect(fired).toEqual([100, 200, 300]);
    expect(clock.pending()).toBe(1);
    expect(clock.now()).toBe(350);
    clock.advance(50);
    expect(fired).toEqual([100, 200, 300, 400]);
  });

  it('fires a zero-delay timer scheduled during advance before later timers', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimer(10, () => {
      fired.push('first');
      clock.setTimer(0, () => fired.push(`zero@${clock.now()}`));
    });
    clock.setTimer(20, () => fired.push('second'));
    clock.advance(20);
    expect(fired).toEqual(['first', 'zero@10', 'second']);
  });

  it('treats negative and non-finite delays as 0', () => {
    const clock = new ManualClock(5);
    let count = 0;
    clock.setTimer(-10, () => count++);
    clock.setTimer(Number.NaN, () => count++);
    clock.setTimer(Number.POSITIVE_INFINITY, () => count++);
    clock.advance(0);
    expect(count).toBe(3);
    expect(clock.now()).toBe(5);
  });

  it('cancel removes a timer; cancelling twice or after firing changes nothing', () => {
    const clock = new ManualClock();
    let fired = 0;
    const a = clock.setTimer(10, () => fired++);
    const b = clock.setTimer(10, () => fired++);
    a.cancel();
    a.cancel();
    expect(clock.pending()).toBe(1);
    clock.advance(10);
    expect(fired).toBe(1);
    b.cancel();
    expect(clock.pending()).toBe(0);
  });

  it('a timer can cancel a later timer while advancing', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const later = clock.setTimer(20, () => fired.push('later'));
    clock.setTimer(10, () => {
      fired.push('first');
      later.cancel();
    });
    clock.advance(100);
    expect(fired).toEqual(['first']);
    expect(clock.pending()).toBe(0);
  });

  it('keeps order and count when many timers are re-armed (cancelled timers compacted)', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const handles = Array.from({ length: 500 }, (_, i) => clock.setTimer(1000 + i, () => fired.push(i)));
    for (let i = 0; i < 500; i++) if (i % 5 !== 0) handles[i].cancel();
    expect(clock.pending()).toBe(100);
    clock.setTimer(1000, () => fired.push(-1));
    clock.advance(2000);
    expect(fired).toEqual([0, -1, ...Array.from({ length: 99 }, (_, k) => 5 * (k + 1))]);
    expect(clock.pending()).toBe(0);
  });

  it('stops and rethrows when a timer throws, leaving later timers pending', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimer(10, () => {
      throw new Error('boom');
    });
    clock.setTimer(20, () => fired.push('after'));
    expect(() => clock.advance(30)).toThrow('boom');
    expect(clock.now()).toBe(10);
    expect(clock.pending()).toBe(1);
    clock.advance(20);
    expect(fired).toEqual(['after']);
    expect(clock.now()).toBe(30);
  });

  it('rejects invalid advance and start values with ConfigError', () => {
    const clock = new ManualClock();
    expect(() => clock.advance(-1)).toThrow(ConfigError);
    expect(() => clock.advance(Number.NaN)).toThrow(ConfigError);
    expect(() => new ManualClock(Number.POSITIVE_INFINITY)).toThrow(ConfigError);
  });
});
