import type { SipRequest } from './message';
import { responseToTag } from './to-tag';

/** The Status-Line of a 200 OK with `\r\nVia: ` after it: the one a registrar sends most, built once. */
const OK_LINE_AND_VIA = 'SIP/2.0 200 OK\r\nVia: ';

/** The Status-Line with `\r\nVia: ` after it (no state kept between calls). */
function statusLineAndVia(status: number, reason: string): string {
  return status === 200 && reason === 'OK' ? OK_LINE_AND_VIA : 'SIP/2.0 ' + status + ' ' + reason + '\r\nVia: ';
}

/**
 * The head of a response to `request` (RFC 3261 §8.2.6) up to and including the CSeq line:
 * the Status-Line, every Via value in order, From, To (with a To tag added when absent and
 * `status > 100`, §8.2.6.2), Call-ID and CSeq copied. One concatenation of as few pieces as the
 * values allow (constant text merged), encoded by the caller.
 */
export function responseHead(request: SipRequest, status: number, reason: string, toTag: string | undefined): string {
  const via = request.via;
  let head: string;
  if (via.length === 0) head = 'SIP/2.0 ' + status + ' ' + reason + '\r\nFrom: ' + request.from.raw;
  else {
    head = statusLineAndVia(status, reason) + via[0].raw;
    for (let i = 1; i < via.length; i++) head += '\r\nVia: ' + via[i].raw;
    head += '\r\nFrom: ' + request.from.raw;
  }
  const to = request.to;
  head += '\r\nTo: ' + to.raw;
  if (status > 100 && to.params.tag === undefined) head += ';tag=' + (toTag ?? responseToTag(request));
  return head + '\r\nCall-ID: ' + request.callId + '\r\nCSeq: ' + request.cseq.seq + ' ' + request.cseq.method + '\r\n';
}
