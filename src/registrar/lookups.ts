import { LRUCache } from 'lru-cache';
import type { MaybePromise } from '../ports/location-store';
import type { SipRequest } from '../sip/message';
import type { GruuUri } from '../features/gruu/gruu-uri';
import { gruuTargets } from '../features/gruu/gruu-targets';
import type { GruuFeature } from '../features/gruu/gruu-feature';
import type { PendingPush, PushCoordinator } from '../features/push/push-coordinator';
import type { AorRules } from './aor';
import { plainQueryEnd, queryAor, schemeLength } from './aor';
import { allOf } from './maybe-promise';
import type { LookupOptions } from './lookup-options';
import type { ResolvedRegistrarOptions } from './registrar-options';
import type { AorBindings, LookupError, LookupResult, PushPendingTarget } from './select-targets';
import { lookupError, selectTargets, shapeTargets, targetOf } from './select-targets';
import { withDefaults } from './with-defaults';

/** Options of one lookup: the OpenSIPS `lookup()` flags, and the method when the request is a bare URI. */
export type LookupCallOptions = LookupOptions & { readonly method?: string };

/** The Request-URI a lookup of `request` routes by (a string is that URI). */
const uriOf = (request: SipRequest | string): string => (typeof request === 'string' ? request : request.uri);

/** The method a lookup of `request` filters by (a bare URI stands for an INVITE). */
const methodOf = (request: SipRequest | string): string => (typeof request === 'string' ? 'INVITE' : request.method);

/**
 * The registrar's lookups (OpenSIPS `lookup()`, RFC 3261 §16.5): load the AOR's bindings and
 * choose the targets ({@link selectTargets}), with GRUU Request-URIs (RFC 5627 §6.1), push
 * devices to wake (RFC 8599 §6) and the recorded ping latencies. Answers synchronously when the
 * store does.
 */
export class Lookups {
  /** Ping round trips by `aor\ncontact`; created by the first {@link recordLatency} (it allocates its 100,000 slots up front). */
  private latency: LRUCache<string, number> | undefined;

  constructor(
    private readonly options: ResolvedRegistrarOptions,
    private readonly aorRules: AorRules,
    private readonly gruu: GruuFeature | undefined,
    private readonly pushes: PushCoordinator | undefined,
  ) {}

  /** Lookup of one request or Request-URI (see {@link Registrar.lookup}). */
  lookupNow(request: SipRequest | string, options?: LookupCallOptions): MaybePromise<LookupResult> {
    const opts: LookupCallOptions = withDefaults(this.options.defaultLookupOptions, options);
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
    const failed = (e: unknown): LookupResult => lookupError(aor, e);
    if (branchAors === undefined || branchAors.length === 0) {
      return this.loaded(() => store.load(aor), (s) => this.select([s], method, opts, this.options.clock.now()), failed);
    }
    const all = [aor];
    for (const a of branchAors) {
      const extra = this.aorOf(a);
      if (extra !== undefined) all.push(extra);
    }
    return this.loaded(() => Promise.all(all.map((a) => store.load(a))), (sets) => this.select(sets, method, opts, this.options.clock.now()), failed);
  }

  /** Lookup of each request, batched through {@link LocationStore.loadManyIn} (see {@link Registrar.lookupMany}). */
  lookupManyNow(requests: readonly (SipRequest | string)[], options?: LookupCallOptions): MaybePromise<readonly LookupResult[]> {
    const store = this.options.store;
    const opts: LookupCallOptions = withDefaults(this.options.defaultLookupOptions, options);
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
      const end = plainQueryEnd(uri, start, this.aorRules);
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
    const loadManyIn = store.loadManyIn;
    return this.loaded(() => loadManyIn.call(store, texts, starts, ends), (snapshots) => {
      const now = this.options.clock.now();
      for (let j = 0; j < batched.length; j++) {
        const k = batched[j];
        results[k] = this.select([snapshots[j]], opts.method ?? methodOf(requests[k]), opts, now);
      }
      return allOf(results);
    }, (e) => {
      for (let j = 0; j < batched.length; j++) results[batched[j]] = lookupError(texts[j].slice(starts[j], ends[j]), e);
      return allOf(results);
    });
  }

  /**
   * `next` of what `read` loads, synchronously when the store answers so; `failed` of the error
   * when the store throws or rejects (logged here, once per failed read), for a {@link LookupError}
   * instead of an exception. An error thrown by `next` itself propagates.
   */
  private loaded<T, R>(read: () => MaybePromise<T>, next: (value: T) => MaybePromise<R>, failed: (e: unknown) => MaybePromise<R>): MaybePromise<R> {
    const fail = (e: unknown): MaybePromise<R> => {
      this.options.logger.error({ err: e }, 'location store failed during lookup');
      return failed(e);
    };
    let value: MaybePromise<T>;
    try {
      value = read();
    } catch (e) {
      return fail(e);
    }
    return value instanceof Promise ? value.then(next, fail) : next(value);
  }

  /** Record a contact's last ping round trip in µs (`aor` canonical), for `maxPingLatencyUs` and `sortByLatency`. */
  recordLatency(aor: string, contact: string, latencyUs: number): void {
    (this.latency ??= new LRUCache<string, number>({ max: 100_000 })).set(`${aor}\n${contact}`, latencyUs);
  }

  private readonly latencyOf = (aor: string, contact: string): number | undefined =>
    this.latency === undefined ? undefined : this.latency.get(`${aor}\n${contact}`);

  private aorOf(uriOrAor: string): string | undefined {
    return queryAor(uriOrAor, this.aorRules);
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
    return this.loaded(() => this.options.store.load(aor), (snapshot): LookupResult => {
      const now = this.options.clock.now();
      const found = gruuTargets(gruu, snapshot.bindings, now);
      if (found.kind !== 'found') return { kind: 'not-found', code: -1, aor, status: found.kind === 'unavailable' ? 480 : 404 };
      return this.select([{ aor, bindings: found.bindings }], method, opts, now);
    }, (e) => lookupError(aor, e));
  }

  private pendingTarget(pushes: PushCoordinator, p: PendingPush): PushPendingTarget {
    return { aor: p.aor, binding: p.binding, refreshed: p.refreshed.then((b) => (b === undefined ? undefined : pushes.awake(targetOf(p.aor, b)))) };
  }
}
