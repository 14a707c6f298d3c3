import type { TimerHandle } from '../ports/clock';
import type { Endpoint, Source } from '../ports/transport';
import { flowOf, type FlowEndpoint } from '../features/outbound/flow-endpoint';
import { isFlowOnlyTarget } from '../features/outbound/flow-only-target';
import type { BindingChange } from '../registrar/binding-change';
import { toAor } from '../registrar/aor';
import { uriEquals } from '../sip/uri';
import type { SipRequest } from '../sip/message';
import { buildResponse, responseToTag } from '../sip/response';
import { dialogKey, inDialogRequest, uasDialog, type Dialog } from '../sip/dialog';
import { sendRequest, type SendRequestContext } from '../transactions/send-request';
import { buildReginfo } from './build-reginfo';
import { REGINFO_CONTENT_TYPE } from './reginfo-document';
import type { ResolvedReginfoOptions, ReginfoOptions } from './reginfo-options';
import type { AuthIdentity } from '../auth/authenticator';
import { identityMayUse } from '../auth/identity-may-use';
import type { MaybePromise } from '../ports/location-store';
import { regErrorStatus } from '../registrar/reply';
import { contactChangesOf, registrationOf, type ContactChange } from './registration-from-bindings';

/** A watcher's subscription to the reg-event of one AOR (RFC 3680 §4, RFC 6665 §4.2). */
export interface WatcherSubscription {
  /** The AOR watched (`user@domain`). */
  readonly aor: string;
  /** The watcher (From URI of its SUBSCRIBE). */
  readonly watcher: string;
  readonly callId: string;
  /** When it ends unless refreshed (epoch ms). */
  readonly expiresAt: number;
  /** Version of the next document (RFC 3680 §5.4: counted per subscription from 0). */
  readonly version: number;
}

interface Watcher {
  readonly aor: string;
  /** The AOR as the watcher named it, the `aor` of the `<registration>` element. */
  readonly aorUri: string;
  readonly dialog: Dialog;
  remoteCseq: number;
  expiresAt: number;
  version: number;
  /** The next NOTIFY must carry full state (the first one, and after a refresh, RFC 6665 §4.2.1.2). */
  full: boolean;
  pending: Map<string, ContactChange>;
  sending: boolean;
  /** Set when the subscription ends: the last NOTIFY says `terminated` with this reason. */
  ending: string | undefined;
  timer: TimerHandle | undefined;
  /** `username@realm` of who subscribed, with `auth`: its refreshes must come from the same. */
  readonly identity: string | undefined;
  /** The connection NOTIFYs go over ({@link notifyFlow}), and the socket it came in through. */
  flow: { readonly destination: FlowEndpoint; readonly local: Endpoint } | undefined;
}

/**
 * The flow a watcher's NOTIFYs go over (RFC 5626 §5.3, RFC 7118 §5): the connection of its
 * (latest) SUBSCRIBE when the watcher is reached only so ({@link isFlowOnlyTarget}: a `.invalid`
 * Contact, `ob`) and no route set sends them to a proxy; else undefined (its Contact, resolved).
 */
function notifyFlow(dialog: Dialog, source: Source): Watcher['flow'] {
  const destination = flowOf(source);
  if (destination === undefined || dialog.routeSet.length > 0 || !isFlowOnlyTarget(dialog.remoteTarget)) return undefined;
  return { destination, local: source.local };
}

/** Who an identity is, to compare the authenticated sender of a refresh with the subscriber's. */
const identityKey = (identity: AuthIdentity): string => `${identity.username}@${identity.realm.toLowerCase()}`;

/** Media types a reg-event watcher may accept (RFC 3680 §4.5). */
function acceptsReginfo(request: SipRequest): boolean {
  const accept = request.headerAll('accept').join(',').toLowerCase();
  if (accept.trim() === '') return true;
  return accept.split(',').some((t) => {
    const type = t.split(';')[0].trim();
    return type === 'application/reginfo+xml' || type === 'application/*' || type === '*/*';
  });
}

/**
 * The notifier side of reg-event (RFC 3680 §4, RFC 6665 §4.2): a SUBSCRIBE for an AOR is
 * answered 200 and followed by a NOTIFY with the AOR's full state; every change of its bindings
 * then sends a partial NOTIFY with only the changed contacts, each document one version higher
 * than the last of the subscription. One NOTIFY per subscription is outstanding at a time; changes
 * meanwhile are merged into the next. A refresh gets a full-state NOTIFY; the end of a
 * subscription (expiry, `Expires: 0`, close) a final one with `Subscription-State: terminated`. A
 * NOTIFY answered 481, timed out or refused ends the subscription (RFC 6665 §4.2.2). A watcher
 * reached only over the connection it subscribed on (a `.invalid` Contact, `ob`) gets its NOTIFYs
 * over that connection; once it has closed they fail, and the subscription ends.
 */
export class ReginfoNotifier {
  readonly #o: ResolvedReginfoOptions;
  readonly #send: SendRequestContext;
  readonly #authFailed: (source: Source, request: SipRequest) => void;
  readonly #watchers = new Map<string, Watcher>();
  readonly #byAor = new Map<string, Set<Watcher>>();
  readonly #inflight = new Set<Promise<void>>();

  /** @param authFailed - Told of each SUBSCRIBE whose credentials did not verify (what a ban counts). */
  constructor(o: ResolvedReginfoOptions, send: SendRequestContext, authFailed: (source: Source, request: SipRequest) => void) {
    this.#o = o;
    this.#send = send;
    this.#authFailed = authFailed;
  }

  /** The subscriptions held now. */
  list(): WatcherSubscription[] {
    return [...this.#watchers.values()].map((w) => ({
      aor: w.aor, watcher: w.dialog.remoteUri, callId: w.dialog.callId, expiresAt: w.expiresAt, version: w.version,
    }));
  }

  /**
   * Answer a SUBSCRIBE with Event: reg: the reply bytes (RFC 6665 §4.2.1), and the NOTIFY that
   * follows it is sent once `send` of the reply resolved. With `auth` it is authenticated first
   * and a new subscription authorized ({@link ReginfoOptions.auth}: authenticate, then
   * `authorize` ?? may-use; RFC 3680 §4.6).
   */
  async handleSubscribe(request: SipRequest, source: Source, reply: (data: Uint8Array) => Promise<void>): Promise<void> {
    let identity: AuthIdentity | undefined;
    const auth = this.#o.auth;
    if (auth !== undefined) {
      const outcome = await auth.authenticate(request, 'www', source);
      if (!outcome.ok) {
        if (outcome.failed) this.#authFailed(source, request);
        const { status, reason } = regErrorStatus(outcome.error);
        return reply(buildResponse(request, status, reason, { headers: outcome.error.headers }));
      }
      identity = outcome.identity;
    }
    const toTag = request.to.params.tag;
    if (!acceptsReginfo(request)) {
      return reply(buildResponse(request, 406, 'Not Acceptable', { headers: [['Accept', REGINFO_CONTENT_TYPE]] }));
    }
    const asked = request.expires ?? this.#o.defaultSubscribeExpiresSec;
    if (asked !== 0 && asked < this.#o.minSubscribeExpiresSec) {
      return reply(buildResponse(request, 423, 'Interval Too Brief', { headers: [['Min-Expires', String(this.#o.minSubscribeExpiresSec)]] }));
    }
    const expiresSec = Math.min(asked, this.#o.maxSubscribeExpiresSec);
    let w: Watcher | undefined;
    if (toTag != null) {
      w = this.#watchers.get(dialogKey(request.callId, toTag));
      if (w === undefined || w.ending !== undefined) return reply(buildResponse(request, 481, 'Subscription Does Not Exist'));
      if (identity !== undefined && identityKey(identity) !== w.identity) return reply(buildResponse(request, 403, 'Forbidden'));
      if (request.cseq.seq < w.remoteCseq) return reply(buildResponse(request, 500, 'Server Internal Error', { headers: [['Retry-After', '1']] }));
      if (request.cseq.seq === w.remoteCseq) return reply(this.#ok(request, w, expiresSec));
    } else {
      const aor = toAor(request.uri, { ...this.#o.registrar.options, domains: [] });
      if (!aor.ok) return reply(buildResponse(request, 404, 'Not Found'));
      const localTag = responseToTag(request);
      w = this.#watchers.get(dialogKey(request.callId, localTag));
      if (w !== undefined) return reply(this.#ok(request, w, expiresSec)); // a retransmission
      if (!(await this.#authorized(request, source, aor.value, identity))) return reply(buildResponse(request, 403, 'Forbidden'));
      // A retransmission may have been accepted while the policy was asked.
      w = this.#watchers.get(dialogKey(request.callId, localTag));
      if (w !== undefined) return reply(this.#ok(request, w, expiresSec));
      w = this.#add(request, aor.value, localTag, identity);
    }
    w.flow = notifyFlow(w.dialog, source);
    w.remoteCseq = request.cseq.seq;
    w.expiresAt = this.#o.clock.now() + expiresSec * 1000;
    w.full = true;
    if (expiresSec === 0) w.ending = 'timeout';
    else this.#armExpiry(w);
    await reply(this.#ok(request, w, expiresSec));
    this.#flush(w);
  }

  /**
   * A registrar change: a partial NOTIFY to every watcher of the AOR, except the one whose NOTIFY
   * made it (split horizon: two nodes subscribed to each other do not echo changes back).
   */
  changed(c: BindingChange): void {
    const watchers = this.#byAor.get(c.aor);
    if (watchers === undefined) return;
    for (const w of watchers) {
      if (c.originUri !== undefined && uriEquals(c.originUri, w.dialog.remoteTarget)) continue;
      for (const [contact, change] of contactChangesOf(c, this.#o.clock.now())) w.pending.set(contact, change);
      this.#flush(w);
    }
  }

  /** Send every watcher of `aor` its full state again (OpenSIPS `reginfo_update`). */
  resend(aor: string): void {
    for (const w of this.#byAor.get(aor) ?? []) {
      w.full = true;
      this.#flush(w);
    }
  }

  /** End every subscription with a final NOTIFY (`terminated;reason=deactivated`: the watcher may subscribe again at once). */
  async close(): Promise<void> {
    for (const w of this.#watchers.values()) {
      w.timer?.cancel();
      w.ending = 'deactivated';
      this.#flush(w);
    }
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** `authorize`, or by default: with an identity, only an AOR it may use (RFC 3680 §4.6); without, anyone. */
  #authorized(request: SipRequest, source: Source, aor: string, identity: AuthIdentity | undefined): MaybePromise<boolean> {
    const authorize = this.#o.authorize;
    if (authorize !== undefined) return authorize(request, source, aor, identity);
    return identity === undefined || identityMayUse(identity, aor, this.#o.registrar.options.caseSensitive);
  }

  #ok(request: SipRequest, w: Watcher, expiresSec: number): Uint8Array {
    return buildResponse(request, 200, 'OK', {
      toTag: w.dialog.localTag,
      headers: [['Expires', String(expiresSec)], ['Contact', `<${this.#o.serverAddress}>`]],
    });
  }

  #add(request: SipRequest, aor: string, localTag: string, identity: AuthIdentity | undefined): Watcher {
    const w: Watcher = {
      aor,
      aorUri: request.uri.replace(/;.*$/, ''),
      dialog: uasDialog(request, localTag),
      remoteCseq: request.cseq.seq,
      expiresAt: 0,
      version: 0,
      full: true,
      pending: new Map(),
      sending: false,
      ending: undefined,
      timer: undefined,
      identity: identity === undefined ? undefined : identityKey(identity),
      flow: undefined,
    };
    this.#watchers.set(dialogKey(w.dialog.callId, localTag), w);
    let set = this.#byAor.get(aor);
    if (set === undefined) this.#byAor.set(aor, (set = new Set()));
    set.add(w);
    return w;
  }

  #remove(w: Watcher): void {
    w.timer?.cancel();
    this.#watchers.delete(dialogKey(w.dialog.callId, w.dialog.localTag));
    const set = this.#byAor.get(w.aor);
    set?.delete(w);
    if (set?.size === 0) this.#byAor.delete(w.aor);
  }

  #armExpiry(w: Watcher): void {
    w.timer?.cancel();
    w.timer = this.#o.clock.setTimer(Math.max(0, w.expiresAt - this.#o.clock.now()), () => {
      w.ending = 'timeout';
      this.#flush(w);
    });
  }

  /** Send what the watcher has not been told yet, unless a NOTIFY is out (its answer sends the rest). */
  #flush(w: Watcher): void {
    if (w.sending) return;
    w.sending = true;
    const done = this.#notify(w)
      .catch((e: unknown) => {
        this.#o.logger.error({ err: e, aor: w.aor }, 'reg-event NOTIFY failed');
        this.#remove(w);
      })
      .finally(() => {
        this.#inflight.delete(done);
        w.sending = false;
        const due = w.pending.size > 0 || w.full || w.ending !== undefined;
        if (due && this.#watchers.has(dialogKey(w.dialog.callId, w.dialog.localTag))) this.#flush(w);
      });
    this.#inflight.add(done);
  }

  async #notify(w: Watcher): Promise<void> {
    await Promise.resolve(); // the other changes of the same commit join this NOTIFY
    const changes = w.pending;
    w.pending = new Map();
    const full = w.full;
    w.full = false;
    const ending = w.ending;
    const live = await this.#o.registrar.bindings(w.aor);
    const nowMs = this.#o.clock.now();
    const body = buildReginfo({
      version: w.version++,
      state: full ? 'full' : 'partial',
      registrations: [registrationOf(w.aorUri, live, changes, nowMs, full)],
    });
    const state = ending === undefined
      ? `active;expires=${Math.max(0, Math.ceil((w.expiresAt - nowMs) / 1000))}`
      : `terminated;reason=${ending}`;
    if (ending !== undefined) this.#remove(w);
    const d = w.dialog;
    const outcome = await sendRequest(this.#send, {
      ...inDialogRequest(d, 'NOTIFY'),
      contact: `<${this.#o.serverAddress}>`,
      headers: [['Event', 'reg'], ['Subscription-State', state]],
      body: { type: REGINFO_CONTENT_TYPE, text: body },
    }, 'ntf', w.flow);
    const status = outcome.kind === 'response' ? outcome.response.status : outcome.kind;
    if (typeof status === 'number' && status < 300) return;
    this.#o.logger.info({ aor: w.aor, watcher: d.remoteUri, status }, 'reg-event NOTIFY failed; subscription removed (RFC 6665 §4.2.2)');
    this.#remove(w);
  }
}
