/** The base-36 digits of `Number.prototype.toString(36)`. */
const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Every two-digit base-36 string, `00` to `zz`, by value: a 31-bit number takes at most three. */
const PAIRS: readonly string[] = Array.from({ length: 36 * 36 }, (_, v) => DIGITS[Math.floor(v / 36)] + DIGITS[v % 36]);

/**
 * `n.toString(36)` of a non-negative integer below 2**31, from a table of digit pairs instead of
 * V8's radix conversion (a runtime call): the To tags of `responseToTag` are built per reply.
 */
export function base36(n: number): string {
  if (n < 36) return DIGITS[n];
  let out = '';
  while (n >= 1296) {
    out = PAIRS[n % 1296] + out;
    n = Math.floor(n / 1296);
  }
  return (n < 36 ? DIGITS[n] : PAIRS[n]) + out;
}
