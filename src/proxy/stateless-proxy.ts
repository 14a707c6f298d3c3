import { createHash } from 'node:crypto';
import type { Endpoint, SentBy } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { serializeMessage, serializeRequest } from '../sip/serialize';
import type { ForwardChanges } from '../sip/serialize';
import { nextHopOfTarget } from './next-hop';
import { bracketHost, unbracket } from '../sip/socket-address';
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
  /**
   * Over TLS: the host name the next hop's certificate must carry, also sent as SNI (RFC 5922
   * §7.2), when the hop URI names it by IP address (the mid-registrar's `upstream.serverName`).
   * @defaultValue the host of the hop URI
   */
  readonly serverName?: string;
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

/** How a proxy changes a request it forwards, beyond the Request-URI, Via and Max-Forwards. */
export interface ForwardEdits {
  /** Header values to rewrite (the proxy's consumed credentials). @defaultValue none */
  readonly replaceHeaders?: ForwardChanges['replaceHeaders'];
  /** The top Route value names this proxy: remove it (RFC 3261 §16.4). @defaultValue false */
  readonly removeTopRoute?: boolean;
  /** Put a Record-Route of the sending socket on top (§16.6 step 4), to stay in the dialog. @defaultValue false */
  readonly recordRoute?: boolean;
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
  const hop = await nextHopOfTarget(target);
  return hop === undefined ? undefined : { data: forwardedBytes(request, target, local, { replaceHeaders }), destination: hop };
}

/** The Record-Route value of a local socket (RFC 3261 §16.6 step 4, loose routing `lr`). */
export function recordRouteOf(local: Endpoint): string {
  const transport = local.protocol === 'udp' ? '' : `;transport=${local.protocol}`;
  return `<sip:${bracketHost(local.address)}:${local.port}${transport};lr>`;
}

/**
 * The bytes of `request` forwarded to `target` from `local` (RFC 3261 §16.6): the target's URI
 * and route set, a Via of `local` with `branch` on top (by default the stateless one,
 * {@link statelessBranch}), Max-Forwards decremented (never below 0, §16.6 step 3), and `edits`.
 * With `sentBy` (`Transport.responseSentBy`) the Via names it, without `rport`.
 */
export function forwardedBytes(
  request: SipRequest, target: ForwardTarget, local: Endpoint, edits: ForwardEdits = {},
  branch: string = statelessBranch(request, target.uri), sentBy?: SentBy,
): Uint8Array {
  return serializeRequest(request, {
    uri: target.uri,
    prependVia: sentBy === undefined
      ? ownVia(local.protocol, local.address, local.port, branch)
      : ownVia(local.protocol, sentBy.host, sentBy.port, branch, false),
    maxForwards: Math.max(0, (request.maxForwards ?? 70) - 1),
    prependRoute: target.route ?? [],
    prependRecordRoute: edits.recordRoute === true ? recordRouteOf(local) : undefined,
    removeTopRoute: edits.removeTopRoute,
    replaceHeaders: edits.replaceHeaders,
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
