import type { AcceptedRegister, UpstreamRegistration } from '../ports/binding';
import type { SipRequest } from '../sip/message';

/** The Call-ID and From tag of a phone's REGISTER, as a binding's {@link UpstreamRegistration.accepted} keeps them. */
export function acceptedRegisterOf(request: SipRequest): AcceptedRegister {
  return { callId: request.callId, fromTag: request.from.params.tag ?? '' };
}

/**
 * True when `request` has the Call-ID and From tag (RFC 3261 §10.2.4, §8.1.1.3) of the REGISTER
 * last authenticated for the binding covered by `upstream`: the mid-registrar may then answer it
 * itself without the main registrar seeing it (OpenSIPS issue #3193). False for a binding saved
 * without them (before sipreg kept them).
 */
export function isAcceptedRegister(upstream: UpstreamRegistration | undefined, request: SipRequest): boolean {
  const accepted = upstream?.accepted;
  return accepted !== undefined && accepted.callId === request.callId && accepted.fromTag === (request.from.params.tag ?? '');
}
