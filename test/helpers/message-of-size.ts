import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { buildRequest } from '../../src/testing/message-builders';

/**
 * A parsed MESSAGE to bob with a body of `size` bytes: its forwarded copy is `size` bytes give or
 * take the headers (about 300), for the size rules of RFC 3261 §18.1.1 (`udpMtu`, datagram limit).
 */
export function messageOfSize(size: number): SipRequest {
  const parsed = parseSipMessage(buildRequest('MESSAGE', { to: 'sip:bob@example.com', body: 'x'.repeat(size) }));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('bad fixture');
  return parsed.message;
}
