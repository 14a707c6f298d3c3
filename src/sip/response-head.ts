import type { SipRequest } from './message';
import { responseToTag } from './to-tag';

/**
 * The head of a response to `request` (RFC 3261 §8.2.6) up to and including the CSeq line:
 * the Status-Line, every Via value in order, From, To (with a To tag added when absent and
 * `status > 100`, §8.2.6.2), Call-ID and CSeq copied. One concatenation, encoded by the caller.
 */
export function responseHead(request: SipRequest, status: number, reason: string, toTag: string | undefined): string {
  let head = 'SIP/2.0 ' + status + ' ' + reason + '\r\n';
  const via = request.via;
  for (let i = 0; i < via.length; i++) head += 'Via: ' + via[i].raw + '\r\n';
  head += 'From: ' + request.from.raw + '\r\n';
  let to = request.to.raw;
  if (status > 100 && request.to.params.tag === undefined) to += ';tag=' + (toTag ?? responseToTag(request));
  return head + 'To: ' + to + '\r\nCall-ID: ' + request.callId + '\r\nCSeq: ' + request.cseq.seq + ' ' + request.cseq.method + '\r\n';
}
