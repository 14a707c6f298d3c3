import type { SipRequest } from './message';
import { responseHead } from './response-head';
import { bodyLength, encodeMessage } from './wire';

export { responseToTag } from './to-tag';

/** A response body and its media type (RFC 3261 §20.15). */
export interface ResponseBody {
  readonly contentType: string;
  readonly content: string | Uint8Array;
}

/** Options of {@link buildResponse}. */
export interface BuildResponseOptions {
  /**
   * To tag to add when the request's To has none.
   * @defaultValue a tag derived from the Call-ID, From tag and top Via branch, the same for a retransmission (RFC 3261 §8.2.6.2)
   */
  readonly toTag?: string;
  /** Extra header lines, emitted in order after CSeq. @defaultValue [] */
  readonly headers?: readonly (readonly [string, string])[];
  /** Body; adds Content-Type and the matching Content-Length. @defaultValue none (Content-Length: 0) */
  readonly body?: ResponseBody;
}

/**
 * Builds the wire bytes of a response to `request` (RFC 3261 §8.2.6): every Via value in order,
 * From, To (with a To tag added when absent and `status > 100`, §8.2.6.2), Call-ID and CSeq
 * copied, then `options.headers`, Content-Type for a body, and Content-Length. The head is
 * concatenated into one string and encoded once.
 */
export function buildResponse(request: SipRequest, status: number, reason: string, options?: BuildResponseOptions): Uint8Array {
  let head = responseHead(request, status, reason, options?.toTag);
  const extra = options?.headers;
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) head += extra[i][0] + ': ' + extra[i][1] + '\r\n';
  const body = options?.body;
  if (body !== undefined) head += 'Content-Type: ' + body.contentType + '\r\n';
  head += 'Content-Length: ' + bodyLength(body?.content) + '\r\n';
  return encodeMessage(head, body?.content);
}
