import type { SipRequest } from '../sip/message';
import { outgoingRequest } from '../sip/outgoing-request';

/**
 * The CANCEL of a forwarded INVITE (RFC 3261 §9.1): the INVITE's Request-URI, top Via (so the
 * CANCEL matches its transaction, §17.2.3), Route set, From, To, Call-ID and CSeq number, with
 * the method CANCEL and no body.
 */
export function cancelFor(invite: SipRequest): Uint8Array {
  return outgoingRequest({
    method: 'CANCEL',
    requestUri: invite.uri,
    via: invite.via[0].raw,
    routes: invite.route.map((route) => route.raw),
    from: invite.from.raw,
    to: invite.to.raw,
    callId: invite.callId,
    cseq: invite.cseq.seq,
  });
}
