import { EventEmitter } from 'eventemitter3';
import { ConfigError } from '../errors/sdk-error';
import type { Binding, UpstreamRegistration } from '../ports/binding';
import type { Endpoint, TransactionOutcome } from '../ports/transport';
import type { BindingChange } from '../registrar/binding-change';
import { asAorUri, toAor } from '../registrar/aor';
import type { LookupOptions } from '../registrar/lookup-options';
import { lifetimeOf } from '../registrar/plan-save';
import { createRegistrar } from '../registrar/registrar';
import type { Registrar, RegistrarStats } from '../registrar/registrar';
import type { SaveOptions } from '../registrar/save-options';
import type { SaveResult } from '../registrar/save-result';
import type { LookupResult } from '../registrar/select-targets';
import { shapeTargets } from '../registrar/select-targets';
import { buildErrorReply, regErrorStatus, serverErrorHeaders } from '../registrar/reply';
import { regError } from '../errors/reg-error';
import type { RegError } from '../errors/reg-error';
import { identityMayUse } from '../auth/identity-may-use';
import { acceptedRegisterOf, isAcceptedRegister } from './accepted-register';
import type { NameAddrValue, SipRequest, SipResponse } from '../sip/message';
import { grantedLifetime } from '../registrar/granted-lifetime';
import { buildResponse } from '../sip/response';
import { serializeMessage } from '../sip/serialize';
import { contactIdIn, contactIdOf } from './contact-id';
import { ServerTransactions } from '../transactions/server-transactions';
import { aorContactUri, aorOfContactUser, forwardedContactUri } from './forwarded-contact';
import type { ContactRewrite } from './forwarded-contact';
import type { ForwardedContact } from './forwarded-register';
import { forwardedRegister } from './forwarded-register';
import type { AdvertisedAddress, MidRegistrarOptions, ResolvedMidOptions } from './mid-registrar-options';
import { resolveMidOptions } from './mid-registrar-options';
import { sendDeregister } from './send-deregister';
import type { DeregisterOutcome } from './send-deregister';
import type { ContactToDecide, RegisterToDecide } from './throttle-decision';
import { shouldForward } from './throttle-decision';
import { BranchIds } from '../sip/branch-ids';
import { planSave } from '../registrar/plan-save';
import { withDefaults } from '../registrar/with-defaults';
import { deviatedLifetime } from './deviated-lifetime';

/**
 * Save options of one REGISTER (OpenSIPS `mid_registrar_save` flags, `aor` and `outgoing_expires`
 * arguments, and the `extra_contact_params_avp` of the request).
 */
export interface MidSaveOptions extends Omit<SaveOptions, 'confirmedLifetime' | 'upstreamReply' | 'upstreamRegistration'> {
  /**
   * Lifetime asked of the main registrar for this REGISTER in the throttling modes (s), a
   * non-negative integer (`mid_registrar_save(..., outgoing_expires)`).
   * @defaultValue {@link MidRegistrarOptions.outgoingExpires}
   */
  readonly outgoingExpires?: number;
  /**
   * Appended to every Contact URI this REGISTER forwards (`;transport=tls`), instead of
   * {@link MidRegistrarOptions.extraContactParams} (OpenSIPS `extra_contact_params_avp`, set per
   * request). @defaultValue {@link MidRegistrarOptions.extraContactParams}
   */
  readonly extraContactParams?: string;
}

/** What {@link MidRegistrar.process} gives the host for a REGISTER: the reply to send (none for a retransmission still being forwarded). */
export interface ProcessedRegister {
  readonly response?: Uint8Array;
  /** Keep the phone's TCP connection open until then (`tcp_persistent_flag`). */
  readonly keepConnectionUntil?: number;
  /**
   * True when {@link MidRegistrarOptions.auth} refused credentials that did not verify (wrong
   * password, unknown user; not a first request without credentials): what a ban on repeated
   * failures counts (`SourceGuard.authFailed`). The main registrar's refusals are not counted.
   */
  readonly authFailed?: true;
}

/** The answer for the phone once the main registrar replied to a forwarded REGISTER. */
export interface MidReply {
  readonly status: number;
  /** The wire reply to the phone (absent with `noReply` on a 2xx). */
  readonly response?: Uint8Array;
  /** The local save, on a 2xx from the main registrar. */
  readonly result?: SaveResult;
}

/**
 * What to do with a REGISTER (OpenSIPS `mid_registrar_save` return 1 / 2): `forward` the
 * rewritten REGISTER to the main registrar at `destination`, then hand its final response (or
 * the transport's outcome) to `onReply` for the phone's reply; or it was `absorbed`: answered
 * here, `response` is the reply.
 */
export type MidRegisterOutcome =
  | {
      readonly action: 'forward';
      readonly request: Uint8Array;
      readonly destination: Endpoint;
      onReply(reply: SipResponse | TransactionOutcome): Promise<MidReply>;
    }
  | { readonly action: 'absorbed'; readonly response?: Uint8Array; readonly result: SaveResult };

/** Counters of a {@link MidRegistrar}, with its local registrar's. */
export interface MidRegistrarStats {
  /** REGISTERs answered here without the main registrar. */
  readonly absorbed: number;
  /** REGISTERs forwarded to the main registrar. */
  readonly forwarded: number;
  /** De-REGISTERs the mid-registrar sent that the main registrar accepted. */
  readonly deRegistersSent: number;
  /** De-REGISTERs that failed (error reply, timeout, no credentials, no transport). */
  readonly deRegistersFailed: number;
  readonly registrar: RegistrarStats;
}

/** A de-REGISTER the mid-registrar sent for a binding that is gone here. */
export interface DeregisteredEvent {
  readonly aor: string;
  /** The Contact as the main registrar had it. */
  readonly contact: string;
  readonly outcome: DeregisterOutcome;
}

/** Typed events of a {@link MidRegistrar}; the local bindings' events are on `midRegistrar.registrar`. */
export interface MidRegistrarEvents {
  deregistered: (event: DeregisteredEvent) => void;
  error: (error: Error) => void;
}

const ok2xx = (status: number): boolean => status >= 200 && status < 300;

/**
 * A registration front-end to a main registrar (OpenSIPS `mid_registrar`, all three modes):
 * {@link MidRegistrar.handleRegister} decides per REGISTER whether it is forwarded (Contacts
 * rewritten to point here, lifetimes raised to `outgoingExpires` when throttling) or answered
 * here; bindings are saved here only from the main registrar's 2xx; a binding that expires or is
 * removed here is de-REGISTERed upstream by the mid-registrar itself; and
 * {@link MidRegistrar.lookup} routes the main registrar's requests to the phones. The bindings
 * live in a {@link Registrar} (`midRegistrar.registrar`) with the same store, Path, GRUU and push
 * support as the registrar proper.
 */
export class MidRegistrar extends EventEmitter<MidRegistrarEvents> {
  /** The registrar that keeps the phones' bindings (events, queries, `remove`). */
  readonly registrar: Registrar;
  readonly options: ResolvedMidOptions;
  /** Upstream registrations the main registrar no longer holds (replaced, de-registered): no de-REGISTER for them. */
  readonly #gone = new WeakSet<UpstreamRegistration>();
  /** Contact ids of forwarded Contacts → where the binding lives, for lookups by contact id. */
  readonly #ids = new Map<string, { readonly aor: string; readonly contact: string }>();
  #idsRebuilt: Promise<void> | undefined;
  readonly #pending = new Set<Promise<void>>();
  /**
   * AOR throttling: the registration the main registrar holds for each AOR's one Contact, as last
   * learned here (the newest forwarded REGISTER's Call-ID and CSeq), which the AOR's de-REGISTER continues.
   */
  readonly #aorUpstream = new Map<string, UpstreamRegistration>();
  readonly #branches = new BranchIds();
  /** REGISTERs received over UDP by {@link MidRegistrar.process}, by server transaction, with their answer once known. */
  readonly #transactions: ServerTransactions<ProcessedRegister>;
  #absorbed = 0;
  #forwarded = 0;
  #deRegistersSent = 0;
  #deRegistersFailed = 0;
  #closed = false;

  constructor(options: MidRegistrarOptions) {
    super();
    const { mid, registrar } = resolveMidOptions(options);
    if (mid.mode !== 'mirror' && mid.transport === undefined) {
      throw new ConfigError(`MidRegistrarOptions.transport is required in mode '${mid.mode}': the mid-registrar de-registers vanished phones upstream itself`);
    }
    if (mid.advertised === undefined && (mid.transport === undefined || mid.transport.endpoints().length === 0)) {
      throw new ConfigError('MidRegistrarOptions.advertised is required without a listening transport: forwarded Contacts must point to this mid-registrar');
    }
    this.options = mid;
    this.registrar = createRegistrar(registrar);
    this.#transactions = new ServerTransactions({ clock: this.registrar.options.clock });
    const unbound = (change: BindingChange): void => this.#unbound(change);
    this.registrar.on('expired', unbound);
    this.registrar.on('deleted', unbound);
    // Nodes sharing a store with notices: a Contact another node forwarded routes here too.
    const learned = (change: BindingChange): void => {
      if (change.remote === true) this.#ids.set(contactIdOf(change.aor, change.binding.contact), { aor: change.aor, contact: change.binding.contact });
    };
    this.registrar.on('inserted', learned);
    this.registrar.on('updated', learned);
  }

  /** host:port written into forwarded Contacts and Vias. */
  get advertised(): AdvertisedAddress {
    const given = this.options.advertised;
    if (given !== undefined) return given;
    const local = this.options.transport!.endpoints()[0];
    return { host: local.address, port: local.port };
  }

  /**
   * Decide what a REGISTER does (OpenSIPS `mid_registrar_save`): forward it (rewritten) to the
   * main registrar, or answer it here. A REGISTER the local save would refuse is answered here with
   * the error the registrar gives and never forwarded (400, 420, 423, 555, and 503 with
   * `Retry-After` when `maxContacts` would be exceeded). A Contact that replaces a stored binding
   * under another URI (matching mode on a URI parameter, a push device, an outbound instance: the
   * phone moved to another host:port) is forwarded with the old Contact at `expires=0`, so the main
   * registrar no longer routes to it. `options.outgoingExpires` and `options.extraContactParams`
   * override the options of the same names for this REGISTER; a bad `outgoingExpires` throws
   * {@link ConfigError}.
   *
   * With {@link MidRegistrarOptions.auth} it is first authenticated here, in every mode (RFC 3261
   * §10.3 steps 2 and 3): refused credentials are answered with the authenticator's reply (401 ...,
   * the result's `authFailed` set for credentials that did not verify), and an identity that may not
   * use the AOR with 403 (`checkTo`), before anything is read, absorbed or forwarded. Without it,
   * the throttling modes answer a REGISTER here only with the Call-ID and From tag the main
   * registrar last accepted for each binding it touches (OpenSIPS issue #3193): any other goes to
   * the main registrar to be authenticated, and its challenge is relayed to the phone. A phone that
   * changes its From tag on every refresh (RFC 3261 §8.1.1.3 allows it) is then forwarded every
   * time; give the mid-registrar `auth` to throttle it.
   */
  async handleRegister(request: SipRequest, options: MidSaveOptions = {}): Promise<MidRegisterOutcome> {
    this.#assertOpen();
    const outgoing = options.outgoingExpires;
    if (outgoing !== undefined && (!Number.isInteger(outgoing) || outgoing < 0)) {
      throw new ConfigError(`MidSaveOptions.outgoingExpires must be a non-negative integer (seconds), got ${String(outgoing)}`);
    }
    const aorResult = toAor(options.aor === undefined ? request.to.uri : asAorUri(options.aor), this.registrar.options);
    if (request.method !== 'REGISTER' || !aorResult.ok) return this.#absorb(request, options);
    const aor = aorResult.value;
    if (request.maxForwards === 0) return this.#refuse(request, options, aor, regError('too-many-hops'), false);
    let identity = options.identity;
    const auth = this.options.auth;
    if (identity === undefined && auth !== undefined) {
      const outcome = await auth.authenticate(request, 'www', options.source);
      if (!outcome.ok) return this.#refuse(request, options, aor, outcome.error, outcome.failed);
      identity = outcome.identity;
    }
    if (identity !== undefined && this.options.checkTo && !identityMayUse(identity, aor, this.registrar.options.caseSensitive)) {
      return this.#refuse(request, options, aor, regError('auth-forbidden'), false);
    }
    const save = withDefaults(this.registrar.options.defaultSaveOptions, options);
    const live = await this.registrar.bindings(aor);
    const now = this.registrar.options.clock.now();
    // What the local save will refuse after the main registrar's 2xx (max_contacts ...) is refused
    // now, by that save: never forwarded, so nothing to de-register after.
    const plan = planSave({ request, save, aor, nowMs: now }, live, this.registrar.savePolicy);
    if (!plan.ok) return this.#absorb(request, options);
    const decide = this.#decide(request, save, aor, live, identity !== undefined);
    if (decide === undefined) return this.#absorb(request, options);
    const confirmedLifetime = this.#granted(request, save, aor);
    if (!shouldForward(this.options.mode, decide, now)) {
      return this.#absorb(request, { ...options, confirmedLifetime, upstreamRegistration: (c) => this.#carried(live, c.uri, request) });
    }
    const forward = this.#forwardPlan(request, options, aor, decide, this.#replacedUpstream(request, plan.value.changes, live));
    if (forward === undefined) {
      return this.#refuse(request, options, aor, regError('contact-parse', undefined, 'Contact is not a SIP URI the mid-registrar can forward'), false);
    }
    this.#forwarded++;
    return {
      action: 'forward',
      request: forward.data,
      destination: this.options.upstream,
      onReply: (reply) => this.#onReply(request, options, aor, forward.sent, confirmedLifetime, reply),
    };
  }

  /**
   * Handle a REGISTER end to end through the configured transport: forward when needed, wait
   * for the main registrar, and answer with the reply for the phone (none with `noReply`) and,
   * with `tcpPersistent`, how long to keep its connection (OpenSIPS `tcp_persistent_flag`).
   * Over UDP (`options.source`) a retransmission of the phone's REGISTER that arrives while the
   * first copy is pending is absorbed: no second forward, no reply; one that arrives within
   * 5 s of the answer gets the same reply (RFC 3261 §17.2.2; Timer J as OpenSIPS `wt_timer`).
   */
  async process(request: SipRequest, options?: MidSaveOptions): Promise<ProcessedRegister> {
    if (options?.source?.protocol !== 'udp') return this.#processOnce(request, options);
    // A retransmission gets nothing while the first is being forwarded.
    return (await this.#transactions.run(request, () => this.#processOnce(request, options))) ?? {};
  }

  async #processOnce(request: SipRequest, options?: MidSaveOptions): Promise<ProcessedRegister> {
    const outcome = await this.handleRegister(request, options);
    const keep = (result: SaveResult | undefined): number | undefined => (result?.ok === true ? result.keepConnectionUntil : undefined);
    if (outcome.action === 'absorbed') {
      return outcome.result.ok || outcome.result.authFailed !== true
        ? { response: outcome.response, keepConnectionUntil: keep(outcome.result) }
        : { response: outcome.response, authFailed: true };
    }
    const transport = this.options.transport;
    if (transport === undefined) throw new ConfigError('MidRegistrar.process() needs MidRegistrarOptions.transport; use handleRegister() and send the request yourself');
    const reply = await outcome.onReply(await transport.request(outcome.request, outcome.destination));
    return { response: reply.response, keepConnectionUntil: keep(reply.result) };
  }

  /**
   * Route a request from the main registrar to the phones (OpenSIPS `mid_registrar_lookup`):
   * in mirror and AOR modes every binding of the AOR (forking by q), the AOR taken from the
   * contact id's binding (mirror) or the escaped AOR in the Request-URI user (AOR throttling);
   * in contact throttling only the Contact the contact id names. GRUUs and push work as in
   * {@link Registrar.lookup}; `options.aor` overrides. Always a promise, as `Registrar.lookup`.
   */
  async lookup(request: SipRequest | string, options: LookupOptions = {}): Promise<LookupResult> {
    this.#assertOpen();
    const uri = typeof request === 'string' ? request : request.uri;
    if (options.aor !== undefined || /;gr(=|;|$)/i.test(uri)) return this.registrar.lookupNow(request, options);
    if (this.options.mode === 'throttle-aor') {
      const aor = aorOfContactUser(uri, this.options.atEscapeStr);
      return this.registrar.lookupNow(request, aor === undefined ? options : { ...options, aor });
    }
    const id = contactIdIn(uri, this.options.contactIdInsertion, this.options.contactIdParam);
    if (id === undefined) return this.registrar.lookupNow(request, options);
    let ref = this.#ids.get(id);
    if (ref === undefined) {
      await this.#rebuildIds();
      ref = this.#ids.get(id);
    }
    return ref === undefined ? { kind: 'not-found', code: -1, aor: uri } : this.#lookupRef(request, options, ref);
  }

  /** Counters, and the registrar's. */
  async stats(): Promise<MidRegistrarStats> {
    const registrar = await this.registrar.stats();
    return {
      absorbed: this.#absorbed,
      forwarded: this.#forwarded,
      deRegistersSent: this.#deRegistersSent,
      deRegistersFailed: this.#deRegistersFailed,
      registrar,
    };
  }

  /** Resolves once every de-REGISTER started so far has ended. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Stop the expiry timer and wait for de-REGISTERs in flight; later calls throw `ConfigError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.registrar.close();
    await this.drain();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigError('this mid-registrar is closed; create a new one');
  }

  /** A REGISTER refused here before the store is read: `authFailed` when its credentials did not verify (what a ban counts). */
  #refuse(request: SipRequest, options: SaveOptions, aor: string, error: RegError, authFailed: boolean): MidRegisterOutcome {
    const { status } = regErrorStatus(error);
    const response = options.noReply ? undefined : buildErrorReply(request, error, this.registrar.options);
    return { action: 'absorbed', response, result: authFailed ? { ok: false, status, aor, error, response, authFailed } : { ok: false, status, aor, error, response } };
  }

  async #absorb(request: SipRequest, options: SaveOptions): Promise<MidRegisterOutcome> {
    const result = await this.registrar.save(request, options);
    this.#absorbed++;
    return { action: 'absorbed', response: result.response, result };
  }

  #rewrite(save: MidSaveOptions): ContactRewrite {
    const extraParams = save.extraContactParams ?? this.options.extraContactParams;
    return { advertised: this.advertised, insertion: this.options.contactIdInsertion, param: this.options.contactIdParam, extraParams };
  }

  /**
   * The lifetime a phone's Contact gets here (s; 0 removes it): as the registrar grants it
   * ({@link lifetimeOf}), and when throttling moved by `expires_max_deviation`, steadily per
   * Contact ({@link deviatedLifetime}); in mirror mode the main registrar's, which was asked
   * with the deviation.
   */
  #phoneLifetime(c: NameAddrValue, request: SipRequest, save: SaveOptions, aor: string): number | RegError {
    const expires = lifetimeOf(c, request, save, this.registrar.options);
    if (typeof expires !== 'number' || this.options.mode === 'mirror') return expires;
    return deviatedLifetime(expires, this.options.expiresMaxDeviation, contactIdOf(aor, c.uri));
  }

  /** {@link #phoneLifetime} as the local save's `confirmedLifetime` (a refusal is left to the save). */
  #granted(request: SipRequest, save: SaveOptions, aor: string): (c: NameAddrValue) => number | 'requested' {
    return (c) => {
      const expires = this.#phoneLifetime(c, request, save, aor);
      return typeof expires === 'number' ? expires : 'requested';
    };
  }

  /**
   * The main registrar's registrations a forward must end (mirror and contact throttling): of each
   * stored binding a Contact of this REGISTER replaces under another URI (matching mode on a URI
   * parameter, a push device, an outbound instance: the phone moved to another host:port), the
   * one of its Contact, unless that URI stays bound here. Else the old Contact stays bound
   * upstream, and calls are routed to it, until it expires there. By old Contact URI.
   */
  #replacedUpstream(request: SipRequest, changes: readonly BindingChange[], live: readonly Binding[]): ReadonlyMap<string, UpstreamRegistration> {
    const replaced = new Map<string, UpstreamRegistration>();
    if (this.options.mode === 'throttle-aor' || request.contacts === '*') return replaced;
    const requested = new Set(request.contacts.map((c) => c.uri));
    for (const { previous, binding } of changes) {
      const old = previous?.contact;
      const up = previous?.upstream;
      if (old === undefined || up === undefined || old === binding.contact || requested.has(old)) continue;
      if (!live.some((b) => b !== previous && b.contact === old)) replaced.set(old, up);
    }
    return replaced;
  }

  /**
   * The Contacts of a REGISTER as the throttling decision sees them; undefined when one is invalid.
   * `authenticated`: the mid-registrar authenticated it, so it is accepted for every binding.
   */
  #decide(request: SipRequest, save: SaveOptions, aor: string, live: readonly Binding[], authenticated: boolean): Decision | undefined {
    const aorAccepted = authenticated || live.some((b) => isAcceptedRegister(b.upstream, request));
    if (request.contacts === '*') return { contacts: '*', remaining: 0, aorAccepted, aorCoverSec: 0 };
    const now = this.registrar.options.clock.now();
    const secondsLeft = (b: Binding): number => Math.ceil((b.expiresAt - now) / 1000);
    const contacts: DecidedContact[] = [];
    let remaining = live.length;
    let aorCoverSec = 0;
    const leaving = new Set<string>();
    for (const c of request.contacts) {
      const expires = this.#phoneLifetime(c, request, save, aor);
      if (typeof expires !== 'number') return undefined;
      let known = false;
      let accepted = authenticated;
      let coverSec = expires;
      for (const b of live) {
        if (b.contact !== c.uri) continue;
        known = true;
        accepted ||= isAcceptedRegister(b.upstream, request);
        // The main registrar's binding must outlive this Contact's bindings here (other Call-IDs too).
        if (b.callId !== request.callId) coverSec = Math.max(coverSec, secondsLeft(b));
      }
      if (expires === 0 && known) remaining--;
      if (expires > 0 && !known) remaining++;
      if (expires === 0) leaving.add(c.uri);
      aorCoverSec = Math.max(aorCoverSec, expires);
      contacts.push({ c, expires, known, accepted, upstreamExpiresAt: this.#upstreamOf(live, c.uri)?.expiresAt, coverSec });
    }
    for (const b of live) if (!leaving.has(b.contact)) aorCoverSec = Math.max(aorCoverSec, secondsLeft(b));
    return { contacts, remaining, aorAccepted, aorCoverSec };
  }

  /**
   * The lifetime asked of the main registrar when throttling: `outgoing_expires` (a minimum, as
   * OpenSIPS documents it) or longer when a binding here must be covered longer, then the random
   * deviation, never below what must be covered.
   */
  #upstreamLifetime(outgoing: number, coverSec: number): number {
    return Math.max(coverSec, this.#deviated(Math.max(outgoing, coverSec)));
  }

  /**
   * The main registrar's registration covering a Contact, from the live bindings: the Contact's
   * own (any Call-ID), or in AOR throttling the freshest of the AOR's.
   */
  #upstreamOf(live: readonly Binding[], contact: string): UpstreamRegistration | undefined {
    const aorWide = this.options.mode === 'throttle-aor';
    return freshest(live.filter((b) => aorWide || b.contact === contact).map((b) => b.upstream));
  }

  /**
   * What an absorbed REGISTER's binding keeps of the main registrar's registration: the one
   * covering the Contact ({@link #upstreamOf}), with this REGISTER as the one last authenticated
   * for the binding (the same object when it already says so).
   */
  #carried(live: readonly Binding[], contact: string, request: SipRequest): UpstreamRegistration | undefined {
    const up = this.#upstreamOf(live, contact);
    return up === undefined || isAcceptedRegister(up, request) ? up : { ...up, accepted: acceptedRegisterOf(request) };
  }

  /** Lifetime asked upstream: the base plus the random deviation (`expires_max_deviation`), never below 1. */
  #deviated(expires: number): number {
    const d = this.options.expiresMaxDeviation;
    if (expires === 0 || d === 0) return expires;
    return Math.max(1, expires + Math.floor(Math.random() * (2 * d + 1)) - d);
  }

  #forwardPlan(request: SipRequest, save: MidSaveOptions, aor: string, decide: Decision, replaced: ReadonlyMap<string, UpstreamRegistration>): { data: Uint8Array; sent: SentContacts } | undefined {
    const mode = this.options.mode;
    const outgoing = save.outgoingExpires ?? this.options.outgoingExpires;
    const via = { advertised: this.advertised, upstream: this.options.upstream, branch: this.#branches.next('mr') };
    if (decide.contacts === '*') return { data: forwardedRegister(request, undefined, undefined, via), sent: { star: true, byId: new Map(), idOf: new Map(), aorContact: undefined, replaced } };
    // A query binds nothing upstream: it goes as the phone sent it, for the main registrar to authenticate.
    if (decide.contacts.length === 0) return { data: forwardedRegister(request, undefined, undefined, via), sent: { star: false, byId: new Map(), idOf: new Map(), aorContact: undefined, replaced } };
    const rewrite = this.#rewrite(save);
    if (mode === 'throttle-aor') {
      const uri = aorContactUri(aor, this.options.atEscapeStr, rewrite);
      const expires = decide.remaining === 0 ? 0 : this.#upstreamLifetime(outgoing, decide.aorCoverSec);
      return { data: forwardedRegister(request, [{ uri, params: {}, expires }], expires, via), sent: { star: false, byId: new Map(), idOf: new Map(), aorContact: uri, replaced } };
    }
    const contacts: ForwardedContact[] = [];
    const byId = new Map<string, string>();
    const idOf = new Map<string, string>();
    for (const { c, expires, coverSec } of decide.contacts) {
      const id = contactIdOf(aor, c.uri);
      idOf.set(c.uri, id);
      const uri = forwardedContactUri(c.uri, id, rewrite);
      if (uri === undefined) return undefined;
      byId.set(id, uri);
      this.#ids.set(id, { aor, contact: c.uri });
      const sent = mode === 'mirror' ? (c.params.expires === undefined ? undefined : this.#deviated(expires)) : (expires === 0 ? 0 : this.#upstreamLifetime(outgoing, coverSec));
      contacts.push({ uri, params: c.params, expires: sent });
    }
    for (const up of replaced.values()) contacts.push({ uri: up.contact, params: {}, expires: 0 });
    const header = mode === 'mirror' ? (request.expires === undefined ? undefined : this.#deviated(request.expires)) : outgoing;
    return { data: forwardedRegister(request, contacts, header, via), sent: { star: false, byId, idOf, aorContact: undefined, replaced } };
  }

  async #onReply(
    request: SipRequest, save: MidSaveOptions, aor: string, sent: SentContacts, lifetime: (c: NameAddrValue) => number | 'requested', reply: SipResponse | TransactionOutcome,
  ): Promise<MidReply> {
    const response = 'status' in reply ? reply : reply.kind === 'response' ? reply.response : undefined;
    if (response === undefined) {
      const logger = this.registrar.options.logger;
      const upstream = this.options.upstream;
      if ('kind' in reply && reply.kind === 'transport-error') {
        // An unreachable or unverifiable main registrar (RFC 3261 §18.4, §26.2.2): the reason is for the operator.
        logger.warn({ aor, upstream, error: reply.error }, 'mid-registrar: REGISTER not forwarded upstream');
        return { status: 503, response: save.noReply ? undefined : buildResponse(request, 503, 'Service Unavailable', { headers: serverErrorHeaders(this.registrar.options) }) };
      }
      logger.warn({ aor, upstream }, 'mid-registrar: no final response from upstream to a REGISTER (Timer F)');
      return { status: 408, response: save.noReply ? undefined : buildResponse(request, 408, 'Request Timeout') };
    }
    if (!ok2xx(response.status)) return { status: response.status, response: save.noReply ? undefined : serializeMessage(response, { removeTopVia: true }) };
    const now = this.registrar.options.clock.now();
    const registration = (contact: string, seconds: number): UpstreamRegistration => ({
      contact, callId: request.callId, from: request.header('from') ?? '', to: request.header('to') ?? '', cseq: request.cseq.seq, expiresAt: now + seconds * 1000,
      accepted: acceptedRegisterOf(request),
    });
    const live = await this.registrar.bindings(aor);
    /** The registrations this REGISTER ended or replaced upstream: no de-REGISTER for them later. */
    const release = (which: (b: Binding) => boolean): void => {
      for (const b of live) if (b.upstream !== undefined && which(b)) this.#gone.add(b.upstream);
    };
    const learned = new Map<string, UpstreamRegistration>();
    let confirmedLifetime: (c: NameAddrValue) => number | 'requested' | undefined;
    if (sent.star) {
      release(() => true);
      this.#aorUpstream.delete(aor);
      confirmedLifetime = () => 0;
    } else if (sent.aorContact !== undefined) {
      const granted = grantedLifetime(response, (uri) => uri === sent.aorContact || aorOfContactUser(uri, this.options.atEscapeStr) === aor);
      release(() => true);
      if (granted !== undefined && granted > 0) {
        const up = registration(sent.aorContact, granted);
        for (const c of request.contacts === '*' ? [] : request.contacts) learned.set(c.uri, up);
        this.#aorUpstream.set(aor, up);
      } else {
        this.#aorUpstream.delete(aor);
      }
      confirmedLifetime = granted === undefined ? () => undefined : lifetime;
    } else {
      for (const [old, up] of sent.replaced) {
        this.#gone.add(up);
        this.#ids.delete(contactIdOf(aor, old));
      }
      const insertion = this.options.contactIdInsertion;
      const param = this.options.contactIdParam;
      const grants = new Map<string, number>();
      for (const id of sent.byId.keys()) {
        const granted = grantedLifetime(response, (uri) => contactIdIn(uri, insertion, param) === id);
        if (granted !== undefined) grants.set(id, granted);
      }
      for (const c of request.contacts === '*' ? [] : request.contacts) {
        const id = sent.idOf.get(c.uri)!;
        const granted = grants.get(id);
        release((b) => b.contact === c.uri);
        if (granted !== undefined && granted > 0) learned.set(c.uri, registration(sent.byId.get(id)!, granted));
      }
      const mirror = this.options.mode === 'mirror';
      confirmedLifetime = (c) => {
        const granted = grants.get(sent.idOf.get(c.uri)!);
        return granted === undefined ? undefined : mirror || granted === 0 ? granted : lifetime(c);
      };
    }
    const result = await this.registrar.save(request, { ...save, confirmedLifetime, upstreamRegistration: (c) => learned.get(c.uri) });
    if (!result.ok) for (const up of new Set(learned.values())) this.#deregister(aor, up);
    return { status: result.status, response: result.response, result };
  }

  /**
   * A binding is gone here (expired, removed, evicted): de-register what the main registrar
   * still holds for it, once no live binding here needs it any more (another Call-ID's binding
   * of the same Contact under `matchingMode: 1`; in AOR throttling any binding of the AOR).
   */
  #unbound(change: BindingChange): void {
    // The node that committed a removal de-registers upstream; another node only hears of it.
    if (change.remote === true) return;
    const { aor, binding } = change;
    const contact = binding.contact;
    const up = binding.upstream;
    if (this.options.mode === 'throttle-aor') {
      this.#track(this.registrar.bindings(aor).then((left) => this.#unboundAor(aor, up, left)));
      return;
    }
    this.#track(this.registrar.bindings(aor).then((left) => {
      if (left.some((b) => b.contact === contact)) return;
      this.#ids.delete(contactIdOf(aor, contact));
      // Mirror mode's upstream binding expires with this one.
      if (up === undefined || this.#gone.has(up) || up.expiresAt <= this.registrar.options.clock.now()) return;
      this.#deregister(aor, up);
    }));
  }

  /**
   * AOR throttling: a binding of `aor` (whose copy of the upstream registration was `up`) is gone
   * here, `left` remain. Once none remains, the AOR's one Contact is de-registered upstream,
   * continuing the newest REGISTER forwarded for the AOR (its Call-ID, the next CSeq): the last
   * binding's own copy may predate it, another device having refreshed the AOR upstream since
   * (RFC 3261 §10.2.4: a refresh carries the Call-ID and a higher CSeq). Not known here (after a
   * restart), it is the freshest copy the bindings kept.
   */
  #unboundAor(aor: string, up: UpstreamRegistration | undefined, left: readonly Binding[]): void {
    const newest = this.#aorUpstream.get(aor) ?? freshest([up, ...left.map((b) => b.upstream)].filter((u) => u !== undefined && !this.#gone.has(u)));
    if (left.length > 0) {
      if (newest !== undefined) this.#aorUpstream.set(aor, newest);
      return;
    }
    this.#aorUpstream.delete(aor);
    if (newest !== undefined) this.#deregister(aor, newest);
  }

  #deregister(aor: string, upstream: UpstreamRegistration): void {
    this.#gone.add(upstream);
    if (this.#aorUpstream.get(aor) === upstream) this.#aorUpstream.delete(aor);
    const transport = this.options.transport;
    if (transport === undefined) {
      this.#deRegistersFailed++;
      this.registrar.options.logger.warn({ aor, contact: upstream.contact }, 'mid-registrar: no transport to de-register a binding upstream');
      return;
    }
    const ctx = {
      transport, upstream: this.options.upstream, upstreamUri: this.options.upstreamUri, advertised: this.advertised,
      credentials: this.options.credentials, branch: () => this.#branches.next('mrd'),
    };
    this.#track(sendDeregister(aor, upstream, ctx).then((outcome) => {
      if ('status' in outcome && ok2xx(outcome.status)) this.#deRegistersSent++;
      else {
        this.#deRegistersFailed++;
        this.registrar.options.logger.warn({ aor, contact: upstream.contact, outcome }, 'mid-registrar: de-REGISTER upstream failed');
      }
      this.emit('deregistered', { aor, contact: upstream.contact, outcome });
    }));
  }

  #track(work: Promise<void>): void {
    const done: Promise<void> = work.catch((e: unknown) => {
      this.emit('error', e instanceof Error ? e : new Error(String(e)));
    }).finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  async #lookupRef(request: SipRequest | string, options: LookupOptions, ref: { readonly aor: string; readonly contact: string }): Promise<LookupResult> {
    const r = await this.registrar.lookupNow(request, { ...options, aor: ref.aor });
    if (this.options.mode === 'mirror' || r.kind !== 'found') return r;
    const mine = r.targets.filter((t) => t.binding.contact === ref.contact);
    return mine.length === 0 ? { kind: 'not-found', code: -1, aor: ref.aor } : shapeTargets(r.aor, mine, options);
  }

  /** After a restart on a durable store: the contact ids of every stored binding, computed once. */
  #rebuildIds(): Promise<void> {
    this.#idsRebuilt ??= (async () => {
      for await (const aor of this.registrar.options.store.aors()) {
        for (const b of (await this.registrar.options.store.load(aor)).bindings) this.#ids.set(contactIdOf(aor, b.contact), { aor, contact: b.contact });
      }
    })();
    return this.#idsRebuilt;
  }
}

/** The registration of `ups` that the main registrar holds longest, if any. */
function freshest(ups: readonly (UpstreamRegistration | undefined)[]): UpstreamRegistration | undefined {
  let best: UpstreamRegistration | undefined;
  for (const up of ups) if (up !== undefined && (best === undefined || up.expiresAt > best.expiresAt)) best = up;
  return best;
}

/** A Contact of a REGISTER with what the decision and the forwarded lifetime need. */
interface DecidedContact extends ContactToDecide {
  readonly c: NameAddrValue;
  /** Seconds the main registrar's binding must last to cover this Contact's bindings here. */
  readonly coverSec: number;
}

/** What {@link shouldForward} decides on, and what a forward must cover. */
interface Decision extends RegisterToDecide {
  readonly contacts: readonly DecidedContact[] | '*';
  /** Seconds the AOR's one upstream binding must last (AOR throttling). */
  readonly aorCoverSec: number;
}

/** What a forwarded REGISTER carried, to read the main registrar's 2xx against. */
interface SentContacts {
  /** `Contact: *` was forwarded. */
  readonly star: boolean;
  /** Contact id → the Contact URI as forwarded (mirror and contact throttling). */
  readonly byId: ReadonlyMap<string, string>;
  /** The phone's Contact URI → its contact id. */
  readonly idOf: ReadonlyMap<string, string>;
  /** The AOR's one Contact (AOR throttling). */
  readonly aorContact: string | undefined;
  /** The registrations of replaced bindings it ended with `expires=0`, by the old Contact URI ({@link MidRegistrar.handleRegister}). */
  readonly replaced: ReadonlyMap<string, UpstreamRegistration>;
}

/** Create a {@link MidRegistrar}. Throws {@link ConfigError} for bad options. */
export function createMidRegistrar(options: MidRegistrarOptions): MidRegistrar {
  return new MidRegistrar(options);
}
