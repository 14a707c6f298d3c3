import { EventEmitter } from 'eventemitter3';
import { ConfigError } from '../errors/sdk-error';
import type { TimerHandle } from '../ports/clock';
import { registrantKeyText, type RegistrantKey, type RegistrantRecord } from '../ports/registrant-store';
import type { Endpoint } from '../ports/transport';
import { BranchIds } from '../sip/branch-ids';
import type { DigestCredentials } from '../sip/digest';
import { challengeOf, digestHeader, type KeptChallenge } from '../transactions/digest-header';
import { sendRequest, type RequestResult, type SendRequestContext } from '../transactions/send-request';
import { parseListenAddress } from '../transports/listen-address';
import { registerRequest } from './register-request';
import { ownBinding, RegistrantEntry } from './registrant-entry';
import { randomToken } from '../sip/random-token';
import { looseRoute } from '../sip/loose-route';
import { resolveRegistrantOptions, type RegistrantSchedulerOptions, type ResolvedRegistrantOptions } from './registrant-options';
import { isFailedState, REGISTRANT_STATE_CODES, REGISTRANT_TRANSITIONS, type RegistrantState } from './registrant-state';
import { replyDecision, type ReplyDecision, type OutstandingRequest } from './reply-decision';
import { retryDelayMs } from './retry-delay';
import { assertRegistrantKey, recordFromInput } from '../stores/registrant-record-from-row';

/** One state change of a registrant (OpenSIPS raises an `E_UAC_REG_*` event for each). */
export interface RegistrantStateChange {
  readonly registrant: RegistrantRecord;
  readonly from: RegistrantState;
  readonly to: RegistrantState;
  /** Why, in words: `REGISTER sent`, `200 OK`, `the registrar rejected the credentials` ... */
  readonly reason: string;
  /** The status of the reply that caused it, when a reply did. */
  readonly status?: number;
}

/** Typed events of a {@link RegistrantScheduler}. */
export interface RegistrantEvents {
  /** Every transition of every registrant, in order, including a state re-entered (a 423 re-send, a stale nonce). */
  stateChange: (change: RegistrantStateChange) => void;
  /** Handling a reply failed (a bug): the registrant stays in its state; the scheduler keeps running. */
  error: (error: Error) => void;
}

/** One registrant as `list()` reports it (OpenSIPS `reg_list`). */
export interface RegistrantStatus {
  readonly record: RegistrantRecord;
  readonly state: RegistrantState;
  /** The OpenSIPS state code, 0 … 9. */
  readonly stateCode: number;
  /** Expiry asked for, or granted by the registrar once registered (s). */
  readonly expiresSec: number;
  /** Epoch ms of the last REGISTER sent; 0 = none yet. */
  readonly lastRegisterSentAt: number;
  /** Epoch ms when the next REGISTER (refresh or retry) falls due; 0 = at the next visit of its bucket. */
  readonly dueAt: number;
  /** Epoch ms when the registration runs out at the registrar; 0 when not registered. */
  readonly registeredUntil: number;
  readonly callId: string;
  readonly cseq: number;
  /** Consecutive failures. */
  readonly failures: number;
  readonly lastStatus?: number;
  readonly lastReason: string;
  /** Where the REGISTERs go, once resolved. */
  readonly destination?: Endpoint;
}

/** Counts of the OpenSIPS uac_registrant statistics. */
export interface RegistrantStats {
  readonly registrants: number;
  readonly enabledRegistrants: number;
  readonly registeredRegistrants: number;
  readonly failedRegistrants: number;
}

/** Options of {@link RegistrantScheduler.close}. */
export interface RegistrantCloseOptions {
  /** Send the unREGISTER of every registration and wait for the replies. @defaultValue the `unregisterOnClose` option */
  readonly unregister?: boolean;
}

/** The longest a registrant waits before its refresh, ahead of expiry, for the refresh's own transaction (Timer F, RFC 3261 §17.1.2.2). */
const TRANSACTION_GUARD_MS = 32_000;

/** FNV-1a over the AOR: the bucket index (OpenSIPS computes its hash over the AOR too). */
function bucketOf(aor: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < aor.length; i++) h = Math.imul(h ^ aor.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (buckets - 1);
}


function assertKey(key: RegistrantKey | undefined, method: string): void {
  if (key === undefined) return;
  if (typeof key?.aor !== 'string' || typeof key.bindingUri !== 'string' || typeof key.registrar !== 'string') {
    throw new ConfigError(`registrant ${method}: give aor, bindingUri and registrar together (as reg_${method.toLowerCase()} does), or nothing`);
  }
}

/**
 * Keeps registrations of this server alive on remote registrars: OpenSIPS `uac_registrant`
 * (RFC 3261 §10.2). The registrants come from a {@link RegistrantStore}; each is placed in one
 * of 2^`hashSize` buckets by its AOR, and one bucket is visited every
 * `timerIntervalSec / 2^hashSize` seconds, so every registrant is looked at once per
 * `timerIntervalSec`. A visit sends the REGISTERs that fall due: new registrants, refreshes at
 * least `timerIntervalSec` (plus one transaction time) before the registration runs out, and
 * retries of failed ones after the RFC 5626 §4.5 backoff. The first refresh of a new
 * registration is placed in one of the bucket's visits in turn, so refreshes spread evenly over
 * the expiry instead of repeating the start-up burst every hour.
 *
 * Each registrant follows the state machine drawn on {@link RegistrantState}, with a
 * `stateChange` event per transition. One request is outstanding per registrant; the Call-ID and
 * From tag are kept across refreshes and replaced after a failure.
 *
 * @example
 * ```ts
 * const scheduler = await createRegistrantScheduler({ store: new MemoryRegistrantStore([record]), transport });
 * scheduler.on('stateChange', (c) => console.log(c.registrant.aor, c.from, '->', c.to));
 * ```
 */
export class RegistrantScheduler extends EventEmitter<RegistrantEvents> {
  readonly #o: ResolvedRegistrantOptions;
  readonly #entries = new Map<string, RegistrantEntry>();
  readonly #buckets: RegistrantEntry[][];
  /** Per bucket: the next refresh slot to hand out (see `#refreshDue`). */
  readonly #spread: number[];
  readonly #sender: SendRequestContext;
  readonly #inflight = new Set<Promise<void>>();
  readonly #tickMs: number;
  #ticks = 0;
  #startedAt = 0;
  #timer: TimerHandle | undefined;
  #closing = false;
  /** Set by close(): registrations still to be removed rather than dropped. */
  #unregisterAll = false;
  #closed: Promise<void> | undefined;

  /** Use {@link createRegistrantScheduler}, which loads the store and starts the timer. */
  constructor(options: RegistrantSchedulerOptions) {
    super();
    this.#o = resolveRegistrantOptions(options);
    const buckets = 2 ** this.#o.hashSize;
    this.#buckets = Array.from({ length: buckets }, () => []);
    this.#spread = new Array<number>(buckets).fill(0);
    this.#tickMs = (this.#o.timerIntervalSec * 1000) / buckets;
    this.#sender = { transport: this.#o.transport, resolver: this.#o, branches: new BranchIds() };
  }

  /** Load every record and start visiting the buckets, the first one at once. */
  async start(): Promise<void> {
    if (this.#startedAt !== 0) throw new ConfigError('registrant scheduler already started');
    for (const record of await this.#o.store.loadAll()) this.#add(record);
    this.#startedAt = this.#o.clock.now();
    this.#timer = this.#o.clock.setTimer(0, () => this.#tick());
  }

  /** Every registrant, or the one with `key` (OpenSIPS `reg_list`). */
  list(key?: RegistrantKey): RegistrantStatus[] {
    assertKey(key, 'list');
    const entries = key === undefined ? [...this.#entries.values()] : [this.#entries.get(registrantKeyText(key))].filter((e) => e !== undefined);
    return entries.map((e) => Object.freeze({
      record: e.record,
      state: e.state,
      stateCode: REGISTRANT_STATE_CODES[e.state],
      expiresSec: e.expiresSec,
      lastRegisterSentAt: e.lastRegisterSentAt,
      dueAt: e.dueAt,
      registeredUntil: e.registeredUntil,
      callId: e.callId,
      cseq: e.cseq,
      failures: e.failures,
      ...(e.lastStatus === undefined ? {} : { lastStatus: e.lastStatus }),
      lastReason: e.lastReason,
      ...(e.destination === undefined ? {} : { destination: e.destination }),
    }));
  }

  /** The OpenSIPS uac_registrant statistics. */
  stats(): RegistrantStats {
    let enabled = 0;
    let registered = 0;
    let failed = 0;
    for (const e of this.#entries.values()) {
      if (!e.record.enabled) continue;
      enabled++;
      if (e.state === 'REGISTERED') registered++;
      else if (isFailedState(e.state)) failed++;
    }
    return { registrants: this.#entries.size, enabledRegistrants: enabled, registeredRegistrants: registered, failedRegistrants: failed };
  }

  /**
   * Re-read the records from the store (OpenSIPS `reg_reload`), all of them or the one with
   * `key`. A registered registrant whose record is still there and enabled keeps its
   * registration, Call-ID and CSeq; the new fields apply from its next REGISTER. One now disabled
   * or gone from the store is unregistered. New records register at their bucket's next visit.
   */
  async reload(key?: RegistrantKey): Promise<void> {
    assertKey(key, 'reload');
    this.#assertOpen('reload');
    const wanted = key === undefined ? undefined : registrantKeyText(key);
    const records = (await this.#o.store.loadAll()).filter((r) => wanted === undefined || registrantKeyText(r) === wanted);
    const seen = new Set<string>();
    for (const record of records) {
      seen.add(registrantKeyText(record));
      this.#merge(record, 'reload');
    }
    for (const entry of [...this.#entries.values()]) {
      if ((wanted === undefined || entry.key === wanted) && !seen.has(entry.key)) this.#remove(entry, 'removed from the store');
    }
  }

  /**
   * Add a registrant, or replace the record of the one with the same key, in memory only
   * (OpenSIPS `reg_upsert`: the store is not written, and the next {@link reload} reads it again).
   * A replaced one keeps its registration, Call-ID and CSeq as a reloaded one does, the new fields
   * applying from its next REGISTER; one now disabled is unregistered. A new one registers at its
   * bucket's next visit.
   * @throws {@link ConfigError} for an invalid record (checked as the stores check theirs), or after close()
   */
  upsert(record: RegistrantRecord): 'added' | 'updated' {
    this.#assertOpen('upsert');
    return this.#merge(recordFromInput('RegistrantScheduler.upsert', 'record', record), 'upsert');
  }

  /**
   * Forget the registrant with `key`, in memory only (OpenSIPS `reg_delete`): its unREGISTER goes
   * out at once when it is registered (or once an outstanding REGISTER succeeds). False when no
   * registrant has `key`; a later {@link reload} brings back one the store still holds.
   * @throws {@link ConfigError} for a malformed key, or after close()
   */
  delete(key: RegistrantKey): boolean {
    assertRegistrantKey('RegistrantScheduler.delete', key);
    this.#assertOpen('delete');
    const entry = this.#entries.get(registrantKeyText(key));
    if (entry === undefined) return false;
    this.#remove(entry, 'deleted');
    return true;
  }

  /**
   * Enable a registrant and register it at once (OpenSIPS `reg_enable`); the store's `state`
   * column is updated. False when no registrant has `key`.
   */
  async enable(key: RegistrantKey): Promise<boolean> {
    return this.#setEnabled(key, true, 'enable');
  }

  /**
   * Disable a registrant (OpenSIPS `reg_disable`): the unREGISTER goes out at once when it is
   * registered (or as soon as an outstanding REGISTER succeeds), and no REGISTER follows. The
   * store's `state` column is updated. False when no registrant has `key`.
   */
  async disable(key: RegistrantKey): Promise<boolean> {
    return this.#setEnabled(key, false, 'disable');
  }

  /**
   * Register now, whatever the refresh timer says (OpenSIPS `reg_force_register`): every enabled
   * registrant, or the one with `key`, that has no request outstanding. Returns how many
   * REGISTERs were sent.
   */
  forceRegister(key?: RegistrantKey): number {
    assertKey(key, 'forceRegister');
    this.#assertOpen('forceRegister');
    const entries = key === undefined ? [...this.#entries.values()] : [this.#entries.get(registrantKeyText(key))];
    let sent = 0;
    for (const e of entries) {
      if (e === undefined || !e.record.enabled || e.sent !== undefined || !this.#tagActive(e)) continue;
      this.#register(e, 'forced');
      sent++;
    }
    return sent;
  }

  /**
   * Tell the scheduler at once that a sharing tag moved (OpenSIPS `handle_shtag_change`), instead
   * of waiting for each bucket's visit to ask `isTagActive`: losing it drops its registrants to
   * NOT_REGISTERED here (the node now holding it refreshes them), gaining it registers them now.
   */
  tagChanged(tag: string, clusterId: number, active: boolean): void {
    this.#assertOpen('tagChanged');
    const shtag = `${tag}/${clusterId}`;
    for (const e of this.#entries.values()) {
      if (e.record.clusterShtag !== shtag || !e.record.enabled || e.sent !== undefined) continue;
      if (!active) this.#standDown(e);
      else this.#register(e, 'sharing tag active here');
    }
  }

  /**
   * Stop: no REGISTER is sent after this and the timer is cancelled. With `unregister` every
   * registration is removed first (each unREGISTER answered or timed out, Timer F, before this
   * settles). The store and the transport stay open: they are the host's. Idempotent.
   */
  close(options: RegistrantCloseOptions = {}): Promise<void> {
    this.#closed ??= this.#shutdown(options.unregister ?? this.#o.unregisterOnClose);
    return this.#closed;
  }

  async #shutdown(unregister: boolean): Promise<void> {
    this.#closing = true;
    this.#unregisterAll = unregister;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (unregister) {
      for (const e of this.#entries.values()) if (e.sent === undefined && e.state === 'REGISTERED') this.#unregister(e, 'stop', 'closing');
      while (this.#inflight.size > 0) await Promise.all(this.#inflight);
    }
  }

  #assertOpen(method: string): void {
    if (this.#closing) throw new ConfigError(`registrant scheduler: ${method}() after close()`);
  }

  async #setEnabled(key: RegistrantKey, enabled: boolean, method: string): Promise<boolean> {
    assertKey(key, method);
    this.#assertOpen(method);
    const entry = this.#entries.get(registrantKeyText(key));
    if (entry === undefined) return false;
    await this.#o.store.setEnabled(key, enabled);
    const was = entry.record.enabled;
    entry.record = Object.freeze({ ...entry.record, enabled });
    if (was === enabled) return true;
    if (!enabled) this.#stop(entry, 'disabled');
    else if (entry.sent === undefined && this.#tagActive(entry)) this.#register(entry, 'enabled');
    return true;
  }

  #add(record: RegistrantRecord): void {
    const entry = new RegistrantEntry(Object.freeze({ ...record }), bucketOf(record.aor, this.#buckets.length), this.#o.defaultExpirySec);
    this.#entries.set(entry.key, entry);
    this.#buckets[entry.bucket].push(entry);
  }

  /** Add `record`, or replace the record of its registrant, `by` what (`reload`, `upsert`). */
  #merge(record: RegistrantRecord, by: string): 'added' | 'updated' {
    const entry = this.#entries.get(registrantKeyText(record));
    if (entry === undefined) {
      this.#add(record);
      return 'added';
    }
    const wasEnabled = entry.record.enabled;
    this.#replaceRecord(entry, record);
    if (wasEnabled && !record.enabled) this.#stop(entry, `disabled by ${by}`);
    else if (!wasEnabled && record.enabled) entry.dueAt = 0;
    return 'updated';
  }

  #remove(entry: RegistrantEntry, reason: string): void {
    this.#entries.delete(entry.key);
    const bucket = this.#buckets[entry.bucket];
    bucket.splice(bucket.indexOf(entry), 1);
    this.#stop(entry, reason);
  }

  #replaceRecord(entry: RegistrantEntry, record: RegistrantRecord): void {
    const before = entry.record;
    entry.record = Object.freeze({ ...record });
    if (before.proxy !== record.proxy || before.forcedSocket !== record.forcedSocket) entry.destination = undefined;
    if (before.expirySec !== record.expirySec) entry.expiresSec = record.expirySec ?? this.#o.defaultExpirySec;
    if (before.username !== record.username || before.password !== record.password) entry.kept = undefined;
  }

  /** Remove a registration that should no longer be kept: now when settled and registered, else after the outstanding request. */
  #stop(entry: RegistrantEntry, reason: string): void {
    if (entry.sent === undefined && entry.state === 'REGISTERED') this.#unregister(entry, 'stop', reason);
  }

  #tagActive(entry: RegistrantEntry): boolean {
    const shtag = entry.record.clusterShtag;
    if (!this.#o.enableClustering || shtag === undefined) return true;
    const slash = shtag.lastIndexOf('/');
    return this.#o.isTagActive(slash < 0 ? shtag : shtag.slice(0, slash), slash < 0 ? 0 : Number(shtag.slice(slash + 1)));
  }

  /** Another node holds the sharing tag: it keeps the binding; forget ours without removing it. */
  #standDown(entry: RegistrantEntry): void {
    if (entry.state !== 'NOT_REGISTERED') this.#transition(entry, 'NOT_REGISTERED', 'sharing tag not active here');
    entry.dueAt = 0;
    entry.registeredUntil = 0;
    entry.callId = '';
  }

  #tick(): void {
    if (this.#closing) return;
    const bucket = this.#buckets[this.#ticks % this.#buckets.length];
    this.#ticks++;
    this.#timer = this.#o.clock.setTimer(this.#startedAt + this.#ticks * this.#tickMs - this.#o.clock.now(), () => this.#tick());
    const now = this.#o.clock.now();
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i];
      if (!e.record.enabled || e.sent !== undefined) continue;
      if (!this.#tagActive(e)) {
        if (e.state !== 'NOT_REGISTERED') this.#standDown(e);
        continue;
      }
      if (e.dueAt <= now) this.#register(e, e.state === 'REGISTERED' ? 'refresh before expiry' : isFailedState(e.state) ? 'retry after failure' : 'first REGISTER');
    }
  }

  /** Send a REGISTER: a refresh keeps the dialog, a first one or a retry after a failure starts a new Call-ID. */
  #register(entry: RegistrantEntry, reason: string): void {
    if (entry.callId === '' || isFailedState(entry.state) || entry.state === 'NOT_REGISTERED') this.#newDialog(entry);
    this.#send(entry, 'register', this.#preemptive(entry), false, 0, reason);
  }

  #unregister(entry: RegistrantEntry, then: 'register' | 'stop', reason: string): void {
    entry.afterUnregister = then;
    this.#send(entry, 'unregister', this.#preemptive(entry), false, 0, reason);
  }

  /** Credentials for the last challenge with the next nonce count (RFC 7616 §3.4), when `preemptiveAuth` keeps one. */
  #preemptive(entry: RegistrantEntry): readonly [string, string] | undefined {
    const kept = this.#o.preemptiveAuth ? entry.kept : undefined;
    if (kept === undefined) return undefined;
    entry.kept = { ...kept, nc: kept.nc + 1 };
    return this.#authorization(entry, entry.kept);
  }

  #newDialog(entry: RegistrantEntry): void {
    entry.callId = randomToken(this.#o.random);
    entry.fromTag = randomToken(this.#o.random).slice(0, 10);
    entry.cseq = 0;
  }

  #credentials(entry: RegistrantEntry): DigestCredentials | undefined {
    const { username, password } = entry.record;
    return username === undefined || password === undefined ? undefined : { username, password };
  }

  #authorization(entry: RegistrantEntry, kept: KeptChallenge): readonly [string, string] | undefined {
    const credentials = this.#credentials(entry);
    return credentials === undefined ? undefined : digestHeader(kept, credentials, { method: 'REGISTER', uri: entry.record.registrar });
  }

  /** The registrant is kept: enabled, in the store, and the scheduler not closing. */
  #keeps(entry: RegistrantEntry): boolean {
    return entry.record.enabled && !this.#closing && this.#entries.get(entry.key) === entry;
  }

  /** Whether replies are acted on at all: not once closing without unREGISTERs. */
  #handles(): boolean {
    return !this.#closing || this.#unregisterAll;
  }

  #send(entry: RegistrantEntry, kind: 'register' | 'unregister', authorization: readonly [string, string] | undefined, answered: boolean, staleAnswers: number, reason: string, status?: number): void {
    const to: RegistrantState = kind === 'register'
      ? (authorization === undefined ? 'REGISTERING' : 'AUTHENTICATING')
      : (authorization === undefined ? 'UNREGISTERING' : 'AUTHENTICATING_UNREGISTER');
    const sent: OutstandingRequest = {
      kind,
      answeredChallenge: answered,
      staleAnswers,
      hasCredentials: entry.record.username !== undefined && entry.record.password !== undefined,
      expiresSec: entry.expiresSec,
      binding: ownBinding(entry.record),
    };
    entry.sent = sent;
    entry.cseq++;
    entry.lastRegisterSentAt = this.#o.clock.now();
    this.#transition(entry, to, reason, status);
    const done = this.#transact(entry, sent, authorization)
      .catch((error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        this.#o.logger.error({ aor: entry.record.aor, error: e }, 'registrant reply handling failed');
        this.emit('error', e);
      })
      .finally(() => this.#inflight.delete(done));
    this.#inflight.add(done);
  }

  async #transact(entry: RegistrantEntry, sent: OutstandingRequest, authorization: readonly [string, string] | undefined): Promise<void> {
    let sentAt = entry.lastRegisterSentAt;
    const record = entry.record;
    const result = await this.#sendRegister(entry, sent, authorization, (status, cseq) => {
      // The challenge is answered only for a registrant still kept (an unREGISTER always is).
      if (!this.#handles() || (sent.kind === 'register' && !this.#keeps(entry))) return false;
      entry.cseq = cseq;
      entry.lastStatus = status;
      sentAt = entry.lastRegisterSentAt = this.#o.clock.now();
      this.#transition(entry, sent.kind === 'register' ? 'AUTHENTICATING' : 'AUTHENTICATING_UNREGISTER', `${status} challenge answered`, status);
      return true;
    }).catch((error: unknown): RequestResult => ({ kind: 'transport-error', error: error instanceof Error ? error : new Error(String(error)), cseq: entry.cseq }));
    if (entry.record === record) entry.destination ??= result.destination;
    entry.sent = undefined;
    if (result.answered !== undefined) entry.kept = result.answered;
    const final = result.answered === undefined ? sent : { ...sent, answeredChallenge: true };
    this.#apply(entry, final, sentAt, replyDecision(final, result));
  }

  /**
   * One REGISTER or unREGISTER through {@link sendRequest}: to the outbound proxy (a Route) or the
   * registrar, from the `forced_socket`; a challenge to a request that did not answer one is
   * answered there once, `beforeRetry` telling the state machine. Rejects on a malformed `forced_socket`.
   */
  #sendRegister(
    entry: RegistrantEntry, sent: OutstandingRequest, authorization: readonly [string, string] | undefined, beforeRetry: (status: number, cseq: number) => boolean,
  ): Promise<RequestResult> {
    const record = entry.record;
    const removeAll = sent.kind === 'unregister' && entry.afterUnregister === 'register';
    const credentials = sent.answeredChallenge ? undefined : this.#credentials(entry);
    return sendRequest(this.#sender, registerRequest({
      requestUri: record.registrar,
      ...(record.proxy === undefined ? {} : { route: looseRoute(record.proxy) }),
      fromUri: record.thirdPartyRegistrant ?? record.aor,
      fromTag: entry.fromTag,
      toUri: record.aor,
      callId: entry.callId,
      cseq: entry.cseq,
      contact: removeAll ? '*' : `<${record.bindingUri}>${record.bindingParams ?? ''};expires=${sent.kind === 'register' ? sent.expiresSec : 0}`,
      ...(removeAll ? { expires: 0 } : {}),
      userAgent: this.#o.userAgent,
      ...(authorization === undefined ? {} : { authorization }),
    }), 'reg', {
      ...(entry.destination === undefined ? {} : { destination: entry.destination }),
      ...(record.forcedSocket === undefined ? {} : { local: parseListenAddress(record.forcedSocket) }),
      ...(credentials === undefined ? {} : { credentials }),
      beforeRetry: (response, cseq) => beforeRetry(response.status, cseq),
    });
  }

  #apply(entry: RegistrantEntry, sent: OutstandingRequest, sentAt: number, d: ReplyDecision): void {
    if (!this.#handles()) return;
    const status = d.kind === 'authenticate' ? d.response.status : d.kind === 'failed' ? d.status : 200;
    entry.lastStatus = status;
    const keep = this.#keeps(entry);
    switch (d.kind) {
      case 'registered': {
        const wasNew = entry.registeredUntil === 0;
        entry.failures = 0;
        entry.expiresSec = d.grantedSec;
        entry.registeredUntil = sentAt + d.grantedSec * 1000;
        entry.dueAt = this.#refreshDue(entry, sentAt, d.grantedSec, wasNew);
        this.#transition(entry, 'REGISTERED', `${status} registered for ${d.grantedSec} s`, status);
        if (!keep) this.#unregister(entry, 'stop', this.#closing ? 'closing' : 'disabled or removed while registering');
        return;
      }
      case 'remove-duplicates':
        this.#unregister(entry, keep ? 'register' : 'stop', 'the registrar lists more than one binding of ours');
        return;
      case 'unregistered':
        entry.registeredUntil = 0;
        if (entry.afterUnregister === 'register' && keep) {
          this.#transition(entry, 'NOT_REGISTERED', `${status} duplicate bindings removed`, status);
          this.#register(entry, 'registering afresh');
        } else {
          entry.dueAt = 0;
          this.#transition(entry, 'NOT_REGISTERED', `${status} unregistered`, status);
        }
        return;
      case 'authenticate': {
        // A challenge sendRequest left unanswered: a stale nonce to answered credentials (RFC 7616
        // §3.3), one this client cannot answer, or one to a registrant disabled or removed meanwhile.
        if (!keep && sent.kind === 'register') {
          this.#drop(entry, `${status} not answered: disabled or removed meanwhile`, status);
          return;
        }
        const found = challengeOf(d.response);
        const kept = found === undefined ? undefined : { ...found, nc: 1 };
        const authorization = kept === undefined ? undefined : this.#authorization(entry, kept);
        if (kept === undefined || authorization === undefined) {
          this.#fail(entry, { kind: 'failed', state: 'INTERNAL_ERROR', status, reason: 'no digest challenge this client can answer' });
          return;
        }
        entry.kept = kept;
        this.#send(entry, sent.kind, authorization, true, sent.staleAnswers + 1, `${status} stale nonce, answered again`, status);
        return;
      }
      case 'retry-expires':
        entry.expiresSec = d.expiresSec;
        if (!keep) {
          this.#drop(entry, '423 not answered: disabled or removed meanwhile', 423);
          return;
        }
        this.#send(entry, 'register', undefined, false, 0, `423 asking Min-Expires ${d.expiresSec} s`, 423);
        return;
      case 'failed':
        this.#fail(entry, d);
    }
  }

  /** A REGISTER attempt abandoned before it registered anything. */
  #drop(entry: RegistrantEntry, reason: string, status?: number): void {
    entry.dueAt = 0;
    this.#transition(entry, 'NOT_REGISTERED', reason, status);
  }

  #fail(entry: RegistrantEntry, d: Extract<ReplyDecision, { kind: 'failed' }>): void {
    entry.failures++;
    entry.registeredUntil = 0;
    entry.destination = undefined; // resolved again: DNS may give another SRV target
    const capSec = this.#o.failureRetryIntervalSec || entry.expiresSec;
    if (d.state === 'WRONG_CREDENTIALS') entry.kept = undefined;
    entry.dueAt = this.#o.clock.now() + retryDelayMs({
      failures: entry.failures,
      capSec,
      baseSec: d.state === 'WRONG_CREDENTIALS' ? 0 : this.#o.backoffBaseSec,
      ...(d.retryAfterSec === undefined ? {} : { retryAfterSec: d.retryAfterSec }),
      random: this.#o.random(),
    });
    this.#transition(entry, d.state, d.reason, d.status);
  }

  /**
   * When a registration granted for `grantedSec` at `sentAt` is refreshed: `timerIntervalSec`
   * plus one transaction time (capped at a quarter of the expiry) before it runs out, never
   * before half of it. The first refresh of a new registration is pulled earlier by a whole
   * number of the bucket's visits, handed out in turn, so the bucket's registrants refresh at
   * different visits from then on.
   */
  #refreshDue(entry: RegistrantEntry, sentAt: number, grantedSec: number, spread: boolean): number {
    const grantedMs = grantedSec * 1000;
    const cycleMs = this.#o.timerIntervalSec * 1000;
    const periodMs = Math.max(grantedMs / 2, grantedMs - cycleMs - Math.min(TRANSACTION_GUARD_MS, grantedMs / 4));
    if (!spread) return sentAt + periodMs;
    const visits = Math.ceil(periodMs / cycleMs);
    const slot = visits > 1 ? this.#spread[entry.bucket]++ % visits : 0;
    return sentAt + periodMs - slot * cycleMs;
  }

  #transition(entry: RegistrantEntry, to: RegistrantState, reason: string, status?: number): void {
    const from = entry.state;
    if (!REGISTRANT_TRANSITIONS[from].includes(to)) throw new Error(`registrant state machine: ${from} -> ${to} is not a transition (${reason})`);
    entry.state = to;
    entry.lastReason = reason;
    const change: RegistrantStateChange = { registrant: entry.record, from, to, reason, ...(status === undefined ? {} : { status }) };
    this.#o.logger.info({ aor: entry.record.aor, binding: entry.record.bindingUri, registrar: entry.record.registrar, from, to, reason, ...(status === undefined ? {} : { status }) }, 'registrant state');
    this.emit('stateChange', change);
  }
}

/**
 * Create a {@link RegistrantScheduler}, load its registrants and start it.
 * @throws {@link ConfigError} for bad options; rejects with the store's `StoreError` when the
 *   records cannot be read.
 */
export async function createRegistrantScheduler(options: RegistrantSchedulerOptions): Promise<RegistrantScheduler> {
  const scheduler = new RegistrantScheduler(options);
  await scheduler.start();
  return scheduler;
}

