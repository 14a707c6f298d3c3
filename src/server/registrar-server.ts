import { performance } from 'node:perf_hooks';
import type { Logger } from '../ports/logger';
import { silentLogger } from '../ports/logger';
import type { Source, Transport } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { buildResponse } from '../sip/response';
import { statusOf } from '../sip/status-of';
import type { Registrar } from '../registrar/registrar';
import type { SaveOptions } from '../registrar/save-options';
import type { LookupOptions } from '../registrar/lookup-options';
import { relayResponse } from '../proxy/stateless-proxy';
import type { ForwardTarget } from '../proxy/stateless-proxy';
import type { LookupResult, PushPendingTarget } from '../registrar/select-targets';
import type { MaybePromise } from '../ports/location-store';
import type { Reginfo } from '../reginfo/reginfo';
import { StoreError } from '../errors/sdk-error';
import { storeRetryAfterSec } from '../registrar/registrar-options';
import { ServerTransactions } from '../transactions/server-transactions';
import { RequestLog } from './request-log';
import type { SourceGuard } from '../auth/source-guard';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import { buildErrorReply } from '../registrar/reply';
import type { ProxyAuthOptions } from './proxy-auth';
import { createProxyAuthorizer } from './proxy-auth';
import { sendForward } from './forward-transport';

/** The first of `promises` to settle with a value, or undefined when all settle without one. */
function firstDefined<T>(promises: readonly Promise<T | undefined>[]): Promise<T | undefined> {
  return new Promise((resolve) => {
    let left = promises.length;
    if (left === 0) resolve(undefined);
    for (const p of promises) {
      p.then((v) => {
        if (v !== undefined) resolve(v);
        else if (--left === 0) resolve(undefined);
      }, () => {
        if (--left === 0) resolve(undefined);
      });
    }
  });
}

/** Options of {@link createRegistrarServer}. */
export interface RegistrarServerOptions {
  readonly registrar: Registrar;
  readonly transport: Transport;
  /** Flags for every `save` (the CLI's `--save-flags`). @defaultValue {} */
  readonly saveOptions?: SaveOptions;
  /** Flags for every `lookup` (the CLI's `--lookup-flags`). @defaultValue {} */
  readonly lookupOptions?: LookupOptions;
  /**
   * Where warnings and errors go; at debug level also one entry per request received, response
   * sent, request forwarded and response relayed (method, AOR, source, Call-ID, status, ms taken).
   * @defaultValue a silent logger
   */
  readonly logger?: Logger;
  /**
   * How a REGISTER is answered (the mid-registrar forwards or absorbs it).
   * @defaultValue `registrar.save` with `saveOptions`; over UDP, when the store answers
   * asynchronously, a retransmission that arrives while the first copy is being saved is absorbed
   * and one that arrives up to 5 s after gets the same response (RFC 3261 §17.2.2, Timer J as
   * OpenSIPS `wt_timer`)
   */
  readonly register?: (request: SipRequest, source: Source) => MaybePromise<RegisterAnswer>;
  /** Where an out-of-dialog request goes (the mid-registrar's lookup). @defaultValue `registrar.lookup` */
  readonly lookup?: (request: SipRequest, options: LookupOptions) => MaybePromise<LookupResult>;
  /**
   * A next hop for requests that are not looked up: the mid-registrar sends its phones' requests
   * to the main registrar and looks up only those coming from it. @defaultValue every request is looked up
   */
  readonly outboundProxy?: (request: SipRequest, source: Source) => ForwardTarget | undefined;
  /**
   * Requests a component answers itself, asked first for every request but REGISTER: it replies
   * and resolves to true, or resolves to false to leave the request to the server (e.g.
   * {@link Reginfo.handleRequest} for reg-event SUBSCRIBE and NOTIFY). @defaultValue none
   */
  readonly handleRequest?: (request: SipRequest, source: Source) => Promise<boolean>;
  /**
   * Abuse protection per source IP (`createSourceGuard`): asked first for every request, before
   * anything is parsed further or looked up. A `banned` or `rate-limited` source's request is
   * dropped (counted in `counters.dropped`) or answered, as the guard's `banAction` /
   * `pikeAction` say: 403 `source-banned` (RFC 3261 §21.4.4), 503 `rate-limited` with
   * `Retry-After` of the sampling unit (§21.5.4); an ACK is never answered. The server tells the
   * guard of every failed authentication it sees: a REGISTER refused with `authFailed` (its own
   * registrar's, or a custom `register` answer's) and refused proxy credentials. A component
   * answering through `handleRequest` reports its own failures to the same guard: for the
   * reg-event notifier, `reginfo.on('authFailed', (source) => guard.authFailed(source.address))`.
   * @defaultValue none
   */
  readonly guard?: SourceGuard;
  /**
   * Proxy authentication (RFC 3261 §22.3, the CLI's `--auth-methods`): out-of-dialog requests of
   * the listed methods whose From domain the registrar serves (any From when its `domains` list
   * is empty) are challenged with 407; with valid credentials the identity must be allowed the
   * From AOR (else 403), and only then is the request looked up and forwarded, without the
   * `Proxy-Authorization` values of our realm. @defaultValue none: nothing is challenged
   */
  readonly proxyAuth?: ProxyAuthOptions;
  /**
   * Told of every REGISTER reply handed to the transport: its status code and the seconds since
   * the REGISTER arrived (`performance.now()`), for the `sipreg_register_replies_total` counter
   * and the `sipreg_register_handling_seconds` histogram of `registerSipregMetrics`. A
   * REGISTER left unanswered (absorbed retransmission, `noReply`) is not reported.
   * @defaultValue none: nothing is timed
   */
  readonly onRegisterAnswered?: (status: number, seconds: number) => void;
}

/** The reply to a REGISTER, and how long to keep its connection (`tcp_persistent_flag`). */
export interface RegisterAnswer {
  readonly response?: Uint8Array;
  readonly keepConnectionUntil?: number;
  /** The REGISTER carried credentials that did not verify: the server counts it for {@link RegistrarServerOptions.guard}'s bans. */
  readonly authFailed?: boolean;
}

/** A running {@link createRegistrarServer}. */
export interface RegistrarServer {
  /** Requests handled so far, by outcome; `dropped` includes the requests the guard dropped. */
  readonly counters: Readonly<Record<'registers' | 'forwarded' | 'notFound' | 'answered' | 'dropped' | 'pushed', number>>;
}

const ALLOW = 'REGISTER, OPTIONS, INVITE, ACK, CANCEL, BYE, MESSAGE, SUBSCRIBE, NOTIFY, INFO, UPDATE, REFER, PRACK';

function hasUser(uri: string): boolean {
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@');
  return at > colon && colon >= 0;
}

/**
 * The registrar server people run (`npx sipreg registrar`), also usable as a library:
 * REGISTERs go to {@link Registrar.save} and are answered; OPTIONS to the server itself get 200;
 * every other request is proxied statelessly (RFC 3261 §16.11) — in-dialog requests to their
 * Request-URI, the rest to the highest-q binding found by lookup (404 when none, 405 when no
 * binding allows the method, 483 when Max-Forwards is exhausted, 480 for a GRUU whose instance is
 * not registered now). With push notifications a request for sleeping devices waits for their
 * re-REGISTER (RFC 8599); an in-dialog request carrying a PURR wakes its device first. Responses
 * are relayed back.
 */
export function createRegistrarServer(options: RegistrarServerOptions): RegistrarServer {
  const { registrar, transport } = options;
  const logger = options.logger ?? silentLogger;
  const saveOptions = options.saveOptions ?? {};
  const lookupOptions: LookupOptions = { ...options.lookupOptions, noBranches: true };
  const counters = { registers: 0, forwarded: 0, notFound: 0, answered: 0, dropped: 0, pushed: 0 };
  // At debug level: one entry per request, response, forward and relay (nothing built otherwise).
  const requestLog = new RequestLog(logger);
  const guard = options.guard;
  const bannedError = regError('source-banned');
  const rateLimitedError = regError('rate-limited', [['Retry-After', String(guard?.options.pike?.samplingTimeUnit ?? 0)]]);
  const proxyAuthorize = options.proxyAuth === undefined ? undefined : createProxyAuthorizer(options.proxyAuth, registrar.options);

  const sendResponse = (data: Uint8Array, request: SipRequest, source: Source): Promise<void> => {
    requestLog.responded(request, source, data);
    return transport.sendResponse(data, request, source);
  };

  const reply = (request: SipRequest, source: Source, status: number, reason: string, headers?: readonly (readonly [string, string])[]): Promise<void> => {
    counters.answered++;
    return sendResponse(buildResponse(request, status, reason, { headers }), request, source);
  };

  /** The reply to a request refused with a {@link RegError} (a table row: status, reason, headers). */
  const replyError = (request: SipRequest, source: Source, error: RegError): Promise<void> => {
    counters.answered++;
    return sendResponse(buildErrorReply(request, error), request, source);
  };

  /** A failed authentication from `source` counts towards its ban. */
  const authFailed = (source: Source): void => guard?.authFailed(source.address);

  const sender = { transport, logger };

  /**
   * `forwardedCredentials`: the `Proxy-Authorization` values left after proxy authentication
   * consumed ours; undefined when it did not run (the request goes on unchanged). The transport
   * is the one RFC 3261 §18.1.1 asks for ({@link sendForward}): TCP for a request over 1300 bytes
   * when the target allows it, 513 when it does not fit a UDP datagram and TCP is not possible.
   */
  const forward = async (request: SipRequest, source: Source, target: ForwardTarget, forwardedCredentials?: readonly string[]): Promise<void> => {
    const consumed = forwardedCredentials === undefined ? undefined : [['Proxy-Authorization', forwardedCredentials] as const];
    const outcome = await sendForward(sender, request, target, consumed);
    if (outcome.kind === 'sent') {
      counters.forwarded++;
      requestLog.forwarded(request, source, outcome.destination);
      return;
    }
    if (outcome.kind === 'failed') logger.warn({ err: outcome.error, destination: outcome.destination }, 'forwarding failed');
    if (outcome.kind === 'too-large') logger.warn({ destination: outcome.destination, bytes: outcome.bytes }, 'forwarding failed: too large for a udp datagram, no tcp');
    if (outcome.kind === 'flow-failed') logger.debug({ err: outcome.error, flow: outcome.destination.connectionId }, 'forwarding failed: the flow is closed');
    if (request.method === 'ACK') return;
    // RFC 5626 §5.3: the target's flow (its connection) is gone; it is not reached another way.
    if (outcome.kind === 'flow-failed') return reply(request, source, 430, 'Flow Failed');
    if (outcome.kind === 'unroutable') return reply(request, source, 480, 'Temporarily Unavailable');
    if (outcome.kind === 'too-large') return reply(request, source, 513, 'Message Too Large');
    // RFC 3261 §16.9: a transport error towards the next hop counts as a 503 from it.
    return reply(request, source, 503, 'Service Unavailable');
  };

  const onRegisterAnswered = options.onRegisterAnswered;
  /** `startedMs`: when the REGISTER arrived (`performance.now()`), 0 without {@link RegistrarServerOptions.onRegisterAnswered}. */
  const answerRegister = (result: RegisterAnswer, request: SipRequest, source: Source, startedMs: number): Promise<void> | undefined => {
    if (result.authFailed === true) authFailed(source);
    if (result.keepConnectionUntil !== undefined) transport.keepConnection?.(source, result.keepConnectionUntil);
    const response = result.response;
    if (response === undefined) return undefined;
    const sent = sendResponse(response, request, source);
    onRegisterAnswered?.(statusOf(response), (performance.now() - startedMs) / 1000);
    return sent;
  };

  const save = (request: SipRequest, source: Source): MaybePromise<RegisterAnswer> => registrar.saveNow(request, { ...saveOptions, source });
  // RFC 3261 §17.2.2 over UDP: a copy of a REGISTER being saved, or saved less than 5 s ago, is
  // not saved again (a custom `register`, like the mid-registrar's `process`, keeps its own
  // transactions). With authentication, a copy gets the first copy's challenge or 200 even when the
  // store answered synchronously, not a new nonce or a stale one.
  const transactions = new ServerTransactions<RegisterAnswer>({ clock: registrar.options.clock, keepSyncAnswers: registrar.options.auth !== undefined });
  const register = options.register ?? ((request: SipRequest, source: Source): MaybePromise<RegisterAnswer | undefined> =>
    (source.protocol === 'udp' ? transactions.run(request, () => save(request, source)) : save(request, source)));
  const lookup = options.lookup ?? ((request: SipRequest, o: LookupOptions) => registrar.lookupNow(request, o));

  /** Synchronous from parse to send when the store is (no promise on the hot path). */
  const handleRegister = (request: SipRequest, source: Source): Promise<void> | undefined => {
    counters.registers++;
    const startedMs = onRegisterAnswered === undefined ? 0 : performance.now();
    const result = register(request, source);
    if (result instanceof Promise) return result.then((r) => (r === undefined ? undefined : answerRegister(r, request, source, startedMs)));
    return result === undefined ? undefined : answerRegister(result, request, source, startedMs);
  };

  const handleOther = async (request: SipRequest, source: Source): Promise<void> => {
    if (options.handleRequest !== undefined && await options.handleRequest(request, source)) {
      counters.answered++;
      requestLog.answered(request, source);
      return;
    }
    if (request.maxForwards === 0 && request.method !== 'ACK') return reply(request, source, 483, 'Too Many Hops');
    if (!hasUser(request.uri)) {
      if (request.method === 'OPTIONS') return reply(request, source, 200, 'OK', [['Allow', ALLOW], ['Accept', 'application/sdp']]);
      if (request.method !== 'ACK') return reply(request, source, 404, 'Not Found');
      return;
    }
    if (request.to.params.tag !== undefined) return forwardInDialog(request, source);
    const verdict = await proxyAuthorize?.(request, source);
    if (verdict !== undefined && !verdict.ok) {
      if (verdict.failed) authFailed(source);
      return replyError(request, source, verdict.error);
    }
    const credentials = verdict?.forwardedCredentials;
    const proxy = options.outboundProxy?.(request, source);
    if (proxy !== undefined) return forward(request, source, proxy, credentials);
    const found = await lookup(request, lookupOptions);
    if (found.kind === 'found' && found.ruri !== undefined) return forward(request, source, found.ruri, credentials);
    if (found.kind === 'push-pending') return forwardWhenAwake(request, source, found.pending, credentials);
    counters.notFound++;
    if (request.method === 'ACK') return;
    if (found.kind === 'method-not-supported') return reply(request, source, 405, 'Method Not Allowed');
    if (found.kind === 'not-found' && found.status === 480) return reply(request, source, 480, 'Temporarily Unavailable');
    return reply(request, source, 404, 'Not Found');
  };

  /**
   * Every target of the lookup sleeps (RFC 8599 §6): the pushes are out; forward the request to
   * the first device that re-registers within `pn_refresh_timeout`, else answer 480. The UAC's
   * retransmissions meanwhile join the same pushes and are forwarded the same way (same branch).
   */
  const forwardWhenAwake = async (request: SipRequest, source: Source, pending: readonly PushPendingTarget[], credentials: readonly string[] | undefined): Promise<void> => {
    counters.pushed++;
    const woken = await firstDefined(pending.map((p) => p.refreshed));
    if (woken !== undefined) return forward(request, source, woken, credentials);
    counters.notFound++;
    if (request.method !== 'ACK') await reply(request, source, 480, 'Temporarily Unavailable');
  };

  /**
   * An in-dialog request goes to its Request-URI; when it carries a PURR (RFC 8599 long-lived
   * dialogs, OpenSIPS `pn_process_purr`), the device is pushed first and the request follows once
   * it re-registered (to its fresh Contact) or the refresh timeout passed.
   */
  const forwardInDialog = async (request: SipRequest, source: Source): Promise<void> => {
    if (request.method === 'ACK' || !registrar.options.push.enablePurr) return forward(request, source, { uri: request.uri });
    const purr = await registrar.processPurr(request);
    if (purr.code === 1) counters.pushed++;
    // The dialog's remote target stays the Request-URI; the woken device is reached at its fresh address.
    const woken = purr.kind === 'refreshed' ? purr.target : undefined;
    return forward(request, source, { uri: request.uri, destination: woken === undefined ? undefined : woken.destination ?? woken.uri, flow: woken?.flow, socket: woken?.socket });
  };

  const failed = (e: unknown, request: SipRequest, source: Source): void => {
    logger.error({ err: e, method: request.method, callId: request.callId }, 'request handling failed');
    if (request.method === 'ACK') {
      counters.dropped++;
      return;
    }
    // A location store that is away (RFC 3261 §21.5.4): retry later, as a REGISTER is told.
    const answered = e instanceof StoreError && e.transient
      ? reply(request, source, 503, 'Service Unavailable', [['Retry-After', String(storeRetryAfterSec(registrar.options))]])
      : reply(request, source, 500, 'Server Internal Error');
    answered.catch(() => { counters.dropped++; });
  };

  /**
   * The guard's verdict on the source (RFC 3261 §26.1.5 denial of service): true to serve the
   * request; otherwise it was dropped or answered as the guard's action says.
   */
  const admitted = (request: SipRequest, source: Source, sourceGuard: SourceGuard): boolean => {
    const verdict = sourceGuard.admit(source.address);
    if (verdict === 'ok') return true;
    const banned = verdict === 'banned';
    if ((banned ? sourceGuard.banAction : sourceGuard.pikeAction) === 'drop' || request.method === 'ACK') {
      counters.dropped++;
      requestLog.dropped(request, source, verdict);
      return false;
    }
    requestLog.received(request, source);
    replyError(request, source, banned ? bannedError : rateLimitedError).catch(() => { counters.dropped++; });
    return false;
  };

  transport.onRequest((request, source) => {
    if (guard !== undefined && !admitted(request, source, guard)) return;
    requestLog.received(request, source);
    let work: Promise<void> | undefined;
    try {
      work = request.method === 'REGISTER' ? handleRegister(request, source) : handleOther(request, source);
    } catch (e) {
      failed(e, request, source);
      return;
    }
    work?.catch((e: unknown) => failed(e, request, source));
  });

  // RFC 5626 §5.4: a closed connection is a failed flow; its bindings go.
  transport.onFlowClosed?.((flow) => {
    registrar.flowFailed(flow).catch((e: unknown) => logger.warn({ err: e, flow }, 'removing the bindings of a closed flow failed'));
  });

  transport.onResponse?.((response: SipResponse) => {
    const plan = relayResponse(response, transport.endpoints());
    if (plan === undefined) {
      counters.dropped++;
      return;
    }
    requestLog.relayed(response, plan.destination);
    transport.send(plan.data, plan.destination).catch((e: unknown) => logger.warn({ err: e }, 'relaying a response failed'));
  });

  return { counters };
}
