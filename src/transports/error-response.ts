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

/**
 * Build an error response from the header values recovered from a request that could not be
 * parsed (RFC 3261 §8.2.6.2: copy Via, From, To, Call-ID and CSeq; add a To tag). Used for
 * `400 Bad Request` to a malformed request and `513 Message Too Large` (§21.5.14).
 *
 * @returns the response bytes, or `undefined` when a required header was not recovered.
 *
 * @example
 * ```ts
 * buildErrorResponse(error.partial, 400, 'Bad Request', 'a1b2');
 * ```
 */
export function buildErrorResponse(head: RecoveredHead, status: number, reason: string, toTag: string): Uint8Array | undefined {
  const { via, from, to, callId, cseq } = head;
  if (via.length === 0 || from === undefined || to === undefined || callId === undefined || cseq === undefined) return undefined;
  let text = `SIP/2.0 ${status} ${sanitizeReasonPhrase(reason)}\r\n`;
  for (const value of via) text += `Via: ${value}\r\n`;
  text += `From: ${from}\r\nTo: ${hasTag(to) ? to : `${to};tag=${toTag}`}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\nContent-Length: 0\r\n\r\n`;
  return encoder.encode(text);
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
