import type { CSeqValue } from '../message';
import { TOKEN_CHARS, allInTable, isWsp, skipWsp } from '../chars';

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
  let seq = 0;
  for (; i < n; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
  }
  if (i === 0 || i > 10 || i === n || !isWsp(value.charCodeAt(i))) return undefined;
  const m = skipWsp(value, i);
  if (!allInTable(TOKEN_CHARS, value, m, n)) return undefined;
  return { seq, method: value.slice(m) };
}
