import { EventEmitter } from 'eventemitter3';
import { LRUCache } from 'lru-cache';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AorSnapshot, Binding } from '../ports/binding';
import type { CommitOutcome, LocationStore, MaybePromise } from '../ports/location-store';
import type { TimerHandle } from '../ports/clock';
import type { SipRequest } from '../sip/message';
import { parseUri } from '../sip/uri';
import { unbracket } from '../sip/socket-address';
import { ConfigError, StoreError } from '../errors/sdk-error';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import type { BindingChange } from './binding-change';
import { asAorUri, plainQueryEnd, queryAor, schemeLength, toAor } from './aor';
import { hasSipScheme } from './has-sip-scheme';
import type { AorRules } from './aor';
import { allOf, andThen, rethrow } from './maybe-promise';
import { planSave } from './plan-save';
import type { SavePlan } from './plan-save';
import { lruInterner } from './lru-interner';
import type { SavePolicy } from './save-policy';
import { savePolicy } from './save-policy';
import type { RegistrarEvents } from './registrar-events';
import type { RegistrarOptions, ResolvedRegistrarOptions } from './registrar-options';
import { resolveRegistrarOptions, storeRetryAfterSec } from './registrar-options';
import { buildErrorReply, buildSaveReply, regErrorStatus } from './reply';
import type { SaveOptions } from './save-options';
import type { SaveResult } from './save-result';
import type { LookupOptions } from './lookup-options';
import type { AorBindings, LookupResult, PushPendingTarget } from './select-targets';
import { selectTargets, shapeTargets, targetOf } from './select-targets';
import type { PurrOutcome } from './purr-outcome';
import type { GruuUri } from '../features/gruu/gruu-uri';
import { gruuTargets } from '../features/gruu/gruu-targets';
import type { PendingPush } from '../features/push/push-coordinator';
import type { RegistrarFeature, SaveHookContext } from '../features/registrar-feature';
import { createPathFeature } from '../features/path/path-feature';
import type { OutboundFeature } from '../features/outbound/outbound-feature';
import { createOutboundFeature } from '../features/outbound/outbound-feature';
import type { GruuFeature } from '../features/gruu/gruu-feature';
import { createGruuFeature } from '../features/gruu/gruu-feature';
import type { PushFeature } from '../features/push/push-feature';
import { createPushFeature } from '../features/push/push-feature';
import { PushCoordinator } from '../features/push/push-coordinator';
import type { SaveReplyExtras } from './reply';
import type { FeatureHooks } from './feature-hooks';
import { featureHooks } from './feature-hooks';
import type { AuthIdentity, AuthOutcome } from '../auth/authenticator';
import { identityMayUse } from '../auth/identity-may-use';
import { contactTarget } from './contact-target';

/** Filter of {@link Registrar.remove} (OpenSIPS `remove(domain, AOR, contact, next_hop, sip_instance)`). */
export interface RemoveQuery {
  /** The AOR (`sip:bob@example.com` or `bob@example.com`). */
  readonly aor: string;
  /** Only the binding with exactly this Contact URI. */
  readonly contact?: string;
  /** Only bindings whose next hop is this IP or host name (Path host, else received host, else Contact host). */
  readonly nextHop?: string;
  /** Only bindings of this `+sip.instance`. */
  readonly sipInstance?: string;
}

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
  readonly maxExpires: number;
  readonly maxContacts: number;
  readonly defaultExpires: number;
  /** Bindings currently stored (including expired ones not yet purged). */
  readonly bindings: number;
  /** AORs currently stored. */
  readonly aors: number;
}

const CONNECTION_ORIENTED = new Set(['tcp', 'tls', 'ws', 'wss', 'sctp']);

function hostOf(uri: string): string | undefined {
  const h = parseUri(uri)?.host;
  return h === undefined ? undefined : unbracket(h).toLowerCase();
}

/** The address a binding is reached through (OpenSIPS `remove()` rules a/b/c): first Path hop, `received`, else the Contact's target (its `maddr` when it has one, RFC 3261 §19.1.1). */
function nextHopHost(b: Binding): string | undefined {
  const firstPath = b.path?.[0];
  if (firstPath !== undefined) return hostOf(firstPath.replace(/^[^<]*<|>.*$/g, ''));
  if (b.received !== undefined) return hostOf(b.received);
  const host = contactTarget(b.contact)?.host;
  return host === undefined ? undefined : unbracket(host).toLowerCase();
}

/** `expired` changes of the bindings a commit dropped because their lifetime had run out. */
function expiredChanges(aor: string, bindings: readonly Binding[]): BindingChange[] {
  return bindings.map((binding) => ({ kind: 'expired', aor, binding }));
}

/** Every change a save's commit makes: the expired bindings it drops, then the plan's changes. */
function committedChanges(aor: string, plan: SavePlan): readonly BindingChange[] {
  return plan.expired.length === 0 ? plan.changes : [...expiredChanges(aor, plan.expired), ...plan.changes];
}

/** A change another node committed, as this node emits it. */
const asRemote = (change: BindingChange): BindingChange => ({ ...change, remote: true });

async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  try {
    return (await dnsLookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [host];
  }
}

/** Per-call options over the registrar's defaults; no copy when either side is empty (hot path). */
function withDefaults<D extends object, O extends D>(defaults: D, options: O | undefined): D | O {
  if (options === undefined) return defaults;
  for (const _ in defaults) return { ...defaults, ...options };
  return options;
}

/** The Request-URI a lookup of `request` routes by (a string is that URI). */
const uriOf = (request: SipRequest | string): string => (typeof request === 'string' ? request : request.uri);

/** The method a lookup of `request` filters by (a bare URI stands for an INVITE). */
const methodOf = (request: SipRequest | string): string => (typeof request === 'string' ? 'INVITE' : request.method);

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
  /** Ping round trips by `aor\ncontact`; created by the first {@link recordLatency} (it allocates its 100,000 slots up front). */
  private latency: LRUCache<string, number> | undefined;
  /** The rules of {@link planSave}, with the interner and the extensions. */
  private readonly savePolicy: SavePolicy;
  private accepted = 0;
  private rejected = 0;
  private closed = false;
  private purgeTimer: TimerHandle | undefined;
  private purging: Promise<number> | undefined;
  /** The last save in flight per AOR, with an asynchronous store (see {@link queueSave}). */
  private readonly saving = new Map<string, Promise<SaveResult>>();
  /** Stops hearing the other nodes' commits (stores with {@link LocationStore.watch}). */
  private readonly unwatch: (() => void) | undefined;
  /** Enabled extensions (Path, outbound, GRUU, push) by hook. */
  private readonly features: FeatureHooks;
  private readonly outbound: OutboundFeature | undefined;
  private readonly gruu: GruuFeature | undefined;
  private readonly push: PushFeature | undefined;
  private readonly pushes: PushCoordinator | undefined;

  constructor(options: RegistrarOptions = {}) {
    super();
    const o = resolveRegistrarOptions(options);
    this.options = o;
    this.ownsStore = options.store === undefined;
    this.queryAorRules = { ...o, domains: [] };
    const features: RegistrarFeature[] = [createPathFeature({ serviceRoute: o.serviceRoute })];
    if (o.outbound.enabled) features.push((this.outbound = createOutboundFeature(o.outbound)));
    if (o.gruu.enabled) {
      features.push((this.gruu = createGruuFeature(o.gruu)));
      if (o.gruu.secret[0] === 'OpenSIPS') {
        o.logger.warn({}, "GRUUs are sealed with the public default secret 'OpenSIPS': set gruu.secret (--gruu-secret) so temporary GRUUs hide their AOR (RFC 5627 §3.2)");
      }
    }
    if (o.push.enabled) {
      this.pushes = new PushCoordinator(o.push, {
        clock: o.clock,
        emit: (event) => this.emit('contact-refresh', event),
        notifier: o.pushNotifier,
        onError: (e) => this.reportError(e, 'push notification failed'),
      });
      features.push((this.push = createPushFeature(o.push, this.pushes)));
    }
    this.features = featureHooks(features);
    this.savePolicy = savePolicy(o, lruInterner(), this.features);
    this.unwatch = o.store.watch?.((aor, changes) => this.remoteCommitted(aor, changes.map(asRemote)));
    this.schedulePurge();
  }

  /** Another node sharing the store committed `changes`: emit them here too (marked `remote`). */
  private remoteCommitted(aor: string, changes: readonly BindingChange[]): void {
    if (this.closed) return;
    for (let i = 0; i < changes.length; i++) this.emitChange(changes[i]);
    this.notifyFeatures(aor, changes);
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
    const queued = this.saving.get(key);
    if (queued !== undefined) {
      const next = (): MaybePromise<SaveResult> => this.commitLoop(request, save, key, 1);
      return this.queueSave(key, queued.then(next, next));
    }
    const result = this.commitLoop(request, save, key, 1);
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

  /**
   * Load → plan → compare-and-set, retried on conflict. Synchronous stores take a path without
   * promises or closures; a promise from the store continues the same steps asynchronously.
   */
  private commitLoop(request: SipRequest, save: SaveOptions, aor: string, attemptNo: number): MaybePromise<SaveResult> {
    let loaded: MaybePromise<AorSnapshot>;
    try {
      loaded = this.options.store.load(aor);
    } catch (e) {
      return this.storeFailure(request, save, aor, e);
    }
    if (loaded instanceof Promise) {
      return loaded.then(
        (snapshot) => this.planAndCommit(request, save, aor, attemptNo, snapshot),
        (e: unknown) => this.storeFailure(request, save, aor, e),
      );
    }
    return this.planAndCommit(request, save, aor, attemptNo, loaded);
  }

  private planAndCommit(request: SipRequest, save: SaveOptions, aor: string, attemptNo: number, snapshot: AorSnapshot): MaybePromise<SaveResult> {
    const nowMs = this.options.clock.now();
    const ctx: SaveHookContext = { request, save, aor, nowMs };
    const planned = planSave(ctx, snapshot.bindings, this.savePolicy);
    if (!planned.ok) return this.reject(request, save, planned.error, aor);
    const plan = planned.value;
    if (plan.unchanged) return this.accept(ctx, plan, undefined);
    const changes = committedChanges(aor, plan);
    let outcome: MaybePromise<CommitOutcome>;
    try {
      outcome = this.options.store.commit(aor, snapshot.version, plan.bindings, changes);
    } catch (e) {
      return this.storeFailure(request, save, aor, e);
    }
    if (outcome instanceof Promise) {
      return outcome.then(
        (o) => this.afterCommit(ctx, attemptNo, plan, changes, o),
        (e: unknown) => this.storeFailure(request, save, aor, e),
      );
    }
    return this.afterCommit(ctx, attemptNo, plan, changes, outcome);
  }

  private afterCommit(ctx: SaveHookContext, attemptNo: number, plan: SavePlan, changes: readonly BindingChange[], outcome: CommitOutcome): MaybePromise<SaveResult> {
    const { request, save, aor } = ctx;
    if (outcome.ok) return this.accept(ctx, plan, changes);
    if (attemptNo >= this.options.maxCommitAttempts) return this.reject(request, save, regError('store-conflict'), aor);
    return this.commitLoop(request, save, aor, attemptNo + 1);
  }

  /** The 200 of a save; `committed` is what its commit changed, undefined when nothing needed committing. */
  private accept(ctx: SaveHookContext, plan: SavePlan, committed: readonly BindingChange[] | undefined): SaveResult {
    const { request, save, aor, nowMs } = ctx;
    this.accepted++;
    if (committed !== undefined) {
      for (let i = 0; i < committed.length; i++) this.emitChange(committed[i]);
      this.notifyFeatures(aor, committed);
    }
    const listed = save.onlyRequestContacts ? plan.requestBindings : plan.bindings;
    const response = save.noReply ? undefined : buildSaveReply(request, listed, nowMs, this.options.receivedParam, this.replyExtras(listed, ctx));
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
    let headers: (readonly [string, string])[] | undefined;
    let params: ((b: Binding) => string)[] | undefined;
    const { replyHeaders, contactParams } = this.features;
    for (let i = 0; i < replyHeaders.length; i++) {
      const h = replyHeaders[i].replyHeaders?.(listed, hook);
      if (h !== undefined) for (let k = 0; k < h.length; k++) (headers ??= []).push(h[k]);
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

  /** Tell the extensions what a commit changed (flows, pending pushes). */
  private notifyFeatures(aor: string, changes: readonly BindingChange[]): void {
    const hooked = this.features.afterCommit;
    for (let i = 0; i < hooked.length; i++) hooked[i].afterCommit?.(aor, changes);
  }

  private reportError(e: unknown, what: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
    this.options.logger.error({ err: e }, what);
  }

  /** A refusal by `save` itself, counted in `rejectedRegs`. */
  private reject(request: SipRequest, save: SaveOptions, error: RegError, aor?: string): SaveResult {
    this.rejected++;
    return this.refuse(request, save, error, aor, false);
  }

  /** A refused REGISTER; authentication refusals come here directly, not counted (see {@link RegistrarStats.rejectedRegs}). */
  private refuse(request: SipRequest, save: SaveOptions, error: RegError, aor: string | undefined, authFailed: boolean): SaveResult {
    const { status } = regErrorStatus(error);
    this.options.logger.debug({ aor, code: error.code, status }, 'REGISTER rejected');
    const response = save.noReply ? undefined : buildErrorReply(request, error);
    return authFailed ? { ok: false, status, aor, error, response, authFailed } : { ok: false, status, aor, error, response };
  }

  private storeFailure(request: SipRequest, save: SaveOptions, aor: string, e: unknown): SaveResult {
    const transient = e instanceof StoreError && e.transient;
    this.options.logger.error({ aor, err: e }, 'location store failed; REGISTER not saved');
    if (!transient) return this.reject(request, save, regError('store-failure'), aor);
    return this.reject(request, save, regError('store-unavailable', [['Retry-After', String(storeRetryAfterSec(this.options))]]), aor);
  }

  private emitChange(change: BindingChange): void {
    if (this.listenerCount(change.kind) > 0) this.emit(change.kind, change);
  }

  /**
   * Find where to send a request (OpenSIPS `lookup()`): the AOR of the Request-URI (or
   * `options.aor`), its live bindings filtered and ordered per the options. A string is a
   * Request-URI looked up for an INVITE. Always a promise; it rejects when the store fails, or
   * with {@link ConfigError} after {@link Registrar.close}.
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
    const opts: LookupOptions & { readonly method?: string } = withDefaults(this.options.defaultLookupOptions, options);
    const uri = opts.aor ?? uriOf(request);
    const method = opts.method ?? methodOf(request);
    if (this.gruu !== undefined && opts.aor === undefined) {
      const gruu = this.gruu.resolve(uri);
      if (gruu !== undefined) return this.lookupGruu(gruu, uri, method, opts);
    }
    const aor = this.aorOf(uri);
    if (aor === undefined) return { kind: 'not-found', code: -1, aor: uri };
    const store = this.options.store;
    const branchAors = opts.branchAors;
    if (branchAors === undefined || branchAors.length === 0) {
      const loaded = store.load(aor);
      if (loaded instanceof Promise) return loaded.then((s) => this.select([s], method, opts, this.options.clock.now()));
      return this.select([loaded], method, opts, this.options.clock.now());
    }
    const all = [aor];
    for (const a of branchAors) {
      const extra = this.aorOf(a);
      if (extra !== undefined) all.push(extra);
    }
    return Promise.all(all.map((a) => store.load(a))).then((sets) => this.select(sets, method, opts, this.options.clock.now()));
  }

  /**
   * {@link Registrar.lookup} of each request, results in the same order. Among a million AORs a
   * single lookup is a chain of cache misses that each wait for the last; a batch has the store
   * overlap them ({@link LocationStore.loadManyIn}), so a proxy holding several requests at once
   * (a burst read from its socket in one event-loop turn) routes them in about half the time
   * each with the memory store. Requests that need more than one load (GRUUs, `branchAors`) and
   * stores without `loadManyIn` are looked up one by one. Always a promise, as `lookup`.
   */
  async lookupMany(
    requests: readonly (SipRequest | string)[],
    options?: LookupOptions & { readonly method?: string },
  ): Promise<readonly LookupResult[]> {
    return this.lookupManyNow(requests, options);
  }

  /**
   * {@link Registrar.lookupMany} answering synchronously when the store does. Throws
   * {@link ConfigError} after close.
   * @internal
   */
  lookupManyNow(
    requests: readonly (SipRequest | string)[],
    options?: LookupOptions & { readonly method?: string },
  ): MaybePromise<readonly LookupResult[]> {
    this.assertOpen();
    const store = this.options.store;
    const opts: LookupOptions & { readonly method?: string } = withDefaults(this.options.defaultLookupOptions, options);
    if (store.loadManyIn === undefined || opts.aor !== undefined || (opts.branchAors?.length ?? 0) > 0) {
      return allOf(requests.map((r) => this.lookupNow(r, options)));
    }
    const results = new Array<MaybePromise<LookupResult>>(requests.length);
    const texts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const batched: number[] = [];
    for (let k = 0; k < requests.length; k++) {
      const uri = uriOf(requests[k]);
      if (this.gruu?.resolve(uri) !== undefined) {
        results[k] = this.lookupNow(requests[k], options);
        continue;
      }
      const start = schemeLength(uri);
      const end = plainQueryEnd(uri, start, this.queryAorRules);
      const aor = end >= 0 ? uri : this.aorOf(uri);
      if (aor === undefined) {
        results[k] = { kind: 'not-found', code: -1, aor: uri };
        continue;
      }
      texts.push(aor);
      starts.push(end >= 0 ? start : 0);
      ends.push(end >= 0 ? end : aor.length);
      batched.push(k);
    }
    return andThen(store.loadManyIn(texts, starts, ends), (snapshots) => {
      const now = this.options.clock.now();
      for (let j = 0; j < batched.length; j++) {
        const k = batched[j];
        results[k] = this.select([snapshots[j]], opts.method ?? methodOf(requests[k]), opts, now);
      }
      return allOf(results);
    }, rethrow);
  }

  /**
   * {@link selectTargets}, then with push notifications (RFC 8599 §6) the sleeping devices among
   * the targets are pushed: a `push-pending` result when no target is reachable now.
   */
  private select(sets: readonly AorBindings[], method: string, opts: LookupOptions, now: number): LookupResult {
    const pushes = this.pushes;
    if (pushes === undefined) return selectTargets(sets, method, opts, now, this.latencyOf);
    const all = selectTargets(sets, method, { ...opts, noBranches: false, toBranchesOnly: false }, now, this.latencyOf);
    if (all.kind !== 'found') return all;
    const { reachable, pending } = pushes.dispatch(all.targets, now);
    if (pending.length === 0) return shapeTargets(all.aor, reachable, opts);
    const waiting = pending.map((p) => this.pendingTarget(pushes, p));
    if (reachable.length === 0) return { kind: 'push-pending', code: 2, aor: all.aor, pending: waiting };
    return { ...shapeTargets(all.aor, reachable, opts), pending: waiting };
  }

  /**
   * Lookup of a GRUU Request-URI (RFC 5627 §6.1): only the bindings of its instance (and, for a
   * temporary GRUU, of the registration it was issued for); 404 for an unknown GRUU, 480 when it
   * names an instance not registered now. The target's Contact replaces the URI, so `gr` is not
   * forwarded.
   */
  private lookupGruu(gruu: GruuUri, uri: string, method: string, opts: LookupOptions): MaybePromise<LookupResult> {
    const aor = gruu.kind === 'invalid' ? undefined : this.aorOf(gruu.kind === 'public' ? gruu.aorUri : gruu.aor);
    if (aor === undefined) return { kind: 'not-found', code: -1, aor: uri, status: 404 };
    return andThen(this.options.store.load(aor), (snapshot): LookupResult => {
      const now = this.options.clock.now();
      const found = gruuTargets(gruu, snapshot.bindings, now);
      if (found.kind !== 'found') return { kind: 'not-found', code: -1, aor, status: found.kind === 'unavailable' ? 480 : 404 };
      return this.select([{ aor, bindings: found.bindings }], method, opts, now);
    }, rethrow);
  }

  private pendingTarget(pushes: PushCoordinator, p: PendingPush): PushPendingTarget {
    return { aor: p.aor, binding: p.binding, refreshed: p.refreshed.then((b) => (b === undefined ? undefined : pushes.awake(targetOf(p.aor, b)))) };
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

  private readonly latencyOf = (aor: string, contact: string): number | undefined =>
    this.latency === undefined ? undefined : this.latency.get(`${aor}\n${contact}`);

  /** Record a contact's last ping round trip in µs, for `maxPingLatencyUs` and `sortByLatency`. */
  recordLatency(aor: string, contact: string, latencyUs: number): void {
    const a = this.aorOf(aor);
    if (a !== undefined) (this.latency ??= new LRUCache<string, number>({ max: 100_000 })).set(`${a}\n${contact}`, latencyUs);
  }

  /** Live bindings of an AOR (a URI or `user@domain`); none for a string that is not an AOR. */
  async bindings(aor: string): Promise<readonly Binding[]> {
    this.assertOpen();
    const a = this.aorOf(aor);
    if (a === undefined) return [];
    const now = this.options.clock.now();
    return (await this.options.store.load(a)).bindings.filter((b) => b.expiresAt > now);
  }

  /** True when the AOR has a live binding (OpenSIPS `is_registered`). */
  async isRegistered(aor: string): Promise<boolean> {
    return (await this.bindings(aor)).length > 0;
  }

  /** True when the AOR has a live binding with this Contact URI and/or Call-ID (OpenSIPS `is_contact_registered`). */
  async isContactRegistered(aor: string, contact?: string, callId?: string): Promise<boolean> {
    return (await this.bindings(aor)).some((b) => (contact === undefined || b.contact === contact) && (callId === undefined || b.callId === callId));
  }

  /**
   * True when a live binding of the AOR was registered from one of `ips`: compared with the
   * `received` host when set, else the Contact host (OpenSIPS `is_ip_registered`).
   */
  async isIpRegistered(aor: string, ips: string | readonly string[]): Promise<boolean> {
    const wanted = (typeof ips === 'string' ? [ips] : ips).map((ip) => unbracket(ip).toLowerCase());
    return (await this.bindings(aor)).some((b) => {
      const h = hostOf(b.received ?? b.contact);
      return h !== undefined && wanted.includes(h);
    });
  }

  /**
   * Remove bindings of an AOR (OpenSIPS `remove()`), optionally only those with a Contact URI,
   * a next hop (host names resolved) or a `+sip.instance`. Resolves to the number removed.
   */
  async remove(query: RemoveQuery): Promise<number> {
    this.assertOpen();
    const aor = this.aorOf(query.aor);
    if (aor === undefined) throw new ConfigError(`remove(): '${query.aor}' is not a SIP AOR; pass 'sip:user@domain' or 'user@domain'`);
    const hopAddresses = query.nextHop === undefined ? undefined : new Set(await addressesOf(query.nextHop.toLowerCase()));
    const instance = query.sipInstance?.replace(/^"|"$/g, '');
    return this.removeWhere(aor, async (b) => {
      const hit = (query.contact === undefined || b.contact === query.contact)
        && (instance === undefined || b.instanceId === instance);
      if (!hit || hopAddresses === undefined) return hit;
      const host = nextHopHost(b);
      return host !== undefined && (await addressesOf(host)).some((a) => hopAddresses.has(a));
    });
  }

  /**
   * A flow died (RFC 5626 §5.4: the transport saw the TCP/TLS connection close, or keep-alives
   * stopped): remove every binding registered over it, emitting `deleted`. `flow` is the token of
   * {@link flowTokenOf} (the transport's connection id for connection-oriented transports).
   * Resolves to the number removed. Covers bindings saved by this registrar instance.
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
    for (let n = 1; ; n++) {
      const snapshot = await this.options.store.load(aor);
      const planned = await edit(snapshot.bindings, this.options.clock.now());
      if (planned === undefined || planned.changes.length === 0) return [];
      const outcome = await this.options.store.commit(aor, snapshot.version, planned.bindings, planned.changes);
      if (outcome.ok) {
        for (const c of planned.changes) this.emitChange(c);
        this.notifyFeatures(aor, planned.changes);
        return planned.changes;
      }
      if (n >= this.options.maxCommitAttempts) throw new StoreError(`${aor} kept changing under ${n} attempts; try again`);
    }
  }

  /**
   * Remove every expired binding now, through the same compare-and-set as writes, emitting
   * `expired` for each. Resolves to the number purged. Runs on a timer every `purgeIntervalMs`.
   */
  purgeExpired(): Promise<number> {
    this.assertOpen();
    // Runs after any purge in flight, so a caller always gets a purge as of now.
    const run: Promise<number> = (this.purging ?? Promise.resolve(0)).catch(() => 0).then(() => this.runPurge());
    this.purging = run;
    return run.finally(() => {
      if (this.purging === run) this.purging = undefined;
    });
  }

  private async runPurge(): Promise<number> {
    const { store, clock, purgeBatch, maxCommitAttempts, isTagActive } = this.options;
    // Expired here: out of lifetime, and not left to the node holding the binding's sharing tag.
    const purgeable = (b: Binding, now: number): boolean => b.expiresAt <= now && (b.ownershipTag === undefined || isTagActive(b.ownershipTag));
    let total = 0;
    for (;;) {
      const now = clock.now();
      const aors = await store.expiredAors(now, purgeBatch);
      let purged = 0;
      for (const aor of aors) {
        for (let n = 1; n <= maxCommitAttempts; n++) {
          const snapshot = await store.load(aor);
          const kept: Binding[] = [];
          const gone: BindingChange[] = [];
          for (const b of snapshot.bindings) {
            if (purgeable(b, now)) gone.push({ kind: 'expired', aor, binding: b });
            else kept.push(b);
          }
          if (gone.length === 0) break;
          const outcome = await store.commit(aor, snapshot.version, kept, gone);
          if (!outcome.ok) continue;
          for (const c of gone) this.emitChange(c);
          this.notifyFeatures(aor, gone);
          purged += gone.length;
          break;
        }
      }
      total += purged;
      // A full batch with nothing purged holds only other owners' AORs: asking again would return it again.
      if (aors.length < purgeBatch || purged === 0 || this.closed) return total;
    }
  }

  private schedulePurge(): void {
    const every = this.options.purgeIntervalMs;
    if (every === 0) return;
    this.purgeTimer = this.options.clock.setTimer(every, () => {
      if (this.closed) return;
      this.purgeExpired().catch((e: unknown) => this.reportError(e, 'expiry purge failed')).finally(() => this.schedulePurge());
    });
  }

  /** Counters and current sizes (OpenSIPS registrar statistics). */
  async stats(): Promise<RegistrarStats> {
    const o = this.options;
    const c = await o.store.count();
    return {
      acceptedRegs: this.accepted,
      rejectedRegs: this.rejected,
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
    this.purgeTimer?.cancel();
    this.unwatch?.();
    this.pushes?.close();
    await this.purging?.catch(() => undefined);
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
