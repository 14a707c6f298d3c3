import type { SipRequest } from './message';
import { bodyLength, encodeMessage } from './wire';

/** A response body and its media type (RFC 3261 §20.15). */
export interface ResponseBody {
  readonly contentType: string;
  readonly content: string | Uint8Array;
}

/** Options of {@link buildResponse}. */
export interface BuildResponseOptions {
  /**
   * To tag to add when the request's To has none.
   * @defaultValue {@link responseToTag}(request)
   */
  readonly toTag?: string;
  /** Extra header lines, emitted in order after CSeq. @defaultValue [] */
  readonly headers?: readonly (readonly [string, string])[];
  /** Body; adds Content-Type and the matching Content-Length. @defaultValue none (Content-Length: 0) */
  readonly body?: ResponseBody;
}

/** Continue a 32-bit FNV-1a hash `h` over the UTF-16 code units of `s`. */
function fnv1a(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}


/**
 * The To tag a UAS adds to its responses to `request` (RFC 3261 §8.2.6.2): derived from the
 * Call-ID, the From tag and the top Via branch, so a retransmitted request gets the same tag
 * (two 31-bit FNV-1a hashes with different seeds in base 36, no intermediate string; small
 * integers keep number-to-string conversion on V8's fast path).
 */
export function responseToTag(request: SipRequest): string {
  const callId = request.callId;
  const tag = request.from.params.tag ?? '';
  const branch = request.via[0]?.branch ?? '';
  const a = fnv1a(fnv1a(fnv1a(0x811c9dc5, callId) ^ 10, tag) ^ 10, branch);
  const b = fnv1a(fnv1a(fnv1a(0x01234567, callId) ^ 10, tag) ^ 10, branch);
  return (a >>> 1).toString(36) + (b >>> 1).toString(36);
}

/**
 * Builds the wire bytes of a response to `request` (RFC 3261 §8.2.6): every Via value in order,
 * From, To (with a To tag added when absent and `status > 100`, §8.2.6.2), Call-ID and CSeq
 * copied, then `options.headers`, Content-Type for a body, and Content-Length. The head is
 * concatenated into one string and encoded once.
 */
export function buildResponse(request: SipRequest, status: number, reason: string, options?: BuildResponseOptions): Uint8Array {
  let head = 'SIP/2.0 ' + status + ' ' + reason + '\r\n';
  const via = request.via;
  for (let i = 0; i < via.length; i++) head += 'Via: ' + via[i].raw + '\r\n';
  head += 'From: ' + request.from.raw + '\r\n';
  let to = request.to.raw;
  if (status > 100 && request.to.params.tag === undefined) to += ';tag=' + (options?.toTag ?? responseToTag(request));
  head += 'To: ' + to + '\r\nCall-ID: ' + request.callId + '\r\nCSeq: ' + request.cseq.seq + ' ' + request.cseq.method + '\r\n';
  const extra = options?.headers;
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) head += extra[i][0] + ': ' + extra[i][1] + '\r\n';
  const body = options?.body;
  if (body !== undefined) head += 'Content-Type: ' + body.contentType + '\r\n';
  head += 'Content-Length: ' + bodyLength(body?.content) + '\r\n';
  return encodeMessage(head, body?.content);
}
