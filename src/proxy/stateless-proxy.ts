import { createHash } from 'node:crypto';
import type { Endpoint } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { serializeMessage, serializeRequest } from '../sip/serialize';
import type { ForwardChanges } from '../sip/serialize';
import { hopUriOf } from './hop-uri';
import { nextHopOf } from './next-hop';
import { unbracket } from '../sip/socket-address';
import { ownVia } from '../transactions/own-via';

/** Where a stateless proxy sends a request or response, and the bytes. */
export interface ForwardPlan {
  readonly data: Uint8Array;
  readonly destination: Endpoint;
}

/** A target to forward to: a lookup target or any URI with an optional route set. */
export interface ForwardTarget {
  /** The new Request-URI. */
  readonly uri: string;
  /** Send here instead of the URI's host (the NAT `received` address), a SIP URI. */
  readonly destination?: string;
  /** Route set to push in front of the request (Path, RFC 3327 §5.3). */
  readonly route?: readonly string[];
  /**
   * Send over this connection only, an RFC 5626 flow (a lookup target's `flow`): `destination`
   * and the URI then only name the far end.
   */
  readonly flow?: string;
  /** The local socket (`proto:ip:port`) the target was registered through: a flow's protocol and Via. */
  readonly socket?: string;
}

/**
 * A branch for a stateless proxy (RFC 3261 §16.11): derived from the incoming top Via branch and
 * the target, so a retransmission (and the CANCEL of an INVITE) gets the same branch.
 */
export function statelessBranch(request: SipRequest, targetUri: string): string {
  const top = request.via[0];
  const seed = `${top?.branch ?? top?.raw ?? ''}\n${targetUri}\n${request.callId}`;
  return `z9hG4bK-sr-${createHash('sha1').update(seed).digest('base64url').slice(0, 22)}`;
}

/**
 * Forward a request statelessly (RFC 3261 §16.6, §16.11): new Request-URI, a Via of ours on
 * top, Max-Forwards decremented, the route set pushed as Route headers, and `replaceHeaders`
 * rewritten (the proxy's consumed credentials). Sends to the target's `destination`, else its
 * first route, else its URI. `undefined` when no next hop resolves.
 */
export async function forwardRequest(
  request: SipRequest, target: ForwardTarget, local: Endpoint, replaceHeaders?: ForwardChanges['replaceHeaders'],
): Promise<ForwardPlan | undefined> {
  const hop = await nextHopOf(hopUriOf(target));
  return hop === undefined ? undefined : { data: forwardedBytes(request, target, local, replaceHeaders), destination: hop };
}

/**
 * The bytes {@link forwardRequest} sends to a hop already chosen (a flow's connection): the
 * request with the target's URI and route set, a Via of `local` on top, Max-Forwards decremented.
 */
export function forwardedBytes(
  request: SipRequest, target: ForwardTarget, local: Endpoint, replaceHeaders?: ForwardChanges['replaceHeaders'],
): Uint8Array {
  return serializeRequest(request, {
    uri: target.uri,
    prependVia: ownVia(local.protocol, local.address, local.port, statelessBranch(request, target.uri)),
    maxForwards: (request.maxForwards ?? 70) - 1,
    prependRoute: target.route ?? [],
    replaceHeaders,
  });
}

/**
 * Relay a response statelessly (RFC 3261 §16.11, §18.2.2): drop our top Via and send to the next
 * one (its `received`/`rport` when present). `undefined` when the top Via is not ours.
 */
export function relayResponse(response: SipResponse, locals: readonly Endpoint[]): ForwardPlan | undefined {
  const [top, next] = response.via;
  if (top === undefined || next === undefined) return undefined;
  const topHost = unbracket(top.host);
  const ours = locals.some((l) => l.address === topHost && l.port === (top.port ?? 5060));
  if (!ours) return undefined;
  const protocol = next.transport.toLowerCase() as Endpoint['protocol'];
  const port = typeof next.rport === 'number' ? next.rport : (next.port ?? 5060);
  const destination: Endpoint = { protocol, address: unbracket(next.received ?? next.host), port };
  return { data: serializeMessage(response, { removeTopVia: true }), destination };
}
