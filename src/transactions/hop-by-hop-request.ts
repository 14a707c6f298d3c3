import type { SipRequest } from '../sip/message';
import { outgoingRequest } from '../sip/outgoing-request';

/** The parts of a sent INVITE its ACK and CANCEL copy (a parsed `SipRequest` has them). */
export type SentInvite = Pick<SipRequest, 'uri' | 'via' | 'route' | 'from' | 'to' | 'callId' | 'cseq'>;

/**
 * A request of the INVITE's own transaction (RFC 3261 §9.1, §17.1.1.3): the INVITE's Request-URI,
 * top Via (so it matches the transaction, §17.2.3), Route set, From, Call-ID and CSeq number, with
 * `method` and the given To.
 */
function hopByHopRequest(method: 'ACK' | 'CANCEL', invite: SentInvite, to: string): Uint8Array {
  return outgoingRequest({
    method,
    requestUri: invite.uri,
    via: invite.via[0].raw,
    routes: invite.route.map((route) => route.raw),
    from: invite.from.raw,
    to,
    callId: invite.callId,
    cseq: invite.cseq.seq,
  });
}

/** The ACK of a non-2xx final response (RFC 3261 §17.1.1.3): the response's To, with its tag. */
export function ackFor(invite: SentInvite, response: { readonly to: { readonly raw: string } }): Uint8Array {
  return hopByHopRequest('ACK', invite, response.to.raw);
}

/** The CANCEL of an INVITE (RFC 3261 §9.1): the INVITE's To, no body. */
export function cancelFor(invite: SentInvite): Uint8Array {
  return hopByHopRequest('CANCEL', invite, invite.to.raw);
}
