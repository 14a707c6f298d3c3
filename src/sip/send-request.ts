import type { Endpoint, TransactionOutcome, Transport } from '../ports/transport';
import type { BranchIds } from './branch-ids';
import { outgoingRequest, type OutgoingRequest } from './outgoing-request';
import { requestDestination, type SipResolver } from './request-destination';
import { bracketHost } from './socket-address';

/** What {@link sendRequest} needs: the transport, DNS, and the Via branches of the component. */
export interface SendRequestContext {
  readonly transport: Transport;
  readonly resolver: SipResolver;
  readonly branches: BranchIds;
}

const uriOfRoute = (route: string): string => route.replace(/^\s*<|>.*$/g, '');

/**
 * Send a request as a client transaction (RFC 3261 §8.1.2, §17.1.2): to its first `Route` when
 * it has one (loose routing), else to its Request-URI, each resolved per RFC 3263; with a Via
 * whose sent-by is the transport's socket of that protocol. A destination that does not resolve
 * settles as a transport error, like one that cannot be reached.
 * @param kind - a short word in the Via branch (`sub`, `ntf`, `pub`) that tells the requests apart in traces.
 */
export async function sendRequest(ctx: SendRequestContext, parts: Omit<OutgoingRequest, 'via'>, kind: string): Promise<TransactionOutcome> {
  let destination: Endpoint;
  try {
    destination = await requestDestination(uriOfRoute(parts.routes?.[0] ?? parts.requestUri), ctx.resolver);
  } catch (error) {
    return { kind: 'transport-error', error: error instanceof Error ? error : new Error(String(error)) };
  }
  const endpoints = ctx.transport.endpoints();
  const sentBy = endpoints.find((e) => e.protocol === destination.protocol) ?? endpoints[0];
  if (sentBy === undefined) return { kind: 'transport-error', error: new Error('the transport has no local endpoint to put in Via') };
  const via = `SIP/2.0/${destination.protocol.toUpperCase()} ${bracketHost(sentBy.address)}:${sentBy.port};branch=${ctx.branches.next(kind)};rport`;
  try {
    return await ctx.transport.request(outgoingRequest({ ...parts, via }), destination);
  } catch (error) {
    return { kind: 'transport-error', error: error instanceof Error ? error : new Error(String(error)) };
  }
}
