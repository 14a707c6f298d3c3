import type { Logger } from '../ports/logger';
import { silentLogger } from '../ports/logger';
import type { Endpoint, Source, Transport } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { buildResponse } from '../sip/response';
import type { Registrar } from '../registrar/registrar';
import type { SaveOptions } from '../registrar/save-options';
import type { SaveResult } from '../registrar/save-result';
import type { LookupOptions } from '../registrar/lookup-options';
import { forwardRequest, relayResponse } from '../proxy/stateless-proxy';
import type { ForwardTarget } from '../proxy/stateless-proxy';

/** Options of {@link createRegistrarServer}. */
export interface RegistrarServerOptions {
  readonly registrar: Registrar;
  readonly transport: Transport;
  /** Flags for every `save` (the CLI's `--save-flags`). @defaultValue {} */
  readonly saveOptions?: SaveOptions;
  /** Flags for every `lookup` (the CLI's `--lookup-flags`). @defaultValue {} */
  readonly lookupOptions?: LookupOptions;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

/** A running {@link createRegistrarServer}. */
export interface RegistrarServer {
  /** Requests handled so far, by outcome. */
  readonly counters: Readonly<Record<'registers' | 'forwarded' | 'notFound' | 'answered' | 'dropped', number>>;
}

const ALLOW = 'REGISTER, OPTIONS, INVITE, ACK, CANCEL, BYE, MESSAGE, SUBSCRIBE, NOTIFY, INFO, UPDATE, REFER, PRACK';

function hasUser(uri: string): boolean {
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@');
  return at > colon && colon >= 0;
}

function localFor(locals: readonly Endpoint[], protocol: Endpoint['protocol']): Endpoint | undefined {
  return locals.find((l) => l.protocol === protocol) ?? locals[0];
}

/**
 * The registrar server people run (`npx sipreg registrar`), also usable as a library:
 * REGISTERs go to {@link Registrar.save} and are answered; OPTIONS to the server itself get 200;
 * every other request is proxied statelessly (RFC 3261 §16.11) — in-dialog requests to their
 * Request-URI, the rest to the highest-q binding found by lookup (404 when none, 405 when no
 * binding allows the method, 483 when Max-Forwards is exhausted). Responses are relayed back.
 */
export function createRegistrarServer(options: RegistrarServerOptions): RegistrarServer {
  const { registrar, transport } = options;
  const logger = options.logger ?? silentLogger;
  const saveOptions = options.saveOptions ?? {};
  const lookupOptions: LookupOptions = { ...options.lookupOptions, noBranches: true };
  const counters = { registers: 0, forwarded: 0, notFound: 0, answered: 0, dropped: 0 };

  const reply = (request: SipRequest, source: Source, status: number, reason: string, headers?: readonly (readonly [string, string])[]): Promise<void> => {
    counters.answered++;
    return transport.sendResponse(buildResponse(request, status, reason, { headers }), request, source);
  };

  const forward = async (request: SipRequest, source: Source, target: ForwardTarget): Promise<void> => {
    const local = localFor(transport.endpoints(), source.local.protocol);
    const plan = local === undefined ? undefined : await forwardRequest(request, target, local);
    if (plan === undefined) {
      if (request.method !== 'ACK') await reply(request, source, 480, 'Temporarily Unavailable');
      return;
    }
    counters.forwarded++;
    await transport.send(plan.data, plan.destination);
  };

  const answerRegister = (result: SaveResult, request: SipRequest, source: Source): Promise<void> | undefined => {
    if (result.ok && result.keepConnectionUntil !== undefined) transport.keepConnection?.(source, result.keepConnectionUntil);
    return result.response === undefined ? undefined : transport.sendResponse(result.response, request, source);
  };

  /** Synchronous from parse to send when the store is (no promise on the hot path). */
  const handleRegister = (request: SipRequest, source: Source): Promise<void> | undefined => {
    counters.registers++;
    const result = registrar.save(request, { ...saveOptions, source });
    if (result instanceof Promise) return result.then((r) => answerRegister(r, request, source));
    return answerRegister(result, request, source);
  };

  const handleOther = async (request: SipRequest, source: Source): Promise<void> => {
    if (request.maxForwards === 0 && request.method !== 'ACK') return reply(request, source, 483, 'Too Many Hops');
    if (!hasUser(request.uri)) {
      if (request.method === 'OPTIONS') return reply(request, source, 200, 'OK', [['Allow', ALLOW], ['Accept', 'application/sdp']]);
      if (request.method !== 'ACK') return reply(request, source, 404, 'Not Found');
      return;
    }
    if (request.to.params.tag !== undefined) return forward(request, source, { uri: request.uri });
    const found = await registrar.lookup(request, lookupOptions);
    if (found.kind === 'found' && found.ruri !== undefined) return forward(request, source, found.ruri);
    counters.notFound++;
    if (request.method === 'ACK') return;
    if (found.kind === 'method-not-supported') return reply(request, source, 405, 'Method Not Allowed');
    return reply(request, source, 404, 'Not Found');
  };

  const failed = (e: unknown, request: SipRequest, source: Source): void => {
    logger.error({ err: e, method: request.method, callId: request.callId }, 'request handling failed');
    if (request.method === 'ACK') {
      counters.dropped++;
      return;
    }
    reply(request, source, 500, 'Server Internal Error').catch(() => { counters.dropped++; });
  };

  transport.onRequest((request, source) => {
    let work: Promise<void> | undefined;
    try {
      work = request.method === 'REGISTER' ? handleRegister(request, source) : handleOther(request, source);
    } catch (e) {
      failed(e, request, source);
      return;
    }
    work?.catch((e: unknown) => failed(e, request, source));
  });

  transport.onResponse?.((response: SipResponse) => {
    const plan = relayResponse(response, transport.endpoints());
    if (plan === undefined) {
      counters.dropped++;
      return;
    }
    transport.send(plan.data, plan.destination).catch((e: unknown) => logger.warn({ err: e }, 'relaying a response failed'));
  });

  return { counters };
}
