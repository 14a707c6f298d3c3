import { regError } from '../../errors/reg-error';
import type { Binding } from '../../ports/binding';
import type { NameAddrValue, SipRequest } from '../../sip/message';
import { parseUri } from '../../sip/uri';
import { unquote } from '../../registrar/contact-values';
import type { RegistrarFeature, ReplyHeader } from '../registrar-feature';
import { flowTokenOf, isDatagramFlow } from './flow-token';
import { hasInvalidHost } from './invalid-host';
import type { OutboundOptions } from './outbound-options';
import { resolveOutboundOptions } from './outbound-options';

const NO_HEADERS: readonly ReplyHeader[] = Object.freeze([]);

/** True when a Contact asks for a flow: a `+sip.instance` and a valid `reg-id` (RFC 5626 §4.2). */
function asksForFlow(contact: NameAddrValue): boolean {
  const regId = contact.params['reg-id'];
  return typeof contact.params['+sip.instance'] === 'string' && typeof regId === 'string' && isRegId(regId);
}

/** The instance and reg-id of a Contact that asks for a flow, or undefined. */
function flowKeyOf(contact: NameAddrValue): { instanceId: string; regId: number } | undefined {
  if (!asksForFlow(contact)) return undefined;
  return { instanceId: unquote(contact.params['+sip.instance'] as string), regId: Number(contact.params['reg-id']) };
}

/** A `reg-id` value: 1 to 10 digits (RFC 5626 §11, `1*DIGIT`, kept within a 32-bit range here). */
function isRegId(value: string): boolean {
  if (value.length === 0 || value.length > 10) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const nonZeroExpires = (c: NameAddrValue, request: SipRequest): boolean => {
  const e = c.params.expires;
  return e === undefined || e === null ? request.expires !== 0 : Number(e) !== 0;
};

/**
 * RFC 5626 §6: outbound processing applies when this registrar is the first hop (a single Via),
 * or when the first Path URI carries `ob` (the edge proxy supports outbound).
 */
function outboundApplies(request: SipRequest): boolean {
  if (request.via.length <= 1) return true;
  const first = request.path[0];
  return first !== undefined && parseUri(first.uri)?.params.ob !== undefined;
}

/** The outbound extension with the flow index used by `registrar.flowFailed()`. */
export interface OutboundFeature extends RegistrarFeature {
  /** AORs holding a binding on this flow (as recorded by saves in this process). */
  aorsOnFlow(flow: string): readonly string[];
}

/**
 * RFC 5626 (SIP Outbound) for the registrar:
 * - a Contact with `+sip.instance` and `reg-id` is a flow: it replaces the binding with the same
 *   (AOR, instance, reg-id) whatever its URI (§6), and records the flow it arrived on
 *   ({@link flowTokenOf}) when this registrar is the edge;
 * - `reg-id` without `+sip.instance` is ignored; more than one flow Contact → 400;
 * - when the first hop lacks outbound support (a Path without `ob`) a UA that sent
 *   `Supported: outbound` gets `439 First Hop Lacks Outbound Support`; otherwise reg-id is ignored;
 * - the 200 carries `Require: outbound` for a UA that supports it and, if configured, `Flow-Timer`;
 * - a Contact whose host is `.invalid` (a WebSocket client, RFC 7118 §5) registered directly over a
 *   connection records that connection as its flow too, without `reg-id`: lookups reach it there
 *   and the connection's close removes it.
 */
export function createOutboundFeature(options: OutboundOptions = {}): OutboundFeature {
  const { flowTimer } = resolveOutboundOptions(options);
  /** AORs by flow: the one AOR most flows carry, a set when several share it (no set per binding). */
  const flows = new Map<string, string | Set<string>>();
  /** The request's flow Contacts with a non-zero lifetime, or -1 when it has no flow Contact (no allocation). */
  const liveFlows = (request: SipRequest): number => {
    if (request.contacts === '*') return -1;
    let all = 0;
    let live = 0;
    for (const c of request.contacts) {
      if (!asksForFlow(c)) continue;
      all++;
      if (nonZeroExpires(c, request)) live++;
    }
    return all === 0 ? -1 : live;
  };
  // The headers of a 200 to an outbound REGISTER, built once (RFC 5626 §6, §4.4.1).
  const timer: readonly ReplyHeader[] = flowTimer > 0 ? [['Flow-Timer', String(flowTimer)]] : [];
  const requireAndTimer: readonly ReplyHeader[] = Object.freeze([['Require', 'outbound'] as const, ...timer]);
  const timerOnly: readonly ReplyHeader[] = Object.freeze(timer);

  return {
    name: 'outbound',
    checkRegister(ctx) {
      const { request } = ctx;
      const live = liveFlows(request);
      if (live < 0) return undefined;
      if (!outboundApplies(request)) {
        return request.supported.includes('outbound') ? regError('first-hop-lacks-outbound') : undefined;
      }
      return live > 1 ? regError('multiple-flows') : undefined;
    },
    matchBinding(contact, stored, ctx) {
      const key = flowKeyOf(contact);
      if (key === undefined || !outboundApplies(ctx.request)) return undefined;
      return stored.findIndex((b) => b.instanceId === key.instanceId && b.regId === key.regId);
    },
    bindingExtras(contact, ctx) {
      const key = flowKeyOf(contact);
      const source = ctx.save.source;
      if (key === undefined || !outboundApplies(ctx.request)) {
        // RFC 7118 §5: a `.invalid` Contact is reached only over the connection it registered on
        // (the first hop's, this registrar's), whether or not the UA asked for outbound.
        const connection = source?.connectionId;
        return connection !== undefined && ctx.request.via.length <= 1 && hasInvalidHost(contact.uri) ? { flow: connection } : undefined;
      }
      // Behind an edge proxy the flow is the proxy's business (its Path URI routes back to it).
      const flow = source !== undefined && ctx.request.via.length <= 1 ? flowTokenOf(source) : undefined;
      return flow === undefined ? { regId: key.regId } : { regId: key.regId, flow };
    },
    afterCommit(aor, changes) {
      for (const { kind, binding, previous, remote } of changes) {
        // Flows are this node's connections: another node's tokens name none of them (a stale
        // entry left here is harmless, flowFailed only removes bindings still on the flow).
        if (remote === true) continue;
        if (previous?.flow !== undefined && previous.flow !== binding.flow) forget(previous, aor);
        if (kind === 'deleted' || kind === 'expired') forget(binding, aor);
        else if (binding.flow !== undefined && !isDatagramFlow(binding.flow)) remember(binding.flow, aor);
      }
    },
    replyHeaders(_listed, ctx) {
      const { request } = ctx;
      if (liveFlows(request) < 0 || !outboundApplies(request)) return NO_HEADERS;
      return request.supported.includes('outbound') ? requireAndTimer : timerOnly;
    },
    aorsOnFlow(flow) {
      const aors = flows.get(flow);
      return aors === undefined ? [] : typeof aors === 'string' ? [aors] : [...aors];
    },
  };

  function remember(flow: string, aor: string): void {
    const aors = flows.get(flow);
    if (aors === undefined) flows.set(flow, aor);
    else if (typeof aors !== 'string') aors.add(aor);
    else if (aors !== aor) flows.set(flow, new Set([aors, aor]));
  }

  function forget(binding: Binding, aor: string): void {
    if (binding.flow === undefined) return;
    const aors = flows.get(binding.flow);
    if (aors === aor) flows.delete(binding.flow);
    else if (typeof aors === 'object') {
      aors.delete(aor);
      if (aors.size === 0) flows.delete(binding.flow);
    }
  }
}
