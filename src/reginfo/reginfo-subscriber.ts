import type { TimerHandle } from '../ports/clock';
import type { TransactionOutcome } from '../ports/transport';
import type { SipRequest } from '../sip/message';
import { randomToken } from '../sip/random-token';
import { looseRoute } from '../sip/loose-route';
import { dialogKey, establishUacDialog, inDialogRequest, type Dialog } from '../sip/dialog';
import { sendRequest, type SendRequestContext } from '../transactions/send-request';
import { retryDelayMs } from '../registrant/retry-delay';
import { REGINFO_CONTENT_TYPE } from './reginfo-document';
import type { ResolvedReginfoOptions } from './reginfo-options';
import { refreshAfterSec } from './refresh-after-sec';
import { parseSubscriptionState } from './subscription-state';

/**
 * Where a subscription stands: `subscribing` until the first answer, `active` or `pending` as the
 * notifier says, `retrying` while waiting to subscribe again after a failure, `terminated` when
 * the notifier refused it for good (RFC 6665 §4.1.3 `rejected`, `noresource`, `invariant`) or it
 * was unsubscribed.
 */
export type SubscriptionStatus = 'subscribing' | 'active' | 'pending' | 'retrying' | 'terminated';

/** A reg-event subscription this server holds at another (from {@link Reginfo.subscriptions}). */
export interface ReginfoSubscriptionInfo {
  /** The URI subscribed to (the AOR at the notifier). */
  readonly uri: string;
  readonly status: SubscriptionStatus;
  /** When it ends unless refreshed (epoch ms), while active or pending. */
  readonly expiresAt?: number;
  /** The last final answer to a SUBSCRIBE, or why there was none. */
  readonly lastStatus?: number | 'timeout' | 'transport-error';
  /** Why the notifier terminated it, from `Subscription-State`. */
  readonly reason?: string;
}

interface Subscription {
  readonly uri: string;
  expiresSec: number;
  dialog: Dialog | undefined;
  status: SubscriptionStatus;
  expiresAt: number | undefined;
  lastStatus: number | 'timeout' | 'transport-error' | undefined;
  reason: string | undefined;
  failures: number;
  timer: TimerHandle | undefined;
  /** A SUBSCRIBE is out: a refresh asked meanwhile waits for its answer. */
  sending: boolean;
  refreshWanted: boolean;
}

/** Reasons after which a watcher subscribes again (RFC 6665 §4.1.3); the others end the subscription. */
const RETRY_NOW = new Set(['deactivated', 'timeout']);
const RETRY_LATER = new Set(['probation', 'giveup']);

/**
 * The SUBSCRIBE side of reg-event (OpenSIPS `reginfo_subscribe`, RFC 6665 §4.1): each
 * subscription is kept alive. It is refreshed in its dialog before it expires, subscribed afresh
 * at once when the notifier lost it (481, `terminated;reason=deactivated|timeout`), and after an
 * RFC 5626 §4.5 backoff (or the `Retry-After`) when a SUBSCRIBE fails. `From` and `Contact` are
 * `serverAddress`; out-of-dialog SUBSCRIBEs go through `outboundProxy`.
 */
export class ReginfoSubscriber {
  readonly #o: ResolvedReginfoOptions;
  readonly #send: SendRequestContext;
  readonly #report: (info: ReginfoSubscriptionInfo) => void;
  readonly #byUri = new Map<string, Subscription>();
  readonly #byDialog = new Map<string, Subscription>();
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(o: ResolvedReginfoOptions, send: SendRequestContext, report: (info: ReginfoSubscriptionInfo) => void) {
    this.#o = o;
    this.#send = send;
    this.#report = report;
  }

  /** Subscribe to `uri` (or change the expiry of the subscription to it); settles after the first SUBSCRIBE is answered. */
  subscribe(uri: string, expiresSec: number): Promise<ReginfoSubscriptionInfo> {
    let sub = this.#byUri.get(uri);
    if (sub === undefined) {
      sub = {
        uri, expiresSec, dialog: undefined, status: 'subscribing', expiresAt: undefined, lastStatus: undefined,
        reason: undefined, failures: 0, timer: undefined, sending: false, refreshWanted: false,
      };
      this.#byUri.set(uri, sub);
    }
    sub.expiresSec = expiresSec;
    sub.timer?.cancel();
    return this.#transact(sub, sub.dialog?.remoteTag === undefined ? this.#newDialog(sub) : sub.dialog, expiresSec);
  }

  /** End the subscription to `uri` (SUBSCRIBE with `Expires: 0` in its dialog); false when there is none. */
  async unsubscribe(uri: string): Promise<boolean> {
    const sub = this.#byUri.get(uri);
    if (sub === undefined) return false;
    this.#byUri.delete(uri);
    sub.timer?.cancel();
    sub.status = 'terminated';
    const dialog = sub.dialog;
    sub.dialog = undefined;
    if (dialog !== undefined) {
      this.#byDialog.delete(dialogKey(dialog.callId, dialog.localTag));
      if (dialog.remoteTag !== undefined) await this.#subscribeRequest(dialog, 0);
    }
    this.#report(this.#info(sub));
    return true;
  }

  /** Every subscription held. */
  list(): ReginfoSubscriptionInfo[] {
    return [...this.#byUri.values()].map((s) => this.#info(s));
  }

  /** True when `request` (a NOTIFY) belongs to a subscription of ours: its Call-ID and our tag. */
  matches(request: SipRequest): boolean {
    const toTag = request.to.params.tag;
    return toTag != null && this.#byDialog.has(dialogKey(request.callId, toTag));
  }

  /**
   * A NOTIFY in one of our subscriptions (matched by Call-ID and our tag): complete the dialog
   * (the NOTIFY may come before the 200, RFC 6665 §4.1.2.4) and act on `Subscription-State`.
   * Undefined when the NOTIFY belongs to no subscription of ours.
   */
  onNotify(request: SipRequest): { readonly uri: string } | undefined {
    const toTag = request.to.params.tag;
    const sub = toTag == null ? undefined : this.#byDialog.get(dialogKey(request.callId, toTag));
    const dialog = sub?.dialog;
    if (sub === undefined || dialog === undefined) return undefined;
    establishUacDialog(dialog, request);
    const state = parseSubscriptionState(request.header('subscription-state') ?? '');
    if (state === undefined) return sub;
    const before = sub.status;
    if (state.state === 'active' || state.state === 'pending') {
      sub.status = state.state;
      if (state.expiresSec !== undefined) sub.expiresAt = this.#o.clock.now() + state.expiresSec * 1000;
    } else if (state.state === 'terminated') {
      sub.timer?.cancel();
      sub.reason = state.reason;
      this.#dropDialog(sub);
      const reason = state.reason ?? 'deactivated';
      if (RETRY_NOW.has(reason)) this.#retry(sub, 0);
      else if (RETRY_LATER.has(reason)) this.#retry(sub, state.retryAfterSec === undefined ? this.#backoffMs(sub, undefined) : state.retryAfterSec * 1000);
      else sub.status = 'terminated';
    }
    if (sub.status !== before) this.#report(this.#info(sub));
    return sub;
  }

  /** Ask for full state again (RFC 3680 §5.3: a NOTIFY was lost): a refresh SUBSCRIBE in the dialog. */
  resync(uri: string): void {
    const sub = this.#byUri.get(uri);
    if (sub === undefined || sub.dialog?.remoteTag === undefined) return;
    if (sub.sending) {
      sub.refreshWanted = true;
      return;
    }
    sub.timer?.cancel();
    this.#track(this.#transact(sub, sub.dialog, sub.expiresSec));
  }

  /** Unsubscribe everything and wait for it. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#byUri.keys()].map((uri) => this.unsubscribe(uri)));
    await Promise.allSettled([...this.#inflight]);
  }

  #info(s: Subscription): ReginfoSubscriptionInfo {
    return {
      uri: s.uri,
      status: s.status,
      ...(s.expiresAt === undefined || (s.status !== 'active' && s.status !== 'pending') ? {} : { expiresAt: s.expiresAt }),
      ...(s.lastStatus === undefined ? {} : { lastStatus: s.lastStatus }),
      ...(s.reason === undefined ? {} : { reason: s.reason }),
    };
  }

  #track(p: Promise<unknown>): void {
    const done = p.catch((e: unknown) => this.#o.logger.error({ err: e }, 'reg-event SUBSCRIBE failed')).finally(() => this.#inflight.delete(done));
    this.#inflight.add(done);
  }

  #newDialog(sub: Subscription): Dialog {
    this.#dropDialog(sub);
    const random = this.#o.resolver.random;
    const dialog: Dialog = {
      callId: randomToken(random),
      localTag: randomToken(random).slice(0, 10),
      remoteTag: undefined,
      localUri: this.#o.serverAddress,
      remoteUri: sub.uri,
      localCseq: 0,
      remoteTarget: sub.uri,
      routeSet: this.#o.outboundProxy === undefined ? [] : [looseRoute(this.#o.outboundProxy)],
    };
    sub.dialog = dialog;
    this.#byDialog.set(dialogKey(dialog.callId, dialog.localTag), sub);
    return dialog;
  }

  #dropDialog(sub: Subscription): void {
    if (sub.dialog !== undefined) this.#byDialog.delete(dialogKey(sub.dialog.callId, sub.dialog.localTag));
    sub.dialog = undefined;
  }

  #subscribeRequest(dialog: Dialog, expiresSec: number): Promise<TransactionOutcome> {
    return sendRequest(this.#send, {
      ...inDialogRequest(dialog, 'SUBSCRIBE'),
      contact: `<${this.#o.serverAddress}>`,
      headers: [['Event', 'reg'], ['Accept', REGINFO_CONTENT_TYPE], ['Expires', String(expiresSec)]],
    }, 'sub');
  }

  /** One SUBSCRIBE in `dialog` and what its answer means for the subscription. */
  async #transact(sub: Subscription, dialog: Dialog, expiresSec: number): Promise<ReginfoSubscriptionInfo> {
    sub.sending = true;
    const outcome = await this.#subscribeRequest(dialog, expiresSec);
    sub.sending = false;
    if (sub.dialog !== dialog || this.#closed) return this.#info(sub); // unsubscribed or restarted meanwhile
    sub.lastStatus = outcome.kind === 'response' ? outcome.response.status : outcome.kind;
    const r = outcome.kind === 'response' ? outcome.response : undefined;
    if (r !== undefined && r.status >= 200 && r.status < 300) {
      if (dialog.remoteTag === undefined) establishUacDialog(dialog, r);
      sub.failures = 0;
      if (sub.status !== 'pending') sub.status = 'active';
      const granted = r.expires ?? expiresSec;
      sub.expiresAt = this.#o.clock.now() + granted * 1000;
      if (sub.refreshWanted) {
        sub.refreshWanted = false;
        this.resync(sub.uri);
      } else {
        this.#schedule(sub, refreshAfterSec(granted) * 1000, () => this.#track(this.#transact(sub, dialog, sub.expiresSec)));
      }
    } else if (r?.status === 423 && Number(r.header('min-expires')) > expiresSec && sub.failures++ < 3) {
      sub.expiresSec = Number(r.header('min-expires'));
      this.#retry(sub, 0);
    } else if (r?.status === 481 && dialog.remoteTag !== undefined) {
      this.#retry(sub, 0);
    } else {
      sub.failures++;
      const retryAfter = r?.header('retry-after');
      this.#retry(sub, this.#backoffMs(sub, retryAfter === undefined ? undefined : Number.parseInt(retryAfter, 10)));
    }
    const info = this.#info(sub);
    this.#report(info);
    return info;
  }

  #backoffMs(sub: Subscription, retryAfterSec: number | undefined): number {
    return retryDelayMs({
      failures: Math.max(1, sub.failures),
      capSec: this.#o.retryMaxSec,
      baseSec: this.#o.retryBaseSec,
      ...(retryAfterSec === undefined || Number.isNaN(retryAfterSec) ? {} : { retryAfterSec }),
      random: this.#o.resolver.random(),
    });
  }

  /** Subscribe afresh (a new dialog) after `delayMs`. */
  #retry(sub: Subscription, delayMs: number): void {
    this.#dropDialog(sub);
    sub.status = 'retrying';
    this.#schedule(sub, delayMs, () => this.#track(this.#transact(sub, this.#newDialog(sub), sub.expiresSec)));
  }

  #schedule(sub: Subscription, delayMs: number, fn: () => void): void {
    sub.timer?.cancel();
    sub.timer = this.#o.clock.setTimer(delayMs, () => {
      if (!this.#closed && this.#byUri.get(sub.uri) === sub) fn();
    });
  }
}
