import { parseDigits } from '../chars';

/** Largest delta-seconds value (RFC 3261 §20.19: 2**32-1). */
export const MAX_DELTA_SECONDS = 4294967295;

/**
 * Parses `delta-seconds` (RFC 3261 §25.1: 1*DIGIT) as used by Expires and the Contact `expires`
 * parameter. Values above 2**32-1 are invalid (RFC 3261 §20.19; RFC 4475 §3.1.2.4 says such a
 * value may be treated as absent).
 *
 * @returns the number of seconds, or `undefined` when not a valid delta-seconds.
 */
export function parseDeltaSeconds(s: string): number | undefined {
  const v = parseDigits(s, 10);
  return v < 0 || v > MAX_DELTA_SECONDS ? undefined : v;
}
