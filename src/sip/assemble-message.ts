import type { MessageParts } from './message-parts';
import type { ParseResult, ParseTier, PartialMessage, ResolvedParseOptions, SipParseError } from './parse-result';
import type { SipHeader } from './message';
import { MAX_CSEQ } from './headers/cseq';
import { splitHeaderValues } from './headers/split-values';
import { createSipMessage } from './parsed-message';
import { parseUri } from './uri';

/**
 * Best-effort raw Via/From/To/Call-ID/CSeq values of the header lines read so far, so that a
 * 400 can still be answered to a malformed request (RFC 3261 §8.2.6.1 copies these fields).
 */
export function partialFromHeaders(headers: readonly SipHeader[], keys: readonly string[]): PartialMessage {
  const via: string[] = [];
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  for (let i = 0; i < keys.length; i++) {
    const v = headers[i].value;
    switch (keys[i]) {
      case 'via':
        via.push(...(splitHeaderValues(v) ?? [v]));
        break;
      case 'from':
        from ??= v;
        break;
      case 'to':
        to ??= v;
        break;
      case 'call-id':
        callId ??= v;
        break;
      case 'cseq':
        cseq ??= v;
        break;
    }
  }
  return { via, from, to, callId, cseq };
}

/** A rejection carrying the partial values of `headers`. */
export function rejectWith(reason: string, headers: readonly SipHeader[], keys: readonly string[]): ParseResult {
  return { ok: false, error: { reason, partial: partialFromHeaders(headers, keys) } };
}

/** A SIP(S) Request-URI must not carry `?headers` (RFC 3261 §19.1.1 table 1; RFC 4475 §3.1.2.11). */
function hasUriHeaders(uri: string): boolean {
  if (uri.indexOf('?') < 0) return false;
  const u = parseUri(uri);
  return u !== undefined && u.headers.length > 0;
}

function singleValueProblem(p: MessageParts): string | undefined {
  if (p.via === undefined) return 'missing-via';
  if (p.fromCount !== 1) return p.fromCount === 0 ? 'missing-from' : 'multiple-from';
  if (p.toCount !== 1) return p.toCount === 0 ? 'missing-to' : 'multiple-to';
  if (p.callIdCount !== 1) return p.callIdCount === 0 ? 'missing-call-id' : 'multiple-call-id';
  if (p.cseqCount !== 1) return p.cseqCount === 0 ? 'missing-cseq' : 'multiple-cseq';
  if (p.maxForwardsCount > 1) return 'multiple-max-forwards';
  if (p.expiresCount > 1) return 'multiple-expires';
  return undefined;
}

/**
 * The checks both parser tiers apply once every header is read, then the message:
 * Via, From, To, Call-ID and CSeq present (RFC 3261 §8.1.1) and not repeated (RFC 4475
 * §3.3.8), Max-Forwards within 0-255 (§20.22; RFC 4475 §3.1.2.4 lets an element answer 400), CSeq
 * number below 2**31 (§8.1.1.5, RFC 4475 §3.1.2.4), CSeq method equal to the
 * request method (§8.2.2 / RFC 4475 §3.1.2.17), no headers in a SIP Request-URI (§19.1.1), `Contact: *` alone (§10.2.2), at most
 * `maxContacts` Contact values.
 */
export function assembleMessage(p: MessageParts, options: ResolvedParseOptions, tier: ParseTier): ParseResult {
  let reason = singleValueProblem(p);
  if (reason === undefined) {
    const cseq = p.cseq!;
    if (cseq.seq > MAX_CSEQ) reason = 'bad-cseq';
    else if (p.maxForwardsCount === 1 && p.maxForwards < 0) reason = 'bad-max-forwards';
    else if (p.start.kind === 'request' && cseq.method !== p.start.method) reason = 'cseq-method-mismatch';
    else if (p.start.kind === 'request' && hasUriHeaders(p.start.uri)) reason = 'bad-request-uri';
    else if (p.contactStars > 1 || (p.contactStars === 1 && p.contacts !== undefined && p.contacts.length > 0)) reason = 'bad-contact';
  }
  if (reason !== undefined) return rejectWith(reason, p.lines.headers(), p.lines.keys());
  if (p.contacts !== undefined && p.contacts.length > options.maxContacts) {
    const error: SipParseError = {
      reason: 'too-many-contacts',
      partial: partialFromHeaders(p.lines.headers(), p.lines.keys()),
      tooManyContacts: true,
    };
    return { ok: false, error };
  }
  return { ok: true, message: createSipMessage(p), tier };
}
