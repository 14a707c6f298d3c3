/** Width of the window of counts below the highest that may still arrive out of order. */
export const NONCE_WINDOW = 64;

/**
 * Record nonce count `nc` in the window at `words[at]` (the highest count seen), `words[at + 1]`
 * and `words[at + 2]` (a 64-bit map of the 64 counts below it as two 32-bit words: bit i set =
 * `highest - 1 - i` seen): true when it was not seen before, false for a replay (RFC 7616 §3.4
 * and §5.5 on `nc`; Kamailio `nonce_count`). Requests that overtook each other still pass; a
 * count below the window is a replay. The one window both nonce count tables keep.
 */
export function countNonce(words: Uint32Array, at: number, nc: number): boolean {
  const highest = words[at];
  if (nc > highest) {
    slide(words, at, nc - highest);
    words[at] = nc;
    return true;
  }
  const below = highest - 1 - nc;
  if (below < 0 || below >= NONCE_WINDOW) return false;
  const word = below < 32 ? at + 1 : at + 2;
  const bit = 1 << (below & 31);
  if ((words[word] & bit) !== 0) return false;
  words[word] |= bit;
  return true;
}

/** Move the window up by `shift` counts, marking the old highest (now `shift - 1` below the new one) as seen. */
function slide(words: Uint32Array, at: number, shift: number): void {
  const low = words[at + 1];
  const high = words[at + 2];
  if (shift >= NONCE_WINDOW) {
    words[at + 1] = 0;
    words[at + 2] = 0;
  } else if (shift >= 32) {
    words[at + 2] = low << (shift - 32);
    words[at + 1] = 0;
  } else {
    words[at + 2] = (high << shift) | (low >>> (32 - shift));
    words[at + 1] = low << shift;
  }
  const old = shift - 1;
  if (old < 32) words[at + 1] |= 1 << old;
  else if (old < NONCE_WINDOW) words[at + 2] |= 1 << (old - 32);
}
