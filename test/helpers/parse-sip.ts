import type { SipMessage } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';

/**
 * Parse one SIP message (RFC 3261 §7) that a test built or received; throws with the parser's
 * reason and the text when it is not one, so a malformed message fails the test where it is read.
 */
export function parseSip(data: string | Uint8Array): SipMessage {
  const result = parseSipMessage(data);
  if (!result.ok) throw new Error(`unparsable SIP message: ${result.error.reason}\n${String(data)}`);
  return result.message;
}
