import { EventEmitter } from 'eventemitter3';
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../errors/sdk-error';
import type { Source } from '../ports/transport';
import type { TimerHandle } from '../ports/clock';
import type { BindingChange } from '../registrar/binding-change';
import type { Registrar } from '../registrar/registrar';
import { toAor } from '../registrar/aor';
import { BranchIds } from '../sip/branch-ids';
import type { SipRequest } from '../sip/message';
import { contactUri } from '../sip/dialog';
import { buildResponse } from '../sip/response';
import type { SendRequestContext } from '../transactions/send-request';
import { applyRegistration, type Removal } from './apply-registration';
import { parseReginfo } from './parse-reginfo';
import { REGINFO_CONTENT_TYPE, type ReginfoRegistration } from './reginfo-document';
import { ReginfoNotifier, type WatcherSubscription } from './reginfo-notifier';
import { resolveReginfoOptions, type ReginfoOptions, type ResolvedReginfoOptions } from './reginfo-options';
import { removalOf } from './registration-from-bindings';
import { ReginfoPublisher, type PublishOutcome } from './reginfo-publisher';
import { aorUri } from './aor-uri';
import { IdentityTable, identityUris } from './identity-table';
import { ReginfoSubscriber, type ReginfoSubscriptionInfo } from './reginfo-subscriber';

/**
 * What {@link Reginfo.handleNotify} did with a NOTIFY. `code` is the OpenSIPS
 * `reginfo_handle_notify` return value: 1 when at least one contact of the document's AORs is
 * registered now, 2 when none is, -1 for an invalid NOTIFY.
 */
export interface NotifyOutcome {
  readonly code: 1 | 2 | -1;
  /**
   * `applied`; `empty` (no body: nothing to apply, RFC 6665 allows it); `stale` (a version not
   * newer than the last one of its subscription, discarded, RFC 3680 §5.3); `invalid`.
   */
  readonly kind: 'applied' | 'empty' | 'stale' | 'invalid';
  /** Why it is invalid. */
  readonly reason?: string;
  /**
   * A partial document after a gap in the versions (or without a full one before): it was applied
   * and, for a subscription of ours, full state was asked for with a refresh SUBSCRIBE.
   */
  readonly resync: boolean;
  /** The bindings it changed, in the order they were committed. */
  readonly changes: readonly BindingChange[];
  /** The subscription of ours it belongs to (its URI), when it does. */
  readonly subscription?: string;
}

/** Typed events of {@link Reginfo}. */
export interface ReginfoEvents {
  /** A PUBLISH was answered (or failed). */
  publish: (outcome: PublishOutcome) => void;
  /** One of our subscriptions changed state. */
  subscription: (info: ReginfoSubscriptionInfo) => void;
  /** A NOTIFY was handled. */
  notify: (outcome: NotifyOutcome) => void;
  /**
   * A SUBSCRIBE carried credentials that did not verify ({@link ReginfoOptions.auth}: wrong
   * password, unknown user; not a first SUBSCRIBE without credentials nor a stale nonce): it was
   * refused, and this is what a ban on repeated failures counts
   * (`reginfo.on('authFailed', (source) => guard.authFailed(source.address))`).
   */
  authFailed: (source: Source, request: SipRequest) => void;
}

/** The event package of a request (`Event: reg;id=1` → `reg`, RFC 6665 §8.2.1), lower-cased. */
export function eventPackage(request: SipRequest): string | undefined {
  return request.header('event')?.split(';')[0].trim().toLowerCase();
}

/** The registrar events that change bindings: each one is published and notified. */
const CHANGE_EVENTS = ['inserted', 'refreshed', 'updated', 'deleted', 'expired'] as const;

const invalid = (reason: string): NotifyOutcome => ({ code: -1, kind: 'invalid', reason, resync: false, changes: [] });

/**
 * Reg-event (RFC 3680; the OpenSIPS `pua_reginfo` module) for one registrar: publishes every
 * change of its bindings (`publish_reginfo`), subscribes to other servers ({@link subscribe},
 * `reginfo_subscribe`) and applies their NOTIFYs to the location ({@link handleNotify},
 * `reginfo_handle_notify`), and answers SUBSCRIBEs for its AORs as a notifier, so two sipreg nodes
 * keep each other's location in sync without a presence server. Create it with {@link createReginfo}.
 */
export class Reginfo extends EventEmitter<ReginfoEvents> {
  /** The resolved options (frozen). */
  readonly options: ResolvedReginfoOptions;
  readonly #publisher: ReginfoPublisher | undefined;
  readonly #notifier: ReginfoNotifier | undefined;
  readonly #subscriber: ReginfoSubscriber;
  /** Last document version seen per NOTIFY dialog (RFC 3680 §5.3). */
  readonly #versions = new LRUCache<string, number>({ max: 10_000 });
  readonly #identities = new IdentityTable();
  /** The recent removals of Contacts, by `aor\ncontact` (see {@link applyRegistration}). */
  readonly #removed = new LRUCache<string, Removal>({ max: 10_000 });
  readonly #onChange = (change: BindingChange): void => {
    if (change.kind === 'deleted' || change.kind === 'expired') {
      this.#removed.set(`${change.aor}\n${change.binding.contact}`, removalOf(change, this.options.clock.now()));
    }
    this.#publisher?.changed(change);
    this.#notifier?.changed(change);
  };
  #closed = false;

  constructor(options: ReginfoOptions) {
    super();
    const o = resolveReginfoOptions(options);
    this.options = o;
    const send: SendRequestContext = { transport: o.transport, resolver: o.resolver, branches: new BranchIds() };
    if (o.publish) this.#publisher = new ReginfoPublisher(o, send, this.#identities, (p) => this.emit('publish', p));
    if (o.notifier) this.#notifier = new ReginfoNotifier(o, send, (source, request) => this.emit('authFailed', source, request));
    this.#subscriber = new ReginfoSubscriber(o, send, (s) => this.emit('subscription', s));
    for (const kind of CHANGE_EVENTS) o.registrar.on(kind, this.#onChange);
  }

  /**
   * Subscribe to the reg-event of `uri` at another server (OpenSIPS `reginfo_subscribe`), and keep
   * the subscription alive until {@link unsubscribe} or {@link close}. Its NOTIFYs go to
   * {@link handleNotify} (or {@link handleRequest}). Settles after the first SUBSCRIBE is answered.
   */
  subscribe(uri: string, expiresSec = 3600): Promise<ReginfoSubscriptionInfo> {
    this.#assertOpen();
    if (!Number.isInteger(expiresSec) || expiresSec < 1) throw new ConfigError(`subscribe(): expiresSec must be a positive integer, got ${String(expiresSec)}`);
    if (!/^sips?:/.test(uri)) throw new ConfigError(`subscribe(): '${uri}' is not a sip: URI; pass the AOR to watch, e.g. 'sip:alice@example.com'`);
    return this.#subscriber.subscribe(uri, expiresSec);
  }

  /** End a subscription made with {@link subscribe}; false when there was none. */
  unsubscribe(uri: string): Promise<boolean> {
    return this.#subscriber.unsubscribe(uri);
  }

  /** The subscriptions this server holds at others, and the watchers subscribed here. */
  subscriptions(): { readonly subscribed: ReginfoSubscriptionInfo[]; readonly watchers: WatcherSubscription[] } {
    return { subscribed: this.#subscriber.list(), watchers: this.#notifier?.list() ?? [] };
  }

  /**
   * Set the public identities of an AOR (OpenSIPS `ul_add_key(…, ul_identities_key, …)`, e.g. from
   * a `P-Associated-URI`): with `useIdentities` each one is a `<registration>` of its PUBLISHes.
   * Call {@link update} afterwards to publish them. They take precedence over the ones of
   * {@link loadIdentities}, go with the AOR's last binding, and are kept for at most
   * 10,000 AORs (`MAX_SET_IDENTITY_AORS`, least recently used dropped first); an empty list removes
   * them. Without a publisher (`publish: false`) they are not kept.
   * @throws {@link ConfigError} for an AOR that is not a SIP AOR, an identity that is not a
   *   `sip:`, `sips:` or `tel:` URI, or more than 32 identities (`MAX_IDENTITIES_PER_AOR`).
   */
  setIdentities(aor: string, identities: readonly string[]): void {
    const key = this.#aor(aor);
    const uris = identityUris(aor, identities, this.options.defaultDomain);
    if (this.#publisher === undefined) return;
    this.#identities.set(key, uris);
  }

  /**
   * Replace the configured public identities of every AOR (the `ul_identities_key` values of a
   * file, `sipreg registrar --reginfo-identities`): AOR → identities, as {@link setIdentities}
   * takes them. They stay until the next call, whatever the AORs' bindings do, and are published
   * with each AOR's next change (or {@link update}). All or nothing.
   * @throws {@link ConfigError} as {@link setIdentities} does, naming the AOR, or for an AOR given twice.
   */
  loadIdentities(table: ReadonlyMap<string, readonly string[]>): void {
    const canonical = new Map<string, readonly string[]>();
    for (const [aor, identities] of table) {
      const key = this.#aor(aor);
      if (canonical.has(key)) throw new ConfigError(`'${aor}' is given twice (both are the AOR ${key})`);
      canonical.set(key, identityUris(aor, identities, this.options.defaultDomain));
    }
    this.#identities.configure(canonical);
  }

  /** The public identities of an AOR ({@link setIdentities}, else {@link loadIdentities}); empty when it has none. */
  identities(aor: string): readonly string[] {
    return this.#identities.get(this.#aor(aor)) ?? [];
  }

  /**
   * Publish the AOR's state now and send its watchers a full-state NOTIFY (OpenSIPS
   * `reginfo_update`: after information the registrar does not see changed, such as identities).
   * Resolves to false when the AOR has no binding (OpenSIPS -1).
   */
  async update(aor: string): Promise<boolean> {
    this.#assertOpen();
    const key = this.#aor(aor);
    const live = await this.options.registrar.bindings(key);
    if (live.length === 0) return false;
    await this.#publisher?.update(key);
    this.#notifier?.resend(key);
    return true;
  }

  /**
   * Apply a NOTIFY with Event: reg to the location (OpenSIPS `reginfo_handle_notify(domain)`);
   * `registrar` is that location (`domain`), the one given at creation by default. Sends no reply.
   *
   * Unlike OpenSIPS, it honours RFC 3680 §5.3: per subscription a document not newer than the
   * last one is discarded; a partial document after a gap is applied and full state asked for;
   * full state replaces the AOR's bindings, partial state changes only the contacts it lists.
   */
  async handleNotify(request: SipRequest, registrar: Registrar = this.options.registrar): Promise<NotifyOutcome> {
    this.#assertOpen();
    const outcome = await this.#handleNotify(request, registrar);
    this.emit('notify', outcome);
    return outcome;
  }

  async #handleNotify(request: SipRequest, registrar: Registrar): Promise<NotifyOutcome> {
    if (request.method !== 'NOTIFY') return invalid(`not a NOTIFY but ${request.method}`);
    if (eventPackage(request) !== 'reg') return invalid(`Event is '${request.header('event') ?? ''}', not reg`);
    const ours = this.#subscriber.onNotify(request);
    const subscription = ours === undefined ? {} : { subscription: ours.uri };
    if (request.body.length === 0) return { code: 1, kind: 'empty', resync: false, changes: [], ...subscription };
    const type = request.header('content-type')?.split(';')[0].trim().toLowerCase();
    if (type !== REGINFO_CONTENT_TYPE) return { ...invalid(`Content-Type is '${type ?? ''}', not ${REGINFO_CONTENT_TYPE}`), ...subscription };
    const parsed = parseReginfo(request.body, { maxBytes: this.options.maxBodyBytes });
    if (!parsed.ok) return { ...invalid(parsed.error.reason), ...subscription };
    const doc = parsed.value;
    const key = `${request.callId}\n${request.to.params.tag ?? ''}\n${request.from.params.tag ?? ''}`;
    const last = this.#versions.get(key);
    const rules = { ...registrar.options, domains: [] };
    // A registration whose AOR is not a SIP AOR (a tel: identity) has no place in the location: skipped, as OpenSIPS does.
    const targets: { readonly aor: string; readonly registration: ReginfoRegistration }[] = [];
    for (const registration of doc.registrations) {
      const aor = toAor(aorUri(registration.aor, this.options.defaultDomain), rules);
      if (aor.ok) targets.push({ aor: aor.value, registration });
      else this.options.logger.debug({ aor: registration.aor }, 'reg-event NOTIFY: registration skipped, not a SIP AOR');
    }
    const aors = targets.map((t) => t.aor);
    if (last !== undefined && doc.version <= last) {
      return { code: (await this.#anyRegistered(registrar, aors)) ? 1 : 2, kind: 'stale', resync: false, changes: [], ...subscription };
    }
    this.#versions.set(key, doc.version);
    const full = doc.state === 'full';
    const resync = !full && (last === undefined || doc.version > last + 1);
    if (resync && ours !== undefined) this.#subscriber.resync(ours.uri);
    const changes: BindingChange[] = [];
    const notifierUri = contactUri(request);
    let registered = false;
    for (const { aor, registration } of targets) {
      // The bindings the last run of the edit left are the ones committed: no second load for the return code.
      let live = false;
      changes.push(...await registrar.editBindings(aor, (stored, nowMs) => {
        const edit = applyRegistration(aor, stored, registration, full, nowMs, notifierUri, (contact) => this.#removed.get(`${aor}\n${contact}`));
        live = (edit?.bindings ?? stored).some((b) => b.expiresAt > nowMs);
        return edit;
      }));
      registered ||= live;
    }
    return { code: registered ? 1 : 2, kind: 'applied', resync, changes, ...subscription };
  }

  /**
   * Handle a request of the reg-event package and reply to it: a SUBSCRIBE (the notifier) or a
   * NOTIFY of one of our subscriptions (applied with {@link handleNotify}: 200, or 400 naming what
   * is invalid). A NOTIFY of no subscription of ours gets 481 and changes nothing (RFC 6665
   * §4.1.3): nobody can write into the location by sending NOTIFYs, and a notifier that lost track
   * of a restarted watcher ends its stale subscription. Resolves to false, without replying, for
   * any other request (and SUBSCRIBEs when the notifier is off), which the host then routes as
   * usual; SUBSCRIBEs of other event packages are not ours (a proxy relays them).
   */
  async handleRequest(request: SipRequest, source: Source): Promise<boolean> {
    if (this.#closed || eventPackage(request) !== 'reg') return false;
    const reply = (data: Uint8Array): Promise<void> => this.options.transport.sendResponse(data, request, source);
    if (request.method === 'SUBSCRIBE' && this.#notifier !== undefined) {
      await this.#notifier.handleSubscribe(request, source, reply);
      return true;
    }
    if (request.method !== 'NOTIFY') return false;
    if (!this.#subscriber.matches(request)) {
      await reply(buildResponse(request, 481, 'Subscription Does Not Exist'));
      return true;
    }
    const outcome = await this.handleNotify(request);
    await reply(outcome.code === -1 ? buildResponse(request, 400, `Bad Request (${outcome.reason ?? 'invalid reginfo'})`.replace(/[\r\n]/g, ' ')) : buildResponse(request, 200, 'OK'));
    return true;
  }

  /**
   * Stop: unsubscribe from other servers, end the watchers' subscriptions with a final NOTIFY,
   * stop refreshing PUBLISHes, and stop listening to the registrar. Waits for the answers at most
   * `closeTimeoutMs` (a peer that is gone would hold it for the 32 s of Timer F). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const kind of CHANGE_EVENTS) this.options.registrar.off(kind, this.#onChange);
    const done = Promise.all([this.#subscriber.close(), this.#notifier?.close(), this.#publisher?.close()]);
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.options.clock.setTimer(this.options.closeTimeoutMs, resolve);
    });
    await Promise.race([done, timeout]);
    timer?.cancel();
  }

  async #anyRegistered(registrar: Registrar, aors: readonly string[]): Promise<boolean> {
    for (const aor of aors) if ((await registrar.bindings(aor)).length > 0) return true;
    return false;
  }

  #aor(aor: string): string {
    const canonical = toAor(aorUri(aor, this.options.defaultDomain), { ...this.options.registrar.options, domains: [] });
    if (!canonical.ok) throw new ConfigError(`'${aor}' is not a SIP AOR; pass 'sip:user@domain' or 'user@domain' (or set defaultDomain for bare users)`);
    return canonical.value;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigError('this Reginfo is closed; create a new one with createReginfo()');
  }
}

/** Create a {@link Reginfo} for a registrar. Throws {@link ConfigError} for bad options. */
export function createReginfo(options: ReginfoOptions): Reginfo {
  return new Reginfo(options);
}
