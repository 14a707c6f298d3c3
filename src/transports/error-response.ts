import type { SipRequest } from '../sip/message';
import { headerParam } from './header-param';

/** The header values a failed parse could still recover (the parser's `error.partial`). */
export interface RecoveredHead {
  readonly via: readonly string[];
  readonly from?: string;
  readonly to?: string;
  readonly callId?: string;
  readonly cseq?: string;
}

const encoder = new TextEncoder();

/** Reason-phrase text (RFC 3261 §25.1 `Reason-Phrase`): no control characters, bounded length. */
export function sanitizeReasonPhrase(text: string): string {
  let out = '';
  for (let i = 0; i < text.length && out.length < 120; i++) {
    const code = text.charCodeAt(i);
    out += code < 32 || code === 127 ? ' ' : text[i];
  }
  return out.trim();
}

/** True when a name-addr value (From/To) carries a `tag` header parameter (RFC 3261 §19.3). */
function hasTag(nameAddr: string): boolean {
  const close = nameAddr.lastIndexOf('>');
  return headerParam(close < 0 ? nameAddr : nameAddr.slice(close + 1), 'tag') !== undefined;
}

/** True when a recovered value can be copied into a response: it has no control character but HTAB (RFC 3261 §25.1). */
function copyable(value: string | undefined): value is string {
  if (value === undefined) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 32 && code !== 9) || code === 127) return false;
  }
  return true;
}

/**
 * Build an error response from the header values recovered from a request that could not be
 * parsed (RFC 3261 §8.2.6.2: copy Via, From, To, Call-ID and CSeq; add a To tag). Used for
 * `400 Bad Request` to a malformed request and `513 Message Too Large` (§21.5.7).
 *
 * A request lacking From, To, Call-ID or CSeq (§8.1.1) is still answered when it has a Via,
 * which is all a response needs to be routed back (§18.2.2): the header it lacks is left out of
 * the response too, as is every value holding a control character (a raw NUL is not echoed).
 *
 * @returns the response bytes, or `undefined` when no Via was recovered.
 *
 * @example
 * ```ts
 * buildErrorResponse(error.partial, 400, 'Bad Request', 'a1b2');
 * ```
 */
export function buildErrorResponse(head: RecoveredHead, status: number, reason: string, toTag: string): Uint8Array | undefined {
  const { from, to, callId, cseq } = head;
  const via = head.via.filter(copyable);
  if (via.length === 0) return undefined;
  let text = `SIP/2.0 ${status} ${sanitizeReasonPhrase(reason)}\r\n`;
  for (const value of via) text += `Via: ${value}\r\n`;
  if (copyable(from)) text += `From: ${from}\r\n`;
  if (copyable(to)) text += `To: ${hasTag(to) ? to : `${to};tag=${toTag}`}\r\n`;
  if (copyable(callId)) text += `Call-ID: ${callId}\r\n`;
  if (copyable(cseq)) text += `CSeq: ${cseq}\r\n`;
  return encoder.encode(text + 'Content-Length: 0\r\n\r\n');
}

/** The {@link RecoveredHead} of a parsed request, to answer it with {@link buildErrorResponse}. */
export function recoveredHead(request: SipRequest): RecoveredHead {
  return {
    via: request.via.map((via) => via.raw),
    from: request.from.raw,
    to: request.to.raw,
    callId: request.callId,
    cseq: `${request.cseq.seq} ${request.cseq.method}`,
  };
}
