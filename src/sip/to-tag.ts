import type { SipRequest } from './message';

const FNV_PRIME = 0x01000193;

/** The MurmurHash3 32-bit finaliser: every output bit depends on every input bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The To tag a UAS adds to its responses to `request` (RFC 3261 §8.2.6.2): derived from the
 * Call-ID, the From tag and the top Via branch, so a retransmitted request gets the same tag.
 * Two FNV-1a hashes run side by side, each over every other pair of characters (two UTF-16
 * units packed per multiply), with a LF and the length after each value so that moving
 * characters from one value to the next changes the result; each is then mixed with the other
 * (MurmurHash3 finaliser) and written as 31 bits in decimal. No intermediate string, no
 * scratch state; decimal small integers are V8's fastest number-to-string conversion.
 */
export function responseToTag(request: SipRequest): string {
  let a = 0x811c9dc5 | 0;
  let b = 0x01234567;
  for (let part = 0; part < 3; part++) {
    const s = part === 0 ? request.callId : part === 1 ? request.from.params.tag ?? '' : request.via[0]?.branch ?? '';
    const n = s.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      a = Math.imul(a ^ (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)), FNV_PRIME);
      b = Math.imul(b ^ (s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16)), FNV_PRIME);
    }
    for (; i < n; i++) a = Math.imul(a ^ s.charCodeAt(i), FNV_PRIME);
    a = Math.imul(a ^ 10, FNV_PRIME);
    b = Math.imul(b ^ n, FNV_PRIME);
  }
  const x = fmix(a ^ Math.imul(b, 0x9e3779b1));
  const y = fmix(b ^ x);
  return String(x >>> 1) + String(y >>> 1);
}
