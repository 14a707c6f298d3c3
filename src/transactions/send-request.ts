import type { Endpoint, TransactionOutcome, Transport } from '../ports/transport';
import type { BranchIds } from '../sip/branch-ids';
import type { DigestCredentials } from '../sip/digest';
import type { SipResponse } from '../sip/message';
import { addrSpecOf } from '../sip/name-addr';
import { outgoingRequest, type OutgoingRequest } from '../sip/outgoing-request';
import { requestDestination, systemResolver, type SipResolver } from '../sip/request-destination';
import { challengeOf, digestHeader, type KeptChallenge } from './digest-header';
import { localViaSentBy } from './local-via-sent-by';
import { ownVia } from './own-via';

/** What {@link sendRequest} needs: the transport, DNS, and the Via branches of the component. */
export interface SendRequestContext {
  readonly transport: Transport;
  /** Resolves the destination when none is given. @defaultValue {@link systemResolver} */
  readonly resolver?: SipResolver;
  readonly branches: Pick<BranchIds, 'next'>;
}

/** The parts of a request {@link sendRequest} sends: all but the Via, which it writes. */
export type RequestParts = Omit<OutgoingRequest, 'via'>;

/** Credentials for a challenge: one user's, or the ones for its realm (undefined: not answered). */
export type RequestCredentials = DigestCredentials | ((realm: string) => DigestCredentials | undefined);

/** Options of {@link sendRequest}. */
export interface SendRequestOptions {
  /** Where to send, already known (a configured upstream, a destination resolved before); else resolved from the request. */
  readonly destination?: Endpoint;
  /** The local socket to send from (OpenSIPS `forced_socket`), then also the Via sent-by. */
  readonly local?: Endpoint;
  /** The Via sent-by when it is not a local socket (an address advertised for NAT). */
  readonly sentBy?: { readonly host: string; readonly port: number };
  /** Answer one 401/407 with these (RFC 3261 §22.2, §22.3); without them a challenge is the final outcome. */
  readonly credentials?: RequestCredentials;
  /**
   * Told of a challenge about to be answered, with the response and the CSeq of the answer;
   * returning false makes the challenge the final outcome instead.
   */
  readonly beforeRetry?: (response: SipResponse, cseq: number) => boolean;
}

/** The final outcome of {@link sendRequest}, with what the caller keeps for its next request. */
export type RequestResult = TransactionOutcome & {
  /** The CSeq of the last request sent: the next one in the same Call-ID takes a higher one (RFC 3261 §8.1.1.5). */
  readonly cseq: number;
  /** Where it was sent; undefined when the destination did not resolve. */
  readonly destination?: Endpoint;
  /** The challenge answered, when one was (to authenticate later requests pre-emptively, RFC 7616 §3.4). */
  readonly answered?: KeptChallenge;
};


const transportError = (error: unknown): TransactionOutcome =>
  ({ kind: 'transport-error', error: error instanceof Error ? error : new Error(String(error)) });

const isAuthorization = ([name]: readonly [string, string]): boolean => /^(proxy-)?authorization$/i.test(name);

/** The answer to a challenge in `response` with `credentials`, the request's own credentials replaced. */
function answerOf(response: SipResponse, parts: RequestParts, credentials: RequestCredentials): { response: SipResponse; kept: KeptChallenge; parts: RequestParts } | undefined {
  const found = challengeOf(response);
  if (found === undefined) return undefined;
  const user = typeof credentials === 'function' ? credentials(found.challenge.realm) : credentials;
  const kept: KeptChallenge = { ...found, nc: 1 };
  const header = user === undefined ? undefined : digestHeader(kept, user, { method: parts.method, uri: parts.requestUri, body: parts.body?.text });
  if (header === undefined) return undefined;
  const headers = [...(parts.headers ?? []).filter((h) => !isAuthorization(h)), header];
  return { response, kept, parts: { ...parts, cseq: parts.cseq + 1, headers } };
}

/**
 * Send a request as a client transaction (RFC 3261 §8.1.2, §17.1.2), the one way sipreg's
 * components send their own requests: to `options.destination`, else to the request's first
 * `Route` (loose routing) or its Request-URI, resolved per RFC 3263; with a Via of a new branch
 * whose sent-by is the local socket of that protocol ({@link localViaSentBy}) and `rport`.
 * A 401 or 407 with a challenge this client answers is answered once, given `credentials`: the
 * same request with the next CSeq, a new branch and an `Authorization` (401) or
 * `Proxy-Authorization` (407) header (RFC 3261 §22.2, §22.3); a second challenge is the final
 * outcome. A destination that does not resolve settles as a transport error, like one that
 * cannot be reached; this never rejects.
 * @param kind - a short word in the Via branch (`reg`, `sub`, `ntf`, `pub`) that tells the requests apart in traces.
 */
export async function sendRequest(ctx: SendRequestContext, parts: RequestParts, kind: string, options: SendRequestOptions = {}): Promise<RequestResult> {
  let destination: Endpoint;
  try {
    destination = options.destination ?? await requestDestination(addrSpecOf(parts.routes?.[0] ?? parts.requestUri), ctx.resolver ?? systemResolver);
  } catch (error) {
    return { ...transportError(error), cseq: parts.cseq };
  }
  const local = localViaSentBy(ctx.transport.endpoints(), destination.protocol, options.local);
  // A worker sharing its sockets names its own one, without rport (Transport.responseSentBy).
  const ownSentBy = options.sentBy === undefined && local !== undefined ? ctx.transport.responseSentBy?.(local) : undefined;
  const sentBy = options.sentBy ?? ownSentBy ?? (local === undefined ? undefined : { host: local.address, port: local.port });
  if (sentBy === undefined) return { ...transportError(new Error('the transport has no local endpoint to put in Via')), cseq: parts.cseq, destination };
  const send = async (p: RequestParts): Promise<TransactionOutcome> => {
    const via = ownVia(destination.protocol, sentBy.host, sentBy.port, ctx.branches.next(kind), ownSentBy === undefined);
    try {
      return await ctx.transport.request(outgoingRequest({ ...p, via }), destination, options.local);
    } catch (error) {
      return transportError(error);
    }
  };
  const first = await send(parts);
  const answer = first.kind === 'response' && options.credentials !== undefined ? answerOf(first.response, parts, options.credentials) : undefined;
  if (answer === undefined || options.beforeRetry?.(answer.response, answer.parts.cseq) === false) {
    return { ...first, cseq: parts.cseq, destination };
  }
  return { ...(await send(answer.parts)), cseq: answer.parts.cseq, destination, answered: answer.kept };
}
