import { EventEmitter } from 'eventemitter3';
import type { Binding } from '../ports/binding';
import type { MaybePromise } from '../ports/location-store';
import type { SipRequest } from '../sip/message';
import { ConfigError, StoreError } from '../errors/sdk-error';
import type { RegError, RegErrorCode } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import type { Result } from '../errors/result';
import type { BindingChange } from './binding-change';
import { asAorUri, queryAor, toAor } from './aor';
import { hasSipScheme } from './has-sip-scheme';
import type { AorRules } from './aor';
import { planSave } from './plan-save';
import type { SavePlan } from './plan-save';
import { lruInterner } from './lru-interner';
import { savePolicy, type SavePolicy } from './save-policy';
import type { CasEdit, CasWrite } from './commit-with-retry';
import { commitWithRetry } from './commit-with-retry';
import { ExpiryPurge } from './expiry-purge';
import { Lookups } from './lookups';
import type { LookupOptions } from './lookup-options';
import type { RemoveQuery } from './remove-query';
import { removalFilter } from './remove-query';
import { contactRegistered, ipRegistered, liveAt } from './registration-queries';
import { withDefaults } from './with-defaults';
import type { RegistrarEvents } from './registrar-events';
import type { RegistrarOptions, ResolvedRegistrarOptions } from './registrar-options';
import { resolveRegistrarOptions, storeRetryAfterSec } from './registrar-options';
import { buildErrorReply, buildSaveReply, regErrorStatus } from './reply';
import { SipDate } from './sip-date';
import type { SaveOptions } from './save-options';
import type { SaveResult } from './save-result';
import type { LookupResult } from './select-targets';
import { targetOf } from './select-targets';
import type { PurrOutcome } from './purr-outcome';
import type { RegistrarFeature, SaveHookContext } from '../features/registrar-feature';
import { createPathFeature } from '../features/path/path-feature';
import type { OutboundFeature } from '../features/outbound/outbound-feature';
import { createOutboundFeature } from '../features/outbound/outbound-feature';
import { createGruuFeature } from '../features/gruu/gruu-feature';
import type { PushFeature } from '../features/push/push-feature';
import { createPushFeature } from '../features/push/push-feature';
import { PushCoordinator, type PushWait } from '../features/push/push-coordinator';
import type { SaveReplyExtras } from './reply';
import type { FeatureHooks } from './feature-hooks';
import { featureHooks } from './feature-hooks';
import type { AuthIdentity, AuthOutcome } from '../auth/authenticator';
import { identityMayUse } from '../auth/identity-may-use';

export type { RemoveQuery } from './remove-query';

/** The outcome of an {@link Registrar.editBindings} edit: the AOR's new bindings and what changed. */
export interface BindingsEdit {
  readonly bindings: readonly Binding[];
  readonly changes: readonly BindingChange[];
}

/** Registrar statistics (OpenSIPS `accepted_regs`, `rejected_regs`, `max_expires` ...). */
export interface RegistrarStats {
  readonly acceptedRegs: number;
  /**
   * REGISTERs `save` refused (OpenSIPS `rejected_regs`, which counts `save()` failures). The
   * refusals of authentication (401, 400 for bad credentials, 503 when the credential store is
   * away, 403 for a foreign AOR) are not counted: OpenSIPS answers those from `www_authorize()`
   * and `db_check_to()` before its script calls `save()`.
   */
  readonly rejectedRegs: number;
  /**
   * {@link RegistrarStats.rejectedRegs} by the {@link RegError} code of the refusal (reasons not
   * seen are absent): `too-many-contacts` counts the REGISTERs refused for `maxContacts`.
   */
  readonly rejectedByReason: Readonly<Partial<Record<RegErrorCode, number>>>;
  /**
   * REGISTERs refused because their credentials did not verify (RFC 3261 §22.4; a wrong password,
   * a foreign nonce), as the source guard's bans count them; not the first challenge of a REGISTER
   * without credentials.
   */
  readonly authFailures: number;
  /** Bindings this registrar found expired and removed (OpenSIPS usrloc `expires`), not those another node sharing the store removed. */
  readonly expired: number;
  /** Pushes sent (RFC 8599): one per `contact-refresh` event, each retry counted. */
  readonly pushesSent: number;
  /** Pushes whose {@link RegistrarOptions.pushNotifier} failed (threw or rejected), or whose `contact-refresh` listener threw. */
  readonly pushesFailed: number;
  readonly maxExpires: number;
  readonly maxContacts: number;
  readonly defaultExpires: number;
  /** Bindings currently stored (including expired ones not yet purged). */
  readonly bindings: number;
  /** AORs currently stored. */
  readonly aors: number;
}

const CONNECTION_ORIENTED = new Set(['tcp', 'tls', 'ws', 'wss', 'sctp']);

/** `expired` changes of the bindings a commit dropped because their lifetime had run out. */
function expiredChanges(aor: string, bindings: readonly Binding[]): BindingChange[] {
  return bindings.map((binding) => ({ kind: 'expired', aor, binding }));
}

/**
 * What a save commits: the plan's bindings, and the expired bindings it drops then the plan's
 * changes; the plan itself when nothing expired (the common case).
 */
function saveWrite(aor: string, plan: SavePlan): CasWrite {
  return plan.expired.length === 0 ? plan : { bindings: plan.bindings, changes: [...expiredChanges(aor, plan.expired), ...plan.changes] };
}

/** A change another node committed, as this node emits it. */
const asRemote = (change: BindingChange): BindingChange => ({ ...change, remote: true });

/** A save in progress: what the extensions' hooks see, its time set by each compare-and-set attempt. */
type SaveCall = { -readonly [K in keyof SaveHookContext]: SaveHookContext[K] };

/** An {@link Registrar.editBindings} in progress. */
interface EditCall {
  readonly aor: string;
  readonly edit: (bindings: readonly Binding[], nowMs: number) => MaybePromise<BindingsEdit | undefined>;
}

const NO_CHANGES: readonly BindingChange[] = Object.freeze([]);

/**
 * The registrar (RFC 3261 §10.3; the OpenSIPS registrar module): `save` processes a REGISTER,
 * `lookup` finds where to send a request, `remove` and the `is*Registered` queries inspect and
 * edit the location. Create it with {@link createRegistrar}.
 *
 * The protocol rules are pure functions (`planSave`, `selectTargets`); this façade loads,
 * plans, commits with compare-and-set (retrying on conflict), builds the reply and emits events.
 */
export class Registrar extends EventEmitter<RegistrarEvents> {
  /** The resolved options (frozen). */
  readonly options: ResolvedRegistrarOptions;
  private readonly ownsStore: boolean;
  /** AOR rules for queries and lookups: like saves, but any domain. */
  private readonly queryAorRules: AorRules;
  private accepted = 0;
  private rejected = 0;
  private readonly rejectedBy: Partial<Record<RegErrorCode, number>> = {};
  private authFailures = 0;
  private expired = 0;
  private pushesSent = 0;
  private pushesFailed = 0;
  private closed = false;
  /** The last save in flight per AOR, with an asynchronous store (see {@link queueSave}). */
  private readonly saving = new Map<string, Promise<SaveResult>>();
  /** Stops hearing the other nodes' commits (stores with {@link LocationStore.watch}). */
  private readonly unwatch: (() => void) | undefined;
  /** Enabled extensions (Path, outbound, GRUU, push) by hook. */
  private readonly features: FeatureHooks;
  /**
   * The rules {@link save} plans with (`planSave`'s policy: the options and the extensions' save
   * hooks, all pure; their side effects run after the commit). A front end previews a save with it:
   * the mid-registrar refuses before forwarding what the save would refuse after the main
   * registrar's 2xx (OpenSIPS `mid_registrar_save`).
   * @internal
   */
  readonly savePolicy: SavePolicy;
  private readonly outbound: OutboundFeature | undefined;
  private readonly push: PushFeature | undefined;
  private readonly pushes: PushCoordinator | undefined;
  private readonly lookups: Lookups;
  private readonly purge: ExpiryPurge;
  /** The `Date` of the 200s, formatted once per second of this registrar's clock. */
  private readonly dates = new SipDate();
  /** A REGISTER through compare-and-set: load, {@link planSave}, commit. */
  private readonly saveEdit: CasEdit<SaveCall, Result<SavePlan, RegError>, SaveResult>;
  /** An {@link editBindings} through compare-and-set. */
  private readonly bindingsEdit: CasEdit<EditCall, BindingsEdit | undefined, readonly BindingChange[]>;

  constructor(options: RegistrarOptions = {}) {
    super();
    const o = resolveRegistrarOptions(options);
    this.options = o;
    this.ownsStore = options.store === undefined;
    this.queryAorRules = { ...o, domains: [] };
    const features: RegistrarFeature[] = [createPathFeature({ serviceRoute: o.serviceRoute })];
    if (o.outbound.enabled) features.push((this.outbound = createOutboundFeature(o.outbound)));
    const gruu = o.gruu.enabled ? createGruuFeature(o.gruu) : undefined;
    if (gruu !== undefined) {
      features.push(gruu);
      if (o.gruu.secret[0] === 'OpenSIPS') {
        o.logger.warn({}, "GRUUs are sealed with the public default secret 'OpenSIPS': set gruu.secret (--gruu-secret) so temporary GRUUs hide their AOR (RFC 5627 §3.2)");
      }
    }
    if (o.push.enabled) {
      this.pushes = new PushCoordinator(o.push, {
        clock: o.clock,
        emit: (event) => {
          this.pushesSent++;
          this.emit('contact-refresh', event);
        },
        notifier: o.pushNotifier,
        onError: (e) => {
          this.pushesFailed++;
          this.reportError(e, 'push notification failed');
        },
      });
      features.push((this.push = createPushFeature(o.push, this.pushes)));
    }
    this.features = featureHooks(features);
    this.lookups = new Lookups(o, this.queryAorRules, gruu, this.pushes);
    const policy = (this.savePolicy = savePolicy(o, lruInterner(), this.features));
    this.saveEdit = {
      store: o.store,
      maxAttempts: o.maxCommitAttempts,
      decide: (call, snapshot) => {
        call.nowMs = o.clock.now();
        return planSave(call, snapshot.bindings, policy);
      },
      write: (call, planned) => (planned.ok && !planned.value.unchanged ? saveWrite(call.aor, planned.value) : undefined),
      settled: (call, planned, written) => (planned.ok
        ? this.accept(call, planned.value, written?.changes)
        : this.reject(call.request, call.save, planned.error, call.aor)),
      conflicted: (call) => this.reject(call.request, call.save, regError('store-conflict'), call.aor),
      failed: (call, e) => this.storeFailure(call.request, call.save, call.aor, e),
    };
    this.bindingsEdit = {
      store: o.store,
      maxAttempts: o.maxCommitAttempts,
      decide: (call, snapshot) => call.edit(snapshot.bindings, o.clock.now()),
      write: (_call, edit) => (edit === undefined || edit.changes.length === 0 ? undefined : edit),
      settled: (call, _edit, written) => {
        if (written === undefined) return NO_CHANGES;
        this.committed(call.aor, written.changes);
        return written.changes;
      },
      conflicted: (call) => {
        throw new StoreError(`${call.aor} kept changing under ${o.maxCommitAttempts} attempts; try again`);
      },
      failed: (_call, e) => {
        throw e;
      },
    };
    this.purge = new ExpiryPurge(o, (aor, changes) => this.committed(aor, changes), (e) => this.reportError(e, 'expiry purge failed'));
    this.unwatch = o.store.watch?.((aor, changes) => {
      if (!this.closed) this.committed(aor, changes.map(asRemote));
    });
    this.purge.schedule();
  }

  /** A commit changed `aor` (here, or on another node sharing the store): emit each change and tell the extensions. */
  private committed(aor: string, changes: readonly BindingChange[]): void {
    for (let i = 0; i < changes.length; i++) this.emitChange(changes[i]);
    const hooked = this.features.afterCommit;
    for (let i = 0; i < hooked.length; i++) hooked[i].afterCommit?.(aor, changes);
  }

  /**
   * Process a REGISTER (OpenSIPS `save()`): add, refresh or remove the bindings of its AOR and
   * build the reply. Always a promise, whatever the store: it resolves to the outcome, and bad
   * requests, refused authentication and store failures are a {@link SaveRejected} with the SIP
   * error reply, not a rejection. With {@link RegistrarOptions.auth}, the request is
   * authenticated (RFC 3261 §10.3 steps 2 and 3) before anything is loaded or written. It
   * rejects only on misuse ({@link ConfigError} after {@link Registrar.close}).
   * The work starts synchronously: the bindings of a synchronous store (memory, SQLite) are
   * committed, and the events emitted, before `save` returns (with an authenticator, when it
   * answers synchronously too: over a memory credential store).
   */
  async save(request: SipRequest, options?: SaveOptions): Promise<SaveResult> {
    return this.saveNow(request, options);
  }

  /**
   * {@link Registrar.save} answering synchronously when the store does (a value, no promise):
   * the bundled server's hot path, so that a synchronous store leaves no promise or server
   * transaction behind. Throws {@link ConfigError} after close.
   * @internal
   */
  saveNow(request: SipRequest, options?: SaveOptions): MaybePromise<SaveResult> {
    this.assertOpen();
    const save = withDefaults(this.options.defaultSaveOptions, options);
    const precheck = this.precheck(request);
    if (precheck !== undefined) return this.reject(request, save, precheck);
    const aor = toAor(save.aor === undefined ? request.to.uri : asAorUri(save.aor), this.options);
    if (!aor.ok) return this.reject(request, save, aor.error);
    const key = aor.value;
    const auth = this.options.auth;
    if (save.identity !== undefined || auth === undefined) return this.authorized(request, save, key, save.identity);
    const outcome = auth.authenticate(request, 'www', save.source);
    if (outcome instanceof Promise) return outcome.then((o) => this.authenticated(request, save, key, o));
    return this.authenticated(request, save, key, outcome);
  }

  /** A save once its authenticator answered: refused with the authenticator's reply, or on to the identity check. */
  private authenticated(request: SipRequest, save: SaveOptions, aor: string, outcome: AuthOutcome): MaybePromise<SaveResult> {
    if (!outcome.ok) return this.refuse(request, save, outcome.error, aor, outcome.failed);
    return this.authorized(request, save, aor, outcome.identity);
  }

  /**
   * A save once who sent it is settled (`identity` undefined without authentication): with
   * `checkTo` the AOR must be the identity's (RFC 3261 §10.3 step 3), then the save starts, after
   * the AOR's saves in flight.
   */
  private authorized(request: SipRequest, save: SaveOptions, key: string, identity: AuthIdentity | undefined): MaybePromise<SaveResult> {
    if (identity !== undefined && this.options.checkTo && !identityMayUse(identity, key, this.options.caseSensitive)) {
      return this.refuse(request, save, regError('auth-forbidden'), key, false);
    }
    // A synchronous store leaves nothing in flight: no lookup (and no hash of the new AOR string) then.
    const queued = this.saving.size === 0 ? undefined : this.saving.get(key);
    if (queued !== undefined) {
      const next = (): MaybePromise<SaveResult> => commitWithRetry(this.saveEdit, { request, save, aor: key, nowMs: 0 });
      return this.queueSave(key, queued.then(next, next));
    }
    const result = commitWithRetry(this.saveEdit, { request, save, aor: key, nowMs: 0 });
    return result instanceof Promise ? this.queueSave(key, result) : result;
  }

  /**
   * Make `pending` the AOR's last save in flight: the next REGISTER of the AOR on this registrar
   * starts once it ended, so with an asynchronous (networked) store this node's REGISTERs of one
   * AOR never race each other, and compare-and-set conflicts come only from other nodes.
   */
  private queueSave(aor: string, pending: Promise<SaveResult>): Promise<SaveResult> {
    this.saving.set(aor, pending);
    const ended = (): void => {
      if (this.saving.get(aor) === pending) this.saving.delete(aor);
    };
    pending.then(ended, ended);
    return pending;
  }

  /**
   * What is refused before the AOR is read (RFC 3261 §10.3 step 1, §8.2.2): another method, a
   * Request-URI that is not `sip:`/`sips:` (416, §8.2.2.1), a `Require` tag not supported (420).
   */
  private precheck(request: SipRequest): RegError | undefined {
    if (request.method !== 'REGISTER') return regError('not-register');
    if (!hasSipScheme(request.uri)) return regError('unsupported-uri-scheme');
    if (request.require.length === 0) return undefined;
    const unsupported = request.require.filter((t) => !this.options.supportedExtensions.includes(t));
    if (unsupported.length > 0) return regError('bad-extension', [['Unsupported', unsupported.join(', ')]]);
    return undefined;
  }

  /** The 200 of a save; `committed` is what its commit changed, undefined when nothing needed committing. */
  private accept(ctx: SaveHookContext, plan: SavePlan, committed: readonly BindingChange[] | undefined): SaveResult {
    const { request, save, aor, nowMs } = ctx;
    this.accepted++;
    if (committed !== undefined) this.committed(aor, committed);
    const listed = save.onlyRequestContacts ? plan.requestBindings : plan.bindings;
    const response = save.noReply ? undefined : buildSaveReply(request, listed, nowMs, this.dates.at(nowMs), this.options.receivedParam, this.replyExtras(listed, ctx));
    let keepConnectionUntil: number | undefined;
    const source = save.source;
    if (save.tcpPersistent && source !== undefined && CONNECTION_ORIENTED.has(source.protocol)) {
      for (const b of plan.requestBindings) keepConnectionUntil = Math.max(keepConnectionUntil ?? 0, b.expiresAt);
    }
    const retransmission = committed === undefined && request.contacts !== '*' && request.contacts.length > 0;
    return { ok: true, status: 200, aor, response, bindings: plan.bindings, changes: plan.changes, retransmission, keepConnectionUntil };
  }

  /** What the extensions add to the 200 (contact parameters, headers), or undefined for nothing. */
  private replyExtras(listed: readonly Binding[], hook: SaveHookContext): SaveReplyExtras | undefined {
    // One feature's headers are taken as they are (outbound's are built once); several are joined.
    let headers: readonly (readonly [string, string])[] | undefined;
    let params: ((b: Binding) => string)[] | undefined;
    const { replyHeaders, contactParams } = this.features;
    for (let i = 0; i < replyHeaders.length; i++) {
      const h = replyHeaders[i].replyHeaders?.(listed, hook);
      if (h !== undefined && h.length > 0) headers = headers === undefined ? h : [...headers, ...h];
    }
    for (let i = 0; i < contactParams.length; i++) {
      const f = contactParams[i];
      const each = f.contactParams;
      if (each !== undefined) (params ??= []).push((b) => each.call(f, b, hook));
    }
    if (headers === undefined && params === undefined) return undefined;
    const each = params;
    return { headers, contactParams: each === undefined ? undefined : (b) => each.map((p) => p(b)).join('') };
  }

  private reportError(e: unknown, what: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
    this.options.logger.error({ err: e }, what);
  }

  /** A refusal by `save` itself, counted in `rejectedRegs`. */
  private reject(request: SipRequest, save: SaveOptions, error: RegError, aor?: string): SaveResult {
    this.rejected++;
    this.rejectedBy[error.code] = (this.rejectedBy[error.code] ?? 0) + 1;
    return this.refuse(request, save, error, aor, false);
  }

  /** A refused REGISTER; authentication refusals come here directly, not counted (see {@link RegistrarStats.rejectedRegs}). */
  private refuse(request: SipRequest, save: SaveOptions, error: RegError, aor: string | undefined, authFailed: boolean): SaveResult {
    const { status } = regErrorStatus(error);
    if (authFailed) this.authFailures++;
    this.options.logger.debug({ aor, code: error.code, status }, 'REGISTER rejected');
    const response = save.noReply ? undefined : buildErrorReply(request, error, this.options);
    return authFailed ? { ok: false, status, aor, error, response, authFailed } : { ok: false, status, aor, error, response };
  }

  private storeFailure(request: SipRequest, save: SaveOptions, aor: string, e: unknown): SaveResult {
    const transient = e instanceof StoreError && e.transient;
    this.options.logger.error({ aor, err: e }, 'location store failed; REGISTER not saved');
    if (!transient) return this.reject(request, save, regError('store-failure'), aor);
    return this.reject(request, save, regError('store-unavailable', [['Retry-After', String(storeRetryAfterSec(this.options))]]), aor);
  }

  private emitChange(change: BindingChange): void {
    if (change.kind === 'expired' && change.remote !== true) this.expired++;
    if (this.listenerCount(change.kind) > 0) this.emit(change.kind, change);
  }

  /**
   * Find where to send a request (OpenSIPS `lookup()`): the AOR of the Request-URI (or
   * `options.aor`), its live bindings filtered and ordered per the options. A string is a
   * Request-URI looked up for an INVITE. Always a promise. A store failure is a result, not a
   * rejection: `{ kind: 'error', code: -3 }` (OpenSIPS's internal error) with the store's error and
   * whether it is `transient`. It rejects only with {@link ConfigError} after {@link Registrar.close}.
   */
  async lookup(request: SipRequest | string, options?: LookupOptions & { readonly method?: string }): Promise<LookupResult> {
    return this.lookupNow(request, options);
  }

  /**
   * {@link Registrar.lookup} answering synchronously when the store does: the bundled server's
   * path. Throws {@link ConfigError} after close.
   * @internal
   */
  lookupNow(request: SipRequest | string, options?: LookupOptions & { readonly method?: string }): MaybePromise<LookupResult> {
    this.assertOpen();
    return this.lookups.lookupNow(request, options);
  }

  /**
   * {@link Registrar.lookup} of each request, results in the same order. Among a million AORs a
   * single lookup is a chain of cache misses that each wait for the last; a batch has the store
   * overlap them ({@link LocationStore.loadManyIn}), so a proxy holding several requests at once
   * (a burst read from its socket in one event-loop turn) routes them in about half the time
   * each with the memory store. Requests that need more than one load (GRUUs, `branchAors`) and
   * stores without `loadManyIn` are looked up one by one. Always a promise, as `lookup`; when the
   * store fails, each request it failed for gets its `error` result.
   */
  async lookupMany(requests: readonly (SipRequest | string)[], options?: LookupOptions & { readonly method?: string }): Promise<readonly LookupResult[]> {
    return this.lookupManyNow(requests, options);
  }

  /**
   * {@link Registrar.lookupMany} answering synchronously when the store does. Throws
   * {@link ConfigError} after close.
   * @internal
   */
  lookupManyNow(requests: readonly (SipRequest | string)[], options?: LookupOptions & { readonly method?: string }): MaybePromise<readonly LookupResult[]> {
    this.assertOpen();
    return this.lookups.lookupManyNow(requests, options);
  }

  /**
   * Mid-dialog push (OpenSIPS `pn_process_purr()`, RFC 8599 long-lived dialogs): find the
   * registration named by the `pn-purr` of the Request-URI or top Route, push its device and
   * settle when it re-registers or `pn_refresh_timeout` passes. See {@link PurrOutcome}.
   */
  async processPurr(request: SipRequest): Promise<PurrOutcome> {
    this.assertOpen();
    const push = this.push;
    const pushes = this.pushes;
    const target = push?.purrOf(request);
    if (push === undefined || pushes === undefined || target === undefined) {
      return { code: 2, kind: 'not-launched', reason: push?.carriesPurr(request) === true ? 'foreign-purr' : 'no-purr' };
    }
    let bindings: readonly Binding[];
    try {
      bindings = (await this.options.store.load(target.aor)).bindings;
    } catch (error) {
      this.options.logger.error({ aor: target.aor, err: error }, 'location store failed during processPurr');
      return { code: -1, kind: 'error', error };
    }
    const now = this.options.clock.now();
    const device = pushes.findDevice(bindings, target.contact, now);
    if (device === undefined) return { code: 2, kind: 'not-launched', reason: 'offline' };
    if (pushes.isReachable(device, now)) return { code: 2, kind: 'not-launched', reason: 'reachable' };
    const woken = await pushes.startPush(target.aor, device, 'purr').refreshed;
    return woken === undefined
      ? { code: 1, kind: 'timed-out', aor: target.aor, binding: device }
      : { code: 1, kind: 'refreshed', aor: target.aor, target: pushes.awake(targetOf(target.aor, woken)) };
  }

  /** Record a contact's last ping round trip in µs, for `maxPingLatencyUs` and `sortByLatency`. */
  recordLatency(aor: string, contact: string, latencyUs: number): void {
    const a = this.aorOf(aor);
    if (a !== undefined) this.lookups.recordLatency(a, contact, latencyUs);
  }

  /** Live bindings of an AOR (a URI or `user@domain`); none for a string that is not an AOR. */
  async bindings(aor: string): Promise<readonly Binding[]> {
    this.assertOpen();
    const a = this.aorOf(aor);
    if (a === undefined) return [];
    const now = this.options.clock.now();
    return liveAt((await this.options.store.load(a)).bindings, now);
  }

  /** True when the AOR has a live binding (OpenSIPS `is_registered`). */
  async isRegistered(aor: string): Promise<boolean> {
    return (await this.bindings(aor)).length > 0;
  }

  /** True when the AOR has a live binding with this Contact URI and/or Call-ID (OpenSIPS `is_contact_registered`). */
  async isContactRegistered(aor: string, contact?: string, callId?: string): Promise<boolean> {
    return contactRegistered(await this.bindings(aor), contact, callId);
  }

  /**
   * True when a live binding of the AOR was registered from one of `ips`: compared with the
   * `received` host when set, else the Contact host (OpenSIPS `is_ip_registered`).
   */
  async isIpRegistered(aor: string, ips: string | readonly string[]): Promise<boolean> {
    return ipRegistered(await this.bindings(aor), ips);
  }

  /**
   * Remove bindings of an AOR (OpenSIPS `remove()`), optionally only those with a Contact URI,
   * a next hop (host names resolved through {@link RegistrarOptions.resolver}) or a
   * `+sip.instance`. Resolves to the number removed.
   */
  async remove(query: RemoveQuery): Promise<number> {
    this.assertOpen();
    const aor = this.aorOf(query.aor);
    if (aor === undefined) throw new ConfigError(`remove(): '${query.aor}' is not a SIP AOR; pass 'sip:user@domain' or 'user@domain'`);
    return this.removeWhere(aor, removalFilter(query, this.options.resolver));
  }

  /**
   * A flow died (RFC 5626 §5.4: the transport saw the TCP/TLS connection close, or its keep-alives
   * stopped): remove every binding registered over it, emitting `deleted`. `flow` is the token of
   * {@link flowTokenOf}, the transport's connection id. Datagram flows are not indexed (no
   * connection of theirs can close): for them this finds nothing. Resolves to the number removed.
   * Covers bindings saved by this registrar instance.
   */
  async flowFailed(flow: string): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const aor of this.outbound?.aorsOnFlow(flow) ?? []) removed += await this.removeWhere(aor, (b) => b.flow === flow);
    return removed;
  }

  /** Remove an AOR's bindings that `hit` selects, through compare-and-set; the number removed. */
  private async removeWhere(aor: string, hit: (b: Binding) => boolean | Promise<boolean>): Promise<number> {
    const removed = await this.editBindings(aor, async (bindings) => {
      const keep: Binding[] = [];
      const changes: BindingChange[] = [];
      for (const b of bindings) {
        if (await hit(b)) changes.push({ kind: 'deleted', aor, binding: b });
        else keep.push(b);
      }
      return changes.length === 0 ? undefined : { bindings: keep, changes };
    });
    return removed.length;
  }

  /**
   * Change an AOR's bindings outside a REGISTER, as OpenSIPS modules do through usrloc's
   * `insert_ucontact` / `update_ucontact` / `delete_ucontact` (pua_reginfo applying a NOTIFY):
   * `edit` gets the stored bindings (expired ones included) and the time, and returns the new list
   * with the changes it made, or undefined to change nothing. Committed through compare-and-set;
   * on a conflict `edit` runs again on the fresh bindings. After the commit each change is emitted
   * as its event. `aor` is a canonical AOR (`user@domain`). Resolves to the changes committed.
   * @throws StoreError when the AOR kept changing for `maxCommitAttempts` attempts, or the store failed.
   */
  async editBindings(aor: string, edit: (bindings: readonly Binding[], nowMs: number) => MaybePromise<BindingsEdit | undefined>): Promise<readonly BindingChange[]> {
    this.assertOpen();
    return commitWithRetry(this.bindingsEdit, { aor, edit });
  }

  /**
   * Remove every expired binding now, through the same compare-and-set as writes, emitting
   * `expired` for each. Resolves to the number purged. Runs on a timer every `purgeIntervalMs`.
   */
  purgeExpired(): Promise<number> {
    this.assertOpen();
    return this.purge.purgeNow();
  }

  /**
   * The devices pushed and not re-registered yet (RFC 8599 §4.1.3): the management interface's
   * `push_pending`. Empty without push notifications.
   */
  pendingPushes(): PushWait[] {
    return this.pushes?.pending() ?? [];
  }

  /** Counters and current sizes (OpenSIPS registrar statistics). */
  async stats(): Promise<RegistrarStats> {
    const o = this.options;
    const c = await o.store.count();
    return {
      acceptedRegs: this.accepted,
      rejectedRegs: this.rejected,
      rejectedByReason: { ...this.rejectedBy },
      authFailures: this.authFailures,
      expired: this.expired,
      pushesSent: this.pushesSent,
      pushesFailed: this.pushesFailed,
      maxExpires: o.maxExpires,
      maxContacts: o.maxContacts,
      defaultExpires: o.defaultExpires,
      bindings: c.bindings,
      aors: c.aors,
    };
  }

  /** Stop the purge timer and, when the registrar created its store, close it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const purged = this.purge.stop();
    this.unwatch?.();
    this.pushes?.close();
    await purged;
    if (this.ownsStore) await this.options.store.close();
  }

  private aorOf(uriOrAor: string): string | undefined {
    return queryAor(uriOrAor, this.queryAorRules);
  }

  private assertOpen(): void {
    if (this.closed) throw new ConfigError('this registrar is closed; create a new one with createRegistrar()');
  }
}

/** Create a {@link Registrar}. Throws {@link ConfigError} for bad options. */
export function createRegistrar(options?: RegistrarOptions): Registrar {
  return new Registrar(options);
}
