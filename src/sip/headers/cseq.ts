import type { CSeqValue } from '../message';
import { TOKEN_CHARS, allInTable, isWsp, parseDigits, skipWsp } from '../chars';

/** Largest CSeq sequence number (RFC 3261 §8.1.1.5: less than 2**31). */
export const MAX_CSEQ = 2147483647;

/**
 * Parses a CSeq value `1*DIGIT LWS Method` (RFC 3261 §20.16). The number is returned even
 * when it exceeds {@link MAX_CSEQ}; range checking is the message assembler's job.
 *
 * @returns the value, or `undefined` on a syntax error or more than 10 digits.
 */
export function parseCSeq(value: string): CSeqValue | undefined {
  let i = 0;
  const n = value.length;
  while (i < n && !isWsp(value.charCodeAt(i))) i++;
  const seq = parseDigits(value.slice(0, i), 10);
  if (seq < 0 || i === n) return undefined;
  const m = skipWsp(value, i);
  if (!allInTable(TOKEN_CHARS, value, m, n)) return undefined;
  return { seq, method: value.slice(m) };
}
