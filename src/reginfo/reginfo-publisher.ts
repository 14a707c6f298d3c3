import type { TimerHandle } from '../ports/clock';
import { randomToken } from '../sip/random-token';
import { looseRoute } from '../sip/loose-route';
import { sendRequest, type SendRequestContext } from '../transactions/send-request';
import type { BindingChange } from '../registrar/binding-change';
import { buildReginfo } from './build-reginfo';
import { aorUri } from './aor-uri';
import type { IdentityTable } from './identity-table';
import { refreshAfterSec } from './refresh-after-sec';
import { REGINFO_CONTENT_TYPE } from './reginfo-document';
import type { ResolvedReginfoOptions } from './reginfo-options';
import { contactChangesOf, registrationOf, type ContactChange } from './registration-from-bindings';

/** How one PUBLISH ended, reported by the `publish` event. */
export interface PublishOutcome {
  /** The AOR (`user@domain`). */
  readonly aor: string;
  /** The presentity the PUBLISH was sent for (its Request-URI). */
  readonly uri: string;
  /** The final status, or why there was none. */
  readonly status: number | 'timeout' | 'transport-error';
  /** True for a refresh (no body, RFC 3903 §4.1). */
  readonly refresh: boolean;
}

/** The publication of one AOR (RFC 3903 §4): its entity tag and what changed since the last PUBLISH. */
interface Publication {
  readonly aor: string;
  etag: string | undefined;
  /** Document version, counted per publication (RFC 3680 §5.4). */
  version: number;
  pending: Map<string, ContactChange>;
  sending: boolean;
  /** Publish the full state even without a change ({@link ReginfoPublisher.update}, a failed refresh). */
  republish: boolean;
  refresh: TimerHandle | undefined;
}

/**
 * The PUBLISH side of reg-event (OpenSIPS `publish_reginfo`, RFC 3903 with the RFC 3680
 * document): every change of an AOR's bindings publishes the AOR's full state, the changed
 * contacts carrying their event. One PUBLISH per AOR is outstanding at a time; changes meanwhile
 * are merged into the next one. The entity tag from `SIP-ETag` is sent back in `SIP-If-Match`;
 * a publication is refreshed without a body before it expires, and a 412 starts it afresh.
 */
export class ReginfoPublisher {
  readonly #o: ResolvedReginfoOptions;
  readonly #send: SendRequestContext;
  /** Public identities by AOR ({@link Reginfo.setIdentities}, {@link Reginfo.loadIdentities}). */
  readonly #identities: IdentityTable;
  readonly #report: (outcome: PublishOutcome) => void;
  readonly #publications = new Map<string, Publication>();
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  constructor(o: ResolvedReginfoOptions, send: SendRequestContext, identities: IdentityTable, report: (outcome: PublishOutcome) => void) {
    this.#o = o;
    this.#send = send;
    this.#identities = identities;
    this.#report = report;
  }

  /**
   * A registrar change to publish; one that came from a NOTIFY is not echoed (OpenSIPS `self_op`),
   * and one another node committed is that node's to publish.
   */
  changed(c: BindingChange): void {
    if (c.origin === 'reginfo' || c.remote === true) return;
    for (const [contact, change] of contactChangesOf(c, this.#o.clock.now())) this.#publication(c.aor).pending.set(contact, change);
    this.#flush(c.aor);
  }

  /** Publish the AOR's state now (OpenSIPS `reginfo_update`); false when it has no binding. */
  async update(aor: string): Promise<boolean> {
    const live = await this.#o.registrar.bindings(aor);
    if (live.length === 0) return false;
    this.#publication(aor).republish = true;
    this.#flush(aor);
    return true;
  }

  /** Stop refreshing and wait for the PUBLISHes in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#publications.values()) p.refresh?.cancel();
    await Promise.allSettled([...this.#inflight]);
  }

  #publication(aor: string): Publication {
    let p = this.#publications.get(aor);
    if (p === undefined) {
      p = { aor, etag: undefined, version: 0, pending: new Map(), sending: false, republish: false, refresh: undefined };
      this.#publications.set(aor, p);
    }
    return p;
  }

  /** Publish what changed, unless a PUBLISH is out (its answer publishes the rest). */
  #flush(aor: string): void {
    const p = this.#publications.get(aor);
    if (p === undefined || this.#closed || p.sending) return;
    p.sending = true;
    const done = this.#publish(p)
      .catch((e: unknown) => this.#o.logger.error({ err: e, aor }, 'reg-event PUBLISH failed'))
      .finally(() => {
        this.#inflight.delete(done);
        p.sending = false;
        if (p.pending.size > 0 || p.republish) this.#flush(aor);
      });
    this.#inflight.add(done);
  }

  /** The presentities of an AOR: its identities when `useIdentities`, else the AOR itself. */
  #uris(aor: string): readonly string[] | undefined {
    if (!this.#o.useIdentities) return [aorUri(aor, this.#o.defaultDomain)];
    return this.#identities.get(aor);
  }

  async #publish(p: Publication): Promise<void> {
    await Promise.resolve(); // the other changes of the same commit join this PUBLISH
    const changes = p.pending;
    p.pending = new Map();
    p.republish = false;
    const uris = this.#uris(p.aor);
    if (uris === undefined) {
      this.#o.logger.info({ aor: p.aor }, 'reg-event: no identities for this AOR yet; not publishing (useIdentities)');
      return;
    }
    const live = await this.#o.registrar.bindings(p.aor);
    const nowMs = this.#o.clock.now();
    const body = buildReginfo({
      version: p.version++,
      state: 'full',
      registrations: uris.map((uri) => registrationOf(uri, live, changes, nowMs, true)),
    });
    p.refresh?.cancel();
    const expiresSec = await this.#request(p, uris[0], body, this.#o.publishExpiresSec);
    if (expiresSec === undefined) return;
    if (live.length === 0) {
      // The AOR is gone: the terminated state was published and is left to expire; the identities set for it go too (OpenSIPS usrloc keys go with the record).
      if (p.pending.size === 0 && !p.republish) {
        this.#publications.delete(p.aor);
        this.#identities.released(p.aor);
      }
      return;
    }
    this.#scheduleRefresh(p, uris[0], expiresSec);
  }

  #scheduleRefresh(p: Publication, uri: string, expiresSec: number): void {
    p.refresh = this.#o.clock.setTimer(refreshAfterSec(expiresSec) * 1000, () => {
      if (this.#closed || p.sending) return;
      p.sending = true;
      const done = this.#request(p, uri, undefined, this.#o.publishExpiresSec)
        .then((granted) => {
          if (granted !== undefined) this.#scheduleRefresh(p, uri, granted);
          else p.republish = true; // the refresh failed: publish the full state again
        })
        .catch((e: unknown) => this.#o.logger.error({ err: e, aor: p.aor }, 'reg-event PUBLISH refresh failed'))
        .finally(() => {
          this.#inflight.delete(done);
          p.sending = false;
          if (p.pending.size > 0 || p.republish) this.#flush(p.aor);
        });
      this.#inflight.add(done);
    });
  }

  /**
   * One PUBLISH (a refresh when `body` is undefined), answering a 412 (stale entity tag: publish
   * the body afresh, RFC 3903 §4.1) and a 423 (Min-Expires) once each. Resolves to the expiry
   * granted, or undefined when it failed.
   */
  async #request(p: Publication, uri: string, body: string | undefined, askedSec: number): Promise<number | undefined> {
    let expiresSec = askedSec;
    for (let attempt = 0; attempt < 3; attempt++) {
      const headers: (readonly [string, string])[] = [['Event', 'reg'], ['Expires', String(expiresSec)]];
      if (p.etag !== undefined) headers.push(['SIP-If-Match', p.etag]);
      const outcome = await sendRequest(this.#send, {
        method: 'PUBLISH',
        requestUri: uri,
        routes: this.#o.outboundProxy === undefined ? undefined : [looseRoute(this.#o.outboundProxy)],
        from: `<${uri}>;tag=${randomToken(this.#o.resolver.random).slice(0, 10)}`,
        to: `<${uri}>`,
        callId: randomToken(this.#o.resolver.random),
        cseq: 1,
        headers,
        ...(body === undefined ? {} : { body: { type: REGINFO_CONTENT_TYPE, text: body } }),
      }, 'pub');
      const status = outcome.kind === 'response' ? outcome.response.status : outcome.kind;
      this.#report({ aor: p.aor, uri, status, refresh: body === undefined });
      if (outcome.kind !== 'response') return undefined;
      const r = outcome.response;
      if (r.status >= 200 && r.status < 300) {
        p.etag = r.header('sip-etag') ?? p.etag;
        return r.expires ?? expiresSec;
      }
      if (r.status === 412 && p.etag !== undefined) {
        p.etag = undefined;
        if (body === undefined) return undefined;
      } else if (r.status === 423 && r.header('min-expires') !== undefined) {
        expiresSec = Number(r.header('min-expires'));
        if (!Number.isInteger(expiresSec) || expiresSec <= 0) return undefined;
      } else {
        this.#o.logger.warn({ aor: p.aor, uri, status: r.status }, 'reg-event PUBLISH refused');
        return undefined;
      }
    }
    return undefined;
  }
}
