import { WORD_CHARS, allInTable } from '../chars';

/** True when `value` is a valid Call-ID, `word [ "@" word ]` (RFC 3261 §20.8, §25.1). */
export function isValidCallId(value: string): boolean {
  const at = value.indexOf('@');
  if (at < 0) return allInTable(WORD_CHARS, value);
  return allInTable(WORD_CHARS, value, 0, at) && allInTable(WORD_CHARS, value, at + 1);
}
