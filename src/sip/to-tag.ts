import type { SipRequest } from './message';

const FNV_PRIME = 0x01000193;

/**
 * The To tag a UAS adds to its responses to `request` (RFC 3261 §8.2.6.2): derived from the
 * Call-ID, the From tag and the top Via branch, so a retransmitted request gets the same tag
 * (two 31-bit FNV-1a hashes with different seeds in base 36, computed in one pass with no
 * intermediate string and no scratch state; small
 * integers keep number-to-string conversion on V8's fast path).
 */
export function responseToTag(request: SipRequest): string {
  const callId = request.callId;
  const fromTag = request.from.params.tag ?? '';
  const branch = request.via[0]?.branch ?? '';
  let a = 0x811c9dc5;
  let b = 0x01234567;
  for (let part = 0; part < 3; part++) {
    const s = part === 0 ? callId : part === 1 ? fromTag : branch;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, FNV_PRIME);
      b = Math.imul(b ^ c, FNV_PRIME);
    }
    // a LF between the values, so that moving characters from one value to the next changes the tag
    a = Math.imul(a ^ 10, FNV_PRIME);
    b = Math.imul(b ^ 10, FNV_PRIME);
  }
  return (a >>> 1).toString(36) + (b >>> 1).toString(36);
}
