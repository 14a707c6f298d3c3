import { ConfigError } from '../../errors/sdk-error';
import type { Binding } from '../../ports/binding';
import { BindingFlags } from '../../ports/binding';
import type { Clock, TimerHandle } from '../../ports/clock';
import type { BindingChange } from '../../registrar/binding-change';
import type { LookupTarget } from '../../registrar/select-targets';
import type { ContactRefreshEvent, PushCoordinates, PushReason } from './contact-refresh-event';
import { pnDeviceKey } from './pn-device-key';
import { readPnParams } from './pn-params';
import type { PushNotifier } from './push-notifier';
import type { PushOptions, ResolvedPushOptions } from './push-options';
import { resolvePushOptions } from './push-options';
import { stripPnParams } from './strip-pn-params';

/** What a {@link PushCoordinator} works with. */
export interface PushCoordinatorDeps {
  /** The registrar's clock: every delay (refresh timeout, retries, expiry triggers) runs on it. */
  readonly clock: Clock;
  /** Publishes the registrar's `contact-refresh` event, once per push attempt. */
  emit(event: ContactRefreshEvent): void;
  /** Sends the pushes; without it the host sends them from the event. */
  readonly notifier?: PushNotifier;
  /** Failures of `notifier` and `emit` (they never stop the coordinator). @defaultValue ignored */
  onError?(error: unknown): void;
  /** Random numbers in [0, 1) for the retry jitter. @defaultValue Math.random */
  random?(): number;
}

/** A push started for one binding, and its outcome. */
export interface PendingPush {
  readonly aor: string;
  /** The binding pushed (its Contact still carries the `pn-*` parameters). */
  readonly binding: Binding;
  /**
   * The device's binding once it re-registers within `refreshTimeoutSec` (fork the waiting
   * request to it, with {@link stripPnParams} applied to its URI), or `undefined` on timeout,
   * deregistration or {@link PushCoordinator.close}.
   */
  readonly refreshed: Promise<Binding | undefined>;
}

/** A device waiting on a push: pushed, and not re-registered yet (see `Registrar.pendingPushes`, RFC 8599 §4.1.3). */
export interface PushWait {
  readonly aor: string;
  /** The Contact pushed, with its `pn-*` parameters. */
  readonly contact: string;
  readonly reason: PushReason;
  /** `pn-provider` (RFC 8599 §4.1.1). */
  readonly provider: string;
  /** `pn-prid`, the device's token at the provider. */
  readonly prid?: string;
  /** Pushes sent so far for this wake-up. */
  readonly attempts: number;
  /** When the first push went (epoch ms). */
  readonly startedAt: number;
  /** Until when pushes may be retried (epoch ms): the last waiting request's timeout, or the binding's expiry. */
  readonly until: number;
  /** Requests (lookups, PURRs) waiting for the device to re-register. */
  readonly waiting: number;
}

/** Targets of a lookup split by reachability (see {@link PushCoordinator.dispatch}). */
export interface DispatchedTargets {
  /** Targets to forward to now, `pn-*` parameters stripped from their URIs. */
  readonly reachable: LookupTarget[];
  /** Pushes started for the targets that must wake up first. */
  readonly pending: PendingPush[];
}

interface Waiter {
  readonly resolve: (binding: Binding | undefined) => void;
  readonly timer: TimerHandle;
}

/** Pushes sent for one wake-up: how many, until when retries may go, the next retry. */
interface PushRun {
  reason: PushReason;
  readonly startedAt: number;
  attempts: number;
  until: number;
  retry?: TimerHandle;
}

/** One device (AOR + device key) the coordinator has something pending for. */
interface Device {
  readonly id: string;
  readonly aor: string;
  binding: Binding;
  trigger?: TimerHandle;
  run?: PushRun;
  readonly waiters: Set<Waiter>;
}

const PUSHED = BindingFlags.push | BindingFlags.pushUpstream;

/** True for a binding this registrar pushes: flagged push and not handled by a proxy upstream. */
const pushedHere = (b: Binding): boolean => (b.flags & PUSHED) === BindingFlags.push;

/**
 * The stateful half of RFC 8599 support: it decides which lookup targets need a push first, sends
 * the pushes (`contact-refresh` event + {@link PushNotifier}), retries them with exponential backoff
 * and jitter while no re-REGISTER comes (OpenSIPS sends one and gives up), settles each pending
 * push when the device re-registers within `refreshTimeoutSec` (OpenSIPS `pn_refresh_timeout`),
 * and pushes bindings that were not refreshed `triggerIntervalSec` before expiry
 * (`pn_trigger_interval`). A device is identified by its `ctMatchParams` values, else by its
 * Contact URI. All timing runs on the injected {@link Clock}.
 *
 * The registrar calls {@link bindingsSaved} after every commit (saves, removals, expiry purges).
 */
export class PushCoordinator {
  readonly #options: ResolvedPushOptions;
  readonly #deps: PushCoordinatorDeps;
  readonly #devices = new Map<string, Device>();
  readonly #keys = new WeakMap<Binding, string>();
  /** Match parameters `stripPnParams` does not already remove (custom ones). */
  readonly #customParams: readonly string[];
  #closed = false;

  constructor(options: PushOptions, deps: PushCoordinatorDeps) {
    this.#options = resolvePushOptions(options);
    this.#deps = deps;
    this.#customParams = this.#options.ctMatchParams.filter((p) => !p.startsWith('pn-'));
  }

  /**
   * False for a binding that must be woken by a push before a request can reach it: flagged push
   * (not `pushUpstream`) and registered more than `skipPnIntervalSec` ago (OpenSIPS
   * `pn_skip_pn_interval`: 0 = always push).
   */
  isReachable(binding: Binding, nowMs: number): boolean {
    return !pushedHere(binding) || nowMs - binding.updatedAt < this.#options.skipPnIntervalSec * 1000;
  }

  /**
   * Split a lookup's targets: reachable ones (URIs stripped of push parameters) and pushes started
   * for the others (reason `lookup`). No reachable target and some pending is the seed's lookup
   * return code 2; otherwise code 1 with the pending pushes alongside.
   */
  dispatch(targets: readonly LookupTarget[], nowMs: number): DispatchedTargets {
    const reachable: LookupTarget[] = [];
    const pending: PendingPush[] = [];
    for (const t of targets) {
      if (!this.isReachable(t.binding, nowMs)) {
        pending.push(this.startPush(t.aor, t.binding, 'lookup'));
        continue;
      }
      reachable.push(this.awake(t));
    }
    return { reachable, pending };
  }

  /**
   * The target a request is forwarded to once its device is awake: the URI without its `pn-*`
   * and custom match parameters (OpenSIPS strips them from the resulting Request-URI).
   */
  awake(target: LookupTarget): LookupTarget {
    const uri = stripPnParams(target.uri, this.#customParams);
    return uri === target.uri ? target : { ...target, uri };
  }

  /**
   * The live binding among `bindings` that is the device of `contact` (same match parameters,
   * else the same URI): the target of a PURR, whose Contact may have changed since it was issued.
   */
  findDevice(bindings: readonly Binding[], contact: string, nowMs: number): Binding | undefined {
    const key = this.#keyOfUri(contact);
    return bindings.find((b) => b.expiresAt > nowMs && this.#keyOf(b) === key);
  }

  /**
   * Push the device of `binding` and wait up to `refreshTimeoutSec` for its re-REGISTER. Pushes
   * for a device already being pushed are not repeated: the new waiter joins the running
   * attempts, whose retry window grows to cover it.
   * @throws {@link ConfigError} when `binding` is not pushed from here, or after {@link close}.
   */
  startPush(aor: string, binding: Binding, reason: PushReason): PendingPush {
    if (this.#closed) throw new ConfigError('PushCoordinator.startPush after close()');
    if (!pushedHere(binding) || this.#coordinates(binding) === undefined) {
      throw new ConfigError(`PushCoordinator.startPush needs a binding with BindingFlags.push (not pushUpstream) and a pn-provider, got ${binding.contact}`);
    }
    const device = this.#device(aor, binding);
    device.binding = binding;
    const timeoutMs = this.#options.refreshTimeoutSec * 1000;
    const refreshed = new Promise<Binding | undefined>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: this.#deps.clock.setTimer(timeoutMs, () => {
          device.waiters.delete(waiter);
          resolve(undefined);
          if (device.waiters.size === 0 && device.run?.reason !== 'expiring') this.#stopRun(device);
          this.#dropIfIdle(device);
        }),
      };
      device.waiters.add(waiter);
    });
    const until = this.#deps.clock.now() + timeoutMs;
    if (device.run === undefined) this.#beginRun(device, reason, until);
    else if (until > device.run.until) {
      device.run.until = until;
      if (device.run.retry === undefined) this.#scheduleRetry(device);
    }
    return { aor, binding, refreshed };
  }

  /**
   * Arm the expiry trigger of a push binding: at `expiresAt - triggerIntervalSec` (at half its
   * lifetime when that is shorter, so short registrations do not push on every refresh), if no
   * refresh came, push it with reason `expiring`, retrying until it expires. Replaces the trigger
   * of the same device; a binding not pushed from here only clears it. Called by
   * {@link bindingsSaved}; call it directly for bindings loaded at startup.
   */
  watch(aor: string, binding: Binding): void {
    if (this.#closed) return;
    const id = this.#id(aor, binding);
    const existing = this.#devices.get(id);
    existing?.trigger?.cancel();
    if (existing !== undefined) existing.trigger = undefined;
    const now = this.#deps.clock.now();
    if (!pushedHere(binding) || binding.expiresAt <= now || this.#coordinates(binding) === undefined) {
      if (existing !== undefined) this.#dropIfIdle(existing);
      return;
    }
    const device = existing ?? this.#device(aor, binding);
    device.binding = binding;
    const lifetime = binding.expiresAt - binding.updatedAt;
    const lead = this.#options.triggerIntervalSec * 1000;
    const at = lifetime > lead ? binding.expiresAt - lead : binding.updatedAt + lifetime / 2;
    device.trigger = this.#deps.clock.setTimer(at - now, () => {
      device.trigger = undefined;
      const run = device.run;
      if (run === undefined) this.#beginRun(device, 'expiring', binding.expiresAt);
      else if (binding.expiresAt > run.until) {
        run.until = binding.expiresAt;
        if (run.retry === undefined) this.#scheduleRetry(device);
      }
    });
  }

  /**
   * After each commit: an inserted, refreshed or updated binding settles the pending pushes of its
   * device with the new binding and re-arms its expiry trigger; a deleted or expired one settles
   * them with `undefined` and forgets the device.
   */
  bindingsSaved(aor: string, changes: readonly BindingChange[]): void {
    for (const ch of changes) {
      const alive = ch.kind === 'inserted' || ch.kind === 'refreshed' || ch.kind === 'updated';
      this.#settle(this.#id(aor, ch.binding), alive ? ch.binding : undefined);
      if (ch.previous !== undefined) this.#settle(this.#id(aor, ch.previous), alive ? ch.binding : undefined);
      if (alive) this.watch(aor, ch.binding);
    }
  }

  /**
   * The devices waiting on a push now, in the order their pushes started: the management
   * interface's list of bindings waiting on a push (RFC 8599 §6). Devices only watched for
   * expiry are not listed.
   */
  pending(): PushWait[] {
    const out: PushWait[] = [];
    for (const { aor, binding, run, waiters } of this.#devices.values()) {
      const pn = this.#coordinates(binding);
      if (run === undefined || pn === undefined) continue;
      out.push({
        aor, contact: binding.contact, reason: run.reason, provider: pn.provider, ...(pn.prid === undefined ? {} : { prid: pn.prid }),
        attempts: run.attempts, startedAt: run.startedAt, until: run.until, waiting: waiters.size,
      });
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Cancel every timer and settle every pending push with `undefined`. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#devices.keys()]) this.#settle(id, undefined);
  }

  #settle(id: string, binding: Binding | undefined): void {
    const device = this.#devices.get(id);
    if (device === undefined) return;
    this.#devices.delete(id);
    device.trigger?.cancel();
    this.#stopRun(device);
    for (const w of device.waiters) {
      w.timer.cancel();
      w.resolve(binding);
    }
    device.waiters.clear();
  }

  #beginRun(device: Device, reason: PushReason, until: number): void {
    device.run = { reason, startedAt: this.#deps.clock.now(), attempts: 0, until };
    this.#send(device);
  }

  #send(device: Device): void {
    const run = device.run;
    const pn = this.#coordinates(device.binding);
    if (run === undefined || pn === undefined) return;
    run.attempts++;
    const { aor, binding } = device;
    const attempt = run.attempts;
    this.#guard(() => this.#deps.emit({ aor, binding, reason: run.reason, pn, attempt }));
    const notifier = this.#deps.notifier;
    if (notifier !== undefined) {
      this.#guard(() => {
        const sent = notifier.notify({ ...pn, aor, contact: binding.contact, reason: run.reason, attempt });
        if (sent !== undefined) sent.catch((e: unknown) => this.#deps.onError?.(e));
      });
    }
    this.#scheduleRetry(device);
  }

  /** Next retry after `pushRetrySec · 2^(attempts-1)` ± jitter, if attempts and the window allow. */
  #scheduleRetry(device: Device): void {
    const run = device.run;
    if (run === undefined || run.attempts >= this.#options.maxPushAttempts) return;
    const { pushRetrySec, pushRetryJitter } = this.#options;
    const base = pushRetrySec * 1000 * 2 ** (run.attempts - 1);
    const delay = base * (1 + pushRetryJitter * (2 * (this.#deps.random ?? Math.random)() - 1));
    if (this.#deps.clock.now() + delay >= run.until) return;
    run.retry = this.#deps.clock.setTimer(delay, () => {
      run.retry = undefined;
      this.#send(device);
    });
  }

  #stopRun(device: Device): void {
    device.run?.retry?.cancel();
    device.run = undefined;
  }

  #dropIfIdle(device: Device): void {
    if (device.trigger === undefined && device.run === undefined && device.waiters.size === 0) this.#devices.delete(device.id);
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#deps.onError?.(e);
    }
  }

  #device(aor: string, binding: Binding): Device {
    const id = this.#id(aor, binding);
    let device = this.#devices.get(id);
    if (device === undefined) {
      device = { id, aor, binding, waiters: new Set() };
      this.#devices.set(id, device);
    }
    return device;
  }

  #id(aor: string, binding: Binding): string {
    return aor + '\0' + this.#keyOf(binding);
  }

  #keyOf(binding: Binding): string {
    let key = this.#keys.get(binding);
    if (key === undefined) {
      key = this.#keyOfUri(binding.contact);
      this.#keys.set(binding, key);
    }
    return key;
  }

  /** `pn:` + the match parameter values, else `uri:` + the Contact URI. */
  #keyOfUri(uri: string): string {
    const pn = readPnParams(uri);
    const key = pn === undefined ? undefined : pnDeviceKey(pn.uriParams, this.#options.ctMatchParams);
    return key === undefined ? 'uri:' + uri : 'pn:' + key;
  }

  #coordinates(binding: Binding): PushCoordinates | undefined {
    const pn = readPnParams(binding.contact);
    if (pn === undefined || pn.provider === null) return undefined;
    const out: { -readonly [K in keyof PushCoordinates]: PushCoordinates[K] } = { provider: pn.provider };
    if (pn.prid !== undefined) out.prid = pn.prid;
    if (pn.param !== undefined) out.param = pn.param;
    return out;
  }
}
