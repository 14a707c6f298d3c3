/** Largest CSeq sequence number (RFC 3261 §8.1.1.5: less than 2**31). */
export const MAX_CSEQ = 2147483647;
