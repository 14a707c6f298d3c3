/** `SIP/2.0 ` is 8 bytes; the status code follows as three digits (RFC 3261 §7.2 Status-Line). */
const STATUS_OFFSET = 8;

/** The status code of a serialized response (`SIP/2.0 200 OK` → 200), read from its bytes without parsing it. */
export function statusOf(data: Uint8Array): number {
  return (data[STATUS_OFFSET] - 48) * 100 + (data[STATUS_OFFSET + 1] - 48) * 10 + (data[STATUS_OFFSET + 2] - 48);
}
