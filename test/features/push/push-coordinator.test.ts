import { PushCoordinator } from '../../../src/features/push/push-coordinator';
import type { PushCoordinatorDeps } from '../../../src/features/push/push-coordinator';
import type { ContactRefreshEvent } from '../../../src/features/push/contact-refresh-event';
import type { PushRequest } from '../../../src/features/push/push-notifier';
import type { PushOptions } from '../../../src/features/push/push-options';
import type { Binding } from '../../../src/ports/binding';
import { BindingFlags } from '../../../src/ports/binding';
import type { LookupTarget } from '../../../src/registrar/select-targets';
import { ConfigError } from '../../../src/errors/sdk-error';
import { ManualClock, buildBinding, BINDING_T0 } from '../../../src/testing';

const AOR = 'alice@example.com';
const APNS = 'sip:alice@192.0.2.10:5060;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip';
const MOVED = 'sip:alice@203.0.113.9:41000;transport=tcp;pn-prid=00fc13adff78512;pn-provider=apns;pn-param=ABCD1234.com.example.voip';

const pushBinding = (contact = APNS, o: Partial<Binding> = {}): Binding => buildBinding(contact, { flags: BindingFlags.push, ...o });
const target = (b: Binding): LookupTarget => ({ aor: AOR, uri: b.contact, route: [], q: b.q, binding: b });

/** A coordinator on a manual clock at BINDING_T0, recording events, pushes and errors; no jitter. */
function setup(options: PushOptions = {}, deps: Partial<PushCoordinatorDeps> = {}) {
  const clock = new ManualClock(BINDING_T0);
  const events: ContactRefreshEvent[] = [];
  const pushes: PushRequest[] = [];
  const errors: unknown[] = [];
  const coordinator = new PushCoordinator({ enabled: true, providers: ['apns'], ...options }, {
    clock,
    emit: (e) => events.push(e),
    notifier: { notify: (r) => { pushes.push(r); } },
    onError: (e) => errors.push(e),
    random: () => 0.5,
    ...deps,
  });
  return { clock, events, pushes, errors, coordinator };
}

/** Let settled promises run their callbacks. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PushCoordinator', () => {
  describe('isReachable (pn_skip_pn_interval)', () => {
    it('is false for a push binding unless it registered within the skip interval', () => {
      const { coordinator } = setup({ skipPnIntervalSec: 10 });
      expect(coordinator.isReachable(pushBinding(), BINDING_T0 + 9_999)).toBe(true);
      expect(coordinator.isReachable(pushBinding(), BINDING_T0 + 10_000)).toBe(false);
      expect(setup().coordinator.isReachable(pushBinding(), BINDING_T0)).toBe(false);
    });

    it('is true for plain bindings and for push bindings a proxy upstream handles', () => {
      const { coordinator } = setup();
      expect(coordinator.isReachable(buildBinding('sip:alice@192.0.2.10'), BINDING_T0)).toBe(true);
      expect(coordinator.isReachable(pushBinding(APNS, { flags: BindingFlags.push | BindingFlags.pushUpstream }), BINDING_T0)).toBe(true);
    });
  });

  describe('dispatch (lookup)', () => {
    it('pushes the sleeping targets and strips pn-* parameters from the reachable ones', () => {
      const { coordinator, events, pushes } = setup({ skipPnIntervalSec: 30 });
      const fresh = pushBinding('sip:alice@192.0.2.11;pn-provider=apns;pn-prid=p2;pn-param=t', { updatedAt: BINDING_T0 + 5_000 });
      const asleep = pushBinding();
      const plain = buildBinding('sip:alice@192.0.2.12:5060');
      const { reachable, pending } = coordinator.dispatch([target(fresh), target(asleep), target(plain)], BINDING_T0 + 40_000);
      expect(reachable.map((t) => t.uri)).toEqual(['sip:alice@192.0.2.12:5060']);
      expect(pending.map((p) => p.binding)).toEqual([fresh, asleep]);
      expect(events.map((e) => [e.reason, e.attempt, e.pn])).toEqual([
        ['lookup', 1, { provider: 'apns', prid: 'p2', param: 't' }],
        ['lookup', 1, { provider: 'apns', prid: '00fc13adff78512', param: 'ABCD1234.com.example.voip' }],
      ]);
      expect(pushes[1]).toEqual({ provider: 'apns', prid: '00fc13adff78512', param: 'ABCD1234.com.example.voip', aor: AOR, contact: APNS, reason: 'lookup', attempt: 1 });

      const inWindow = coordinator.dispatch([target(fresh)], BINDING_T0 + 20_000);
      expect(inWindow.reachable.map((t) => t.uri)).toEqual(['sip:alice@192.0.2.11']);
      expect(inWindow.reachable[0].binding).toBe(fresh);
      expect(inWindow.pending).toEqual([]);
    });
  });

  describe('startPush', () => {
    it('settles with the refreshed binding when the device re-registers within the refresh timeout, even from a new address', async () => {
      const { clock, coordinator } = setup();
      const pending = coordinator.startPush(AOR, pushBinding(), 'lookup');
      clock.advance(3_000);
      const refreshed = pushBinding(MOVED, { updatedAt: clock.now(), expiresAt: clock.now() + 3_600_000 });
      coordinator.bindingsSaved(AOR, [{ kind: 'updated', aor: AOR, binding: refreshed, previous: pending.binding }]);
      await expect(pending.refreshed).resolves.toBe(refreshed);
    });

    it('settles with undefined when no re-REGISTER comes in time', async () => {
      const { clock, coordinator } = setup({ refreshTimeoutSec: 6 });
      const pending = coordinator.startPush(AOR, pushBinding(), 'purr');
      let done: Binding | undefined | 'open' = 'open';
      void pending.refreshed.then((b) => { done = b; });
      clock.advance(5_999);
      await flush();
      expect(done).toBe('open');
      clock.advance(1);
      await flush();
      expect(done).toBeUndefined();
      const late = pushBinding(APNS, { updatedAt: clock.now() });
      coordinator.bindingsSaved(AOR, [{ kind: 'refreshed', aor: AOR, binding: late, previous: pending.binding }]);
      await expect(pending.refreshed).resolves.toBeUndefined();
    });

    it('ignores refreshes of other devices and of other AORs', async () => {
      const { clock, coordinator } = setup();
      const pending = coordinator.startPush(AOR, pushBinding(), 'lookup');
      coordinator.bindingsSaved(AOR, [{ kind: 'inserted', aor: AOR, binding: pushBinding(APNS.replace('00fc13adff78512', 'other')) }]);
      coordinator.bindingsSaved('bob@example.com', [{ kind: 'inserted', aor: 'bob@example.com', binding: pushBinding() }]);
      clock.advance(6_000);
      await expect(pending.refreshed).resolves.toBeUndefined();
    });

    it('settles with undefined when the device deregisters', async () => {
      const { coordinator } = setup();
      const pending = coordinator.startPush(AOR, pushBinding(), 'lookup');
      coordinator.bindingsSaved(AOR, [{ kind: 'deleted', aor: AOR, binding: pending.binding }]);
      await expect(pending.refreshed).resolves.toBeUndefined();
    });

    it('retries with exponential backoff inside the refresh window, then gives up', () => {
      const { clock, coordinator, events, pushes } = setup({ refreshTimeoutSec: 10, pushRetrySec: 2, maxPushAttempts: 5 });
      coordinator.startPush(AOR, pushBinding(), 'lookup');
      const times: number[] = [];
      const seen = (): void => { while (times.length < events.length) times.push(clock.now() - BINDING_T0); };
      for (let t = 0; t < 12_000; t += 100) { clock.advance(100); seen(); }
      // attempts at 0, +2 s, +4 s more (6 s); the next (+8 s, at 14 s) would fall after the 10 s window.
      expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
      expect(times).toEqual([100, 2_000, 6_000]);
      expect(pushes).toHaveLength(3);
      expect(clock.pending()).toBe(0);
    });

    it('stops retrying as soon as the device re-registers', () => {
      const { clock, coordinator, events } = setup({ refreshTimeoutSec: 10 });
      const pending = coordinator.startPush(AOR, pushBinding(), 'lookup');
      clock.advance(1_000);
      coordinator.bindingsSaved(AOR, [{ kind: 'refreshed', aor: AOR, binding: pushBinding(APNS, { updatedAt: clock.now(), expiresAt: clock.now() + 60_000 }), previous: pending.binding }]);
      clock.advance(9_000);
      expect(events).toHaveLength(1);
    });

    it('spreads retries with jitter', () => {
      const early = setup({ pushRetrySec: 2, pushRetryJitter: 0.25 }, { random: () => 0 });
      early.coordinator.startPush(AOR, pushBinding(), 'lookup');
      early.clock.advance(1_499);
      expect(early.events).toHaveLength(1);
      early.clock.advance(1);
      expect(early.events).toHaveLength(2);
    });

    it('does not push a device twice for overlapping lookups, and keeps retrying for the later one', () => {
      const { clock, coordinator, events } = setup({ refreshTimeoutSec: 6, pushRetrySec: 2, maxPushAttempts: 3 });
      const first = coordinator.startPush(AOR, pushBinding(), 'lookup');
      clock.advance(1_000);
      const second = coordinator.startPush(AOR, pushBinding(), 'lookup');
      expect(events).toHaveLength(1);
      clock.advance(10_000);
      // retries at 2 s and 6 s: the second lookup's window runs until 7 s.
      expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
      return Promise.all([expect(first.refreshed).resolves.toBeUndefined(), expect(second.refreshed).resolves.toBeUndefined()]);
    });

    it('sends one push when maxPushAttempts is 1 (the OpenSIPS behaviour)', () => {
      const { clock, coordinator, events } = setup({ maxPushAttempts: 1 });
      coordinator.startPush(AOR, pushBinding(), 'lookup');
      clock.advance(60_000);
      expect(events).toHaveLength(1);
    });

    it('reports notifier failures and keeps retrying', async () => {
      const { clock, coordinator, errors, events } = setup({}, {
        notifier: { notify: (r) => (r.attempt === 1 ? Promise.reject(new Error('APNs 503')) : (() => { throw new Error('boom'); })()) },
      });
      coordinator.startPush(AOR, pushBinding(), 'lookup');
      clock.advance(2_000);
      await flush();
      expect(events).toHaveLength(2);
      expect(errors.map((e) => (e as Error).message).sort()).toEqual(['APNs 503', 'boom']);
    });

    it('refuses bindings it must not push, and use after close', () => {
      const { coordinator } = setup();
      expect(() => coordinator.startPush(AOR, buildBinding('sip:alice@192.0.2.10'), 'lookup')).toThrow(ConfigError);
      expect(() => coordinator.startPush(AOR, pushBinding(APNS, { flags: BindingFlags.push | BindingFlags.pushUpstream }), 'lookup')).toThrow(ConfigError);
      coordinator.close();
      expect(() => coordinator.startPush(AOR, pushBinding(), 'lookup')).toThrow(/after close/);
    });
  });

  describe('expiry trigger (pn_trigger_interval)', () => {
    it('pushes with reason expiring triggerIntervalSec before expiry when no refresh came, retrying until expiry', () => {
      const { clock, coordinator, events } = setup({ triggerIntervalSec: 120, pushRetrySec: 30, maxPushAttempts: 3 });
      const b = pushBinding(APNS, { expiresAt: BINDING_T0 + 600_000 });
      coordinator.bindingsSaved(AOR, [{ kind: 'inserted', aor: AOR, binding: b }]);
      clock.advance(479_999);
      expect(events).toEqual([]);
      clock.advance(1);
      expect(events).toEqual([{ aor: AOR, binding: b, reason: 'expiring', pn: { provider: 'apns', prid: '00fc13adff78512', param: 'ABCD1234.com.example.voip' }, attempt: 1 }]);
      clock.advance(120_000);
      expect(events.map((e) => [e.attempt, e.reason])).toEqual([[1, 'expiring'], [2, 'expiring'], [3, 'expiring']]);
      expect(clock.pending()).toBe(0);
    });

    it('is re-armed by each refresh, so a device that refreshes is never pushed', () => {
      const { clock, coordinator, events } = setup();
      let b = pushBinding(APNS, { expiresAt: BINDING_T0 + 600_000 });
      coordinator.bindingsSaved(AOR, [{ kind: 'inserted', aor: AOR, binding: b }]);
      for (let i = 0; i < 5; i++) {
        clock.advance(300_000);
        const next = pushBinding(APNS, { updatedAt: clock.now(), expiresAt: clock.now() + 600_000 });
        coordinator.bindingsSaved(AOR, [{ kind: 'refreshed', aor: AOR, binding: next, previous: b }]);
        b = next;
      }
      expect(events).toEqual([]);
      expect(clock.pending()).toBe(1);
    });

    it('is cancelled by a deletion or an expiry, and never armed for plain or upstream-pushed bindings', () => {
      const { clock, coordinator, events } = setup();
      const b = pushBinding();
      coordinator.bindingsSaved(AOR, [{ kind: 'inserted', aor: AOR, binding: b }]);
      coordinator.bindingsSaved(AOR, [{ kind: 'deleted', aor: AOR, binding: b }]);
      coordinator.bindingsSaved(AOR, [
        { kind: 'inserted', aor: AOR, binding: buildBinding('sip:alice@192.0.2.10') },
        { kind: 'inserted', aor: AOR, binding: pushBinding(MOVED.replace('00fc13adff78512', 'up'), { flags: BindingFlags.push | BindingFlags.pushUpstream }) },
      ]);
      const c = pushBinding(APNS.replace('00fc13adff78512', 'c'));
      coordinator.bindingsSaved(AOR, [{ kind: 'inserted', aor: AOR, binding: c }]);
      coordinator.bindingsSaved(AOR, [{ kind: 'expired', aor: AOR, binding: c }]);
      expect(clock.pending()).toBe(0);
      clock.advance(3_600_000);
      expect(events).toEqual([]);
    });

    it('fires at half the lifetime when the lifetime is shorter than the trigger interval', () => {
      const { clock, coordinator, events } = setup({ triggerIntervalSec: 120, maxPushAttempts: 1 });
      coordinator.watch(AOR, pushBinding(APNS, { expiresAt: BINDING_T0 + 60_000 }));
      clock.advance(29_999);
      expect(events).toHaveLength(0);
      clock.advance(1);
      expect(events.map((e) => e.reason)).toEqual(['expiring']);
    });

    it('lets a lookup wait on an expiring push without pushing again', async () => {
      const { clock, coordinator, events } = setup({ triggerIntervalSec: 120, maxPushAttempts: 1 });
      const b = pushBinding(APNS, { expiresAt: BINDING_T0 + 600_000 });
      coordinator.watch(AOR, b);
      clock.advance(480_000);
      const pending = coordinator.startPush(AOR, b, 'lookup');
      expect(events.map((e) => e.reason)).toEqual(['expiring']);
      const refreshed = pushBinding(APNS, { updatedAt: clock.now(), expiresAt: clock.now() + 600_000 });
      coordinator.bindingsSaved(AOR, [{ kind: 'refreshed', aor: AOR, binding: refreshed, previous: b }]);
      await expect(pending.refreshed).resolves.toBe(refreshed);
    });
  });

  it('finds the device a PURR names even after its Contact moved', () => {
    const { coordinator } = setup();
    const moved = pushBinding(MOVED);
    const expired = pushBinding(APNS.replace('00fc13adff78512', 'gone'), { expiresAt: BINDING_T0 });
    const bindings = [buildBinding('sip:alice@192.0.2.10'), expired, moved];
    expect(coordinator.findDevice(bindings, APNS, BINDING_T0)).toBe(moved);
    expect(coordinator.findDevice(bindings, 'sip:alice@192.0.2.10', BINDING_T0)).toBe(bindings[0]);
    expect(coordinator.findDevice(bindings, APNS.replace('00fc13adff78512', 'gone'), BINDING_T0)).toBeUndefined();
  });

  it('pending() lists the devices waiting on a push: reason, attempts, deadline, waiting requests; not those only watched', async () => {
    const { clock, coordinator } = setup({ refreshTimeoutSec: 6, pushRetrySec: 1, maxPushAttempts: 3 });
    coordinator.watch(AOR, pushBinding(APNS.replace('00fc13adff78512', 'w')));
    expect(coordinator.pending()).toEqual([]);
    const first = coordinator.startPush(AOR, pushBinding(), 'lookup');
    coordinator.startPush(AOR, pushBinding(), 'lookup');
    clock.advance(1_000);
    expect(coordinator.pending()).toEqual([{
      aor: AOR, contact: APNS, reason: 'lookup', provider: 'apns', prid: '00fc13adff78512',
      attempts: 2, startedAt: BINDING_T0, until: BINDING_T0 + 6_000, waiting: 2,
    }]);
    clock.advance(5_000);
    await expect(first.refreshed).resolves.toBeUndefined();
    expect(coordinator.pending()).toEqual([]);
  });

  it('close() cancels every timer and settles every pending push', async () => {
    const { clock, coordinator } = setup();
    coordinator.watch(AOR, pushBinding(APNS.replace('00fc13adff78512', 'w')));
    const pending = coordinator.startPush(AOR, pushBinding(), 'lookup');
    coordinator.close();
    expect(clock.pending()).toBe(0);
    await expect(pending.refreshed).resolves.toBeUndefined();
    coordinator.watch(AOR, pushBinding());
    expect(clock.pending()).toBe(0);
  });
});
