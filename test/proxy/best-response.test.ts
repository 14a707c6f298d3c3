import { describe, expect, it } from '@jest/globals';
import { bestResponse, type BranchFinal } from '../../src/proxy/best-response';
import type { SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';

/** A branch's final response as a callee would send it, parsed. */
function received(status: number, reason: string, extra: readonly string[] = []): BranchFinal {
  const text = [
    `SIP/2.0 ${status} ${reason}`,
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-fk-1',
    'Via: SIP/2.0/UDP 198.51.100.9:5070;branch=z9hG4bK-caller',
    'From: <sip:alice@example.com>;tag=a',
    'To: <sip:bob@example.com>;tag=b',
    'Call-ID: best@example.com',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseSipMessage(text);
  if (!parsed.ok || parsed.message.kind !== 'response') throw new Error('test response does not parse');
  const response: SipResponse = parsed.message;
  return { status, reason, response };
}

const statusOf = (...finals: BranchFinal[]): number => bestResponse(finals).status;

describe('bestResponse (RFC 3261 §16.7 steps 6 and 7)', () => {
  it('answers 408 when no branch answered at all', () => {
    expect(bestResponse([])).toEqual({ status: 408, reason: 'Request Timeout', extraHeaders: [] });
  });

  it('prefers a 6xx over everything, then the lowest class: 3xx over 4xx over 5xx', () => {
    expect(statusOf(received(486, 'Busy Here'), received(603, 'Decline'), received(302, 'Moved'))).toBe(603);
    expect(statusOf(received(486, 'Busy Here'), received(302, 'Moved'), received(500, 'Oops'))).toBe(302);
    expect(statusOf(received(500, 'Oops'), received(404, 'Not Found'))).toBe(404);
  });

  it('within 4xx, prefers what the caller can act on and ranks a timeout last', () => {
    expect(statusOf(received(486, 'Busy Here'), received(484, 'Address Incomplete'))).toBe(484);
    expect(statusOf({ status: 408, reason: 'Request Timeout' }, received(480, 'Temporarily Unavailable'))).toBe(480);
    expect(statusOf({ status: 408, reason: 'Request Timeout' }, received(500, 'Oops'))).toBe(408);
  });

  it('relays the chosen branch response itself; a stand-in has none', () => {
    const busy = received(486, 'Busy Here');
    expect(bestResponse([busy]).response).toBe(busy.response);
    expect(bestResponse([{ status: 480, reason: 'Temporarily Unavailable' }]).response).toBeUndefined();
  });

  it('sends a chosen 503 as 500, built by the proxy', () => {
    expect(bestResponse([received(503, 'Service Unavailable', ['Retry-After: 30'])])).toEqual({ status: 500, reason: 'Server Internal Error', extraHeaders: [] });
    expect(statusOf(received(503, 'Service Unavailable'), received(502, 'Bad Gateway'))).toBe(502);
  });

  it('adds the WWW-Authenticate and Proxy-Authenticate values of every other 401/407 to the chosen one', () => {
    const www = received(401, 'Unauthorized', ['WWW-Authenticate: Digest realm="a", nonce="1"']);
    const proxy = received(407, 'Proxy Authentication Required', ['Proxy-Authenticate: Digest realm="b", nonce="2"', 'Proxy-Authenticate: Digest realm="c", nonce="3"']);
    const chosen = bestResponse([proxy, received(486, 'Busy Here'), www]);
    expect(chosen.status).toBe(401);
    expect(chosen.response).toBe(www.response);
    expect(chosen.extraHeaders).toEqual([
      ['Proxy-Authenticate', 'Digest realm="b", nonce="2"'],
      ['Proxy-Authenticate', 'Digest realm="c", nonce="3"'],
    ]);
  });

  it('adds no challenge when the chosen response is not a 401/407', () => {
    const proxy = received(407, 'Proxy Authentication Required', ['Proxy-Authenticate: Digest realm="b", nonce="2"']);
    expect(bestResponse([proxy, received(302, 'Moved')]).extraHeaders).toEqual([]);
  });
});
