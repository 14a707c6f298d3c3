import { WORD_CHARS, allBytesIn } from '../chars';

/** True when `buf[a, b)` is a valid Call-ID, `word [ "@" word ]` (RFC 3261 §20.8, §25.1). */
export function isCallIdAt(buf: Uint8Array, a: number, b: number): boolean {
  const at = buf.indexOf(0x40, a);
  if (at < 0 || at >= b) return allBytesIn(WORD_CHARS, buf, a, b);
  return allBytesIn(WORD_CHARS, buf, a, at) && allBytesIn(WORD_CHARS, buf, at + 1, b);
}
