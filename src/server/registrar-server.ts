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
import type { ForwardEdits, ForwardTarget } from '../proxy/stateless-proxy';
import { ForkingProxy } from '../proxy/forking-proxy';
import type { ProxyTransaction } from '../proxy/response-context';
import { qGroups } from '../proxy/q-groups';
import { isOwnUri } from '../proxy/is-own-uri';
import { resolveTransactionTimers, type TransactionTimers } from '../transactions/transaction-timers';
import { parseUri } from '../sip/uri';
import { addrSpecOf } from '../sip/name-addr';
import type { LookupResult, LookupTarget } from '../registrar/select-targets';
import type { MaybePromise } from '../ports/location-store';
import type { Reginfo } from '../reginfo/reginfo';
import { StoreError } from '../errors/sdk-error';
import { storeRetryAfterSec } from '../registrar/registrar-options';
import { ServerTransactions } from '../transactions/server-transactions';
import { RequestLog } from './request-log';
import type { SourceGuard } from '../auth/source-guard';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import { buildErrorReply, serverErrorHeaders } from '../registrar/reply';
import type { ProxyAuthOptions } from './proxy-auth';
import { createProxyAuthorizer } from './proxy-auth';
import { resolveUdpMtu, sendForward } from './forward-transport';

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
  /**
   * tm `fr_timeout` in ms: a branch with no response (an INVITE: no first response) after this
   * long counts as a 408 (RFC 3261 §16.8). @defaultValue 5000
   */
  readonly frTimeoutMs?: number;
  /** tm `fr_inv_timeout` in ms: a ringing INVITE branch is cancelled after this long, a 408 for it (§16.6 step 11). @defaultValue 120000 */
  readonly frInvTimeoutMs?: number;
  /** Put a Record-Route on dialog-creating requests, so in-dialog requests come through this server (RFC 3261 §16.6 step 4). @defaultValue false */
  readonly recordRoute?: boolean;
  /**
   * OpenSIPS core `udp_mtu`: a request forwarded to a UDP hop larger than this many bytes goes
   * over TCP to the same address and port when the hop names no `transport` and a TCP socket
   * listens (RFC 3261 §18.1.1); 0: only a request no UDP datagram carries (65,507 bytes over
   * IPv4). @defaultValue 1300
   */
  readonly udpMtu?: number;
  /** Most requests relayed at once; more get 503 + Retry-After. @defaultValue 50000 */
  readonly maxTransactions?: number;
  /** The transaction timers of the proxy's transactions (T1, T2, T4, Timer F). @defaultValue RFC 3261 Table 4 */
  readonly timers?: TransactionTimers;
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
 * every other request is proxied transaction-statefully ({@link ForkingProxy}, RFC 3261 §16), as
 * OpenSIPS `lookup()` then `t_relay()`: out of dialog to every binding the lookup finds, in
 * parallel within a q value and serially across q values (404 when none, 405 when no binding
 * allows the method, 483 when Max-Forwards is exhausted, 480 for a GRUU whose instance is not
 * registered now); in dialog along the Route left after ours (§16.4 removes ours) or to the
 * Request-URI, a GRUU of ours resolved by lookup (RFC 5627 §8.4.1). The ACK of a 2xx is forwarded
 * statelessly. With push notifications a request for sleeping devices waits for their re-REGISTER
 * (RFC 8599); an in-dialog request carrying a PURR wakes its device first.
 */
export function createRegistrarServer(options: RegistrarServerOptions): RegistrarServer {
  const { registrar, transport } = options;
  const logger = options.logger ?? silentLogger;
  const saveOptions = options.saveOptions ?? {};
  const lookupOptions: LookupOptions = options.lookupOptions ?? {};
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
    return sendResponse(buildErrorReply(request, error, registrar.options), request, source);
  };

  /** A failed authentication from `source` counts towards its ban. */
  const authFailed = (source: Source): void => guard?.authFailed(source.address);

  const udpMtu = resolveUdpMtu('RegistrarServerOptions', options.udpMtu);
  const sender = { transport, logger, udpMtu };

  /**
   * Forward an ACK statelessly (RFC 3261 §16.11) over the transport §18.1.1 asks for
   * ({@link sendForward}); a failure is logged, never answered (§17).
   */
  const forward = async (request: SipRequest, source: Source, target: ForwardTarget, edits: ForwardEdits): Promise<void> => {
    const outcome = await sendForward(sender, request, target, edits);
    if (outcome.kind === 'sent') {
      counters.forwarded++;
      requestLog.forwarded(request, source, outcome.destination);
      return;
    }
    counters.dropped++;
    logger.debug({ outcome: outcome.kind, callId: request.callId }, 'forwarding an ACK failed');
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

  const clock = registrar.options.clock;
  const proxy = new ForkingProxy({
    transport,
    clock,
    timers: options.timers ?? resolveTransactionTimers('RegistrarServerOptions', {}),
    logger,
    frTimeoutMs: options.frTimeoutMs,
    frInvTimeoutMs: options.frInvTimeoutMs,
    maxTransactions: options.maxTransactions,
    udpMtu,
    onResponded: (bytes, request, source) => requestLog.responded(request, source, bytes),
    onForwarded: (request, source, destination) => {
      counters.forwarded++;
      requestLog.forwarded(request, source, destination);
    },
  });
  const recordRoute = options.recordRoute === true;
  const domains = registrar.options.domains;
  const ownUri = (uri: string): boolean => isOwnUri(uri, transport.endpoints(), domains);

  /**
   * The device of a GRUU this registrar may have issued (RFC 5627 §8.4.1): one in a domain or on a
   * socket of ours, or in any domain when every domain is served (no `--domain`); undefined when
   * the Request-URI is no GRUU or the lookup finds no device (another registrar's GRUU goes on).
   */
  const gruuDevice = async (request: SipRequest): Promise<LookupTarget | undefined> => {
    if (parseUri(addrSpecOf(request.uri))?.params.gr === undefined || (domains.length > 0 && !ownUri(request.uri))) return undefined;
    const found = await lookup(request, lookupOptions);
    return found.kind === 'found' ? found.targets[0] : undefined;
  };

  /** The reply to a lookup that found no target to fork to. */
  const notFound = (context: ProxyTransaction, found: Exclude<LookupResult, { kind: 'found' | 'push-pending' | 'error' }>): void => {
    counters.notFound++;
    counters.answered++;
    if (found.kind === 'method-not-supported') return context.reply(405, 'Method Not Allowed');
    if (found.kind === 'not-found' && found.status === 480) return context.reply(480, 'Temporarily Unavailable');
    context.reply(404, 'Not Found');
  };

  /**
   * The lookup with OpenSIPS `r` (`branchAors`): targets that are themselves AORs of this
   * registrar (an alias registered as a Contact) are looked up too and replaced by their bindings.
   */
  const lookupTargets = async (request: SipRequest): Promise<LookupResult> => {
    const found = await lookup(request, lookupOptions);
    if (found.kind !== 'found' || lookupOptions.branchAors === undefined) return found;
    const aliases = found.targets.filter((t) => hasUser(t.uri) && ownUri(t.uri)).map((t) => t.uri);
    if (aliases.length === 0) return found;
    const expanded = await lookup(request, { ...lookupOptions, branchAors: [...lookupOptions.branchAors, ...aliases] });
    if (expanded.kind !== 'found') return expanded;
    const targets = expanded.targets.filter((t) => !aliases.includes(t.uri));
    if (targets.length === 0) return { kind: 'not-found', code: -1, aor: expanded.aor };
    return { ...expanded, targets, branches: targets.slice(1), ruri: targets[0] };
  };

  /** Fork to what a lookup found (RFC 3261 §16.5, §16.6), or answer it. */
  const relayFound = (context: ProxyTransaction, found: LookupResult, edits: ForwardEdits): void => {
    if (found.kind === 'found') return context.relay({ groups: qGroups(found.targets), pending: found.pending, edits });
    if (found.kind === 'push-pending') {
      counters.pushed++;
      return context.relay({ groups: [], pending: found.pending, edits });
    }
    if (found.kind === 'error') {
      counters.answered++;
      return context.reply(...failureReply(found.error));
    }
    notFound(context, found);
  };

  /**
   * A request out of any transaction here. ACK and CANCEL are hop-by-hop and never open a
   * transaction: an ACK (of a 2xx, end to end) is forwarded statelessly; a CANCEL whose INVITE is
   * not here is answered 481 (RFC 3261 §9.2). Anything else gets a response context
   * ({@link ForkingProxy.open}) before it is looked up.
   */
  const handleOther = async (request: SipRequest, source: Source): Promise<void> => {
    if (proxy.absorb(request, source)) return;
    if (options.handleRequest !== undefined && await options.handleRequest(request, source)) {
      counters.answered++;
      requestLog.answered(request, source);
      return;
    }
    const method = request.method;
    if (method === 'ACK') return forwardAck(request, source);
    if (request.maxForwards === 0) return reply(request, source, 483, 'Too Many Hops');
    if (method === 'CANCEL') return reply(request, source, 481, 'Call/Transaction Does Not Exist');
    const ownRoute = request.route.length > 0 && ownUri(request.route[0].raw);
    const routed = request.route.length > (ownRoute ? 1 : 0);
    if (!routed && !hasUser(request.uri)) {
      if (method === 'OPTIONS') return reply(request, source, 200, 'OK', [['Allow', ALLOW], ['Accept', 'application/sdp']]);
      return reply(request, source, 404, 'Not Found');
    }
    const context = proxy.open(request, source);
    if (context === undefined) return;
    try {
      await route(context, ownRoute, routed);
    } catch (e) {
      logger.error({ err: e, method, callId: request.callId }, 'request handling failed');
      counters.answered++;
      context.reply(...failureReply(e));
    }
  };

  /** Where a request with a response context goes (RFC 3261 §16.4–§16.6). */
  const route = async (context: ProxyTransaction, ownRoute: boolean, routed: boolean): Promise<void> => {
    const { request, source } = context;
    const inDialogEdits: ForwardEdits = { removeTopRoute: ownRoute };
    // Loose routing (§16.12): a Route left after ours decides the next hop; the Request-URI stays.
    if (routed) return context.relay({ groups: [[{ uri: request.uri, destination: request.route[ownRoute ? 1 : 0].raw }]], edits: inDialogEdits });
    if (request.to.params.tag !== undefined && !ownUri(request.uri)) {
      const device = await gruuDevice(request);
      return device === undefined ? relayInDialog(context, inDialogEdits) : context.relay({ groups: [[device]], edits: inDialogEdits });
    }
    // In dialog to a URI of ours (a GRUU this registrar issued, RFC 5627 §8.4.1), or out of dialog: looked up.
    const inDialog = request.to.params.tag !== undefined;
    const verdict = inDialog ? undefined : await proxyAuthorize?.(request, source);
    if (verdict !== undefined && !verdict.ok) {
      if (verdict.failed) authFailed(source);
      counters.answered++;
      return context.replyWith(buildErrorReply(request, verdict.error, registrar.options));
    }
    const credentials = verdict?.forwardedCredentials;
    const edits: ForwardEdits = {
      removeTopRoute: ownRoute,
      recordRoute: recordRoute && !inDialog,
      replaceHeaders: credentials === undefined ? undefined : [['Proxy-Authorization', credentials]],
    };
    const proxyTarget = inDialog ? undefined : options.outboundProxy?.(request, source);
    if (proxyTarget !== undefined) return context.relay({ groups: [[proxyTarget]], edits });
    relayFound(context, await lookupTargets(request), edits);
  };

  /**
   * An in-dialog request to a remote target goes to its Request-URI; when it carries a PURR (RFC
   * 8599 long-lived dialogs, OpenSIPS `pn_process_purr`), the device is pushed first and the
   * request follows once it re-registered (to its fresh Contact) or the refresh timeout passed.
   */
  const relayInDialog = async (context: ProxyTransaction, edits: ForwardEdits): Promise<void> => {
    const { request } = context;
    if (!registrar.options.push.enablePurr) return context.relay({ groups: [[{ uri: request.uri }]], edits });
    const purr = await registrar.processPurr(request);
    if (purr.code === 1) counters.pushed++;
    // The dialog's remote target stays the Request-URI; the woken device is reached at its fresh address.
    const woken = purr.kind === 'refreshed' ? purr.target : undefined;
    const target: ForwardTarget = { uri: request.uri, destination: woken === undefined ? undefined : woken.destination ?? woken.uri, flow: woken?.flow, socket: woken?.socket };
    context.relay({ groups: [[target]], edits });
  };

  /**
   * An ACK no transaction here absorbed: the ACK of a 2xx, end to end (RFC 3261 §13.2.2.4),
   * forwarded statelessly along its Route, or to a GRUU's device (RFC 5627 §8.4.1), or to its
   * Request-URI. Dropped with `Max-Forwards: 0` (never answered, §17), and when it is for an AOR
   * of ours: only the ACK of a non-2xx, hop by hop, targets the AOR, and its transaction is gone.
   */
  const forwardAck = async (request: SipRequest, source: Source): Promise<void> => {
    if (request.maxForwards === 0 || request.to.params.tag === undefined) {
      counters.dropped++;
      return;
    }
    const ownRoute = request.route.length > 0 && ownUri(request.route[0].raw);
    const edits: ForwardEdits = { removeTopRoute: ownRoute };
    const next = request.route[ownRoute ? 1 : 0];
    if (next !== undefined) return forward(request, source, { uri: request.uri, destination: next.raw }, edits);
    const device = await gruuDevice(request);
    if (device !== undefined) return forward(request, source, device, edits);
    if (!ownUri(request.uri)) return forward(request, source, { uri: request.uri }, edits);
    counters.dropped++;
  };

  /** The reply to a request whose handling failed: 503 + Retry-After for a store that is away (RFC 3261 §21.5.4), else 500. */
  const failureReply = (e: unknown): [number, string, readonly (readonly [string, string])[]] => {
    if (e instanceof StoreError && e.transient) return [503, 'Service Unavailable', [['Retry-After', String(storeRetryAfterSec(registrar.options))]]];
    return [500, 'Server Internal Error', serverErrorHeaders(registrar.options)];
  };

  const failed = (e: unknown, request: SipRequest, source: Source): void => {
    logger.error({ err: e, method: request.method, callId: request.callId }, 'request handling failed');
    if (request.method === 'ACK') {
      counters.dropped++;
      return;
    }
    reply(request, source, ...failureReply(e)).catch(() => { counters.dropped++; });
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
    // RFC 3261 §16.7: a response of one of our branches goes to its context; any other (a 2xx
    // retransmitted after its transaction ended) is relayed statelessly.
    if (proxy.receiveResponse(response)) return;
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
