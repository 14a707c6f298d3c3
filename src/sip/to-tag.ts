import type { SipRequest } from './message';

const FNV_PRIME = 0x01000193;

/** The two running hashes of {@link responseToTag}. */
const hashes = new Int32Array(2);

/** Continue both 32-bit FNV-1a hashes in {@link hashes} over the UTF-16 code units of `s`, then a LF separator. */
function fnv1aBoth(s: string): void {
  let a = hashes[0];
  let b = hashes[1];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, FNV_PRIME);
  }
  hashes[0] = a ^ 10;
  hashes[1] = b ^ 10;
}

/**
 * The To tag a UAS adds to its responses to `request` (RFC 3261 §8.2.6.2): derived from the
 * Call-ID, the From tag and the top Via branch, so a retransmitted request gets the same tag
 * (two 31-bit FNV-1a hashes with different seeds in base 36, computed in one pass, no
 * intermediate string; small integers keep number-to-string conversion on V8's fast path).
 */
export function responseToTag(request: SipRequest): string {
  hashes[0] = 0x811c9dc5;
  hashes[1] = 0x01234567;
  fnv1aBoth(request.callId);
  fnv1aBoth(request.from.params.tag ?? '');
  fnv1aBoth(request.via[0]?.branch ?? '');
  // the last separator is not part of the hash
  return ((hashes[0] ^ 10) >>> 1).toString(36) + ((hashes[1] ^ 10) >>> 1).toString(36);
}
