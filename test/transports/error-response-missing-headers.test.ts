import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { buildErrorResponse } from '../../src/transports/error-response';

const decode = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

const HEAD = { via: ['SIP/2.0/UDP h;branch=z9hG4bK1'], from: '<sip:a@h>;tag=1', to: '<sip:b@h>', callId: 'c', cseq: '1 REGISTER' };

describe('buildErrorResponse without every mandatory header (RFC 3261 §8.1.1, §8.2.6)', () => {
  it.each(['from', 'to', 'callId', 'cseq'] as const)('answers a request without %s: the Via says where, the rest is copied', (missing) => {
    const text = decode(buildErrorResponse({ ...HEAD, [missing]: undefined }, 400, `Bad Request (missing-${missing})`, 't'));
    expect(text).toMatch(/^SIP\/2\.0 400 Bad Request \(missing-\w+\)\r\nVia: SIP\/2\.0\/UDP h;branch=z9hG4bK1\r\n/);
    expect(text).toContain('Content-Length: 0\r\n\r\n');
    const lines = {
      from: 'From: <sip:a@h>;tag=1\r\n', to: 'To: <sip:b@h>;tag=t\r\n', callId: 'Call-ID: c\r\n', cseq: 'CSeq: 1 REGISTER\r\n',
    };
    for (const [field, line] of Object.entries(lines)) {
      if (field === missing) expect(text).not.toContain(line.slice(0, line.indexOf(':') + 1));
      else expect(text).toContain(line);
    }
  });

  it('answers RFC 4475 §3.3.1 insuf (no Call-ID, From, To) with the Via and CSeq', () => {
    const bytes = readFileSync(fileURLToPath(new URL('../fixtures/rfc4475/invalid/insuf.dat', import.meta.url)));
    const parsed = parseSipMessage(bytes);
    if (parsed.ok || parsed.error.partial === undefined) throw new Error('insuf must be rejected with a partial head');
    expect(decode(buildErrorResponse(parsed.error.partial, 400, `Bad Request (${parsed.error.reason})`, 't'))).toBe(
      'SIP/2.0 400 Bad Request (missing-from)\r\nVia: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\nCSeq: 193942 INVITE\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('copies no value holding a control character (a NUL would go back on the wire)', () => {
    const text = decode(buildErrorResponse({ ...HEAD, to: '<sip:b@h>\0', via: [...HEAD.via, 'SIP/2.0/UDP x\0;branch=z9hG4bK2'] }, 400, 'Bad Request', 't'));
    expect(text).toBe('SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n');
  });

  it('builds nothing without a Via: there is nowhere to answer (RFC 3261 §18.2.2)', () => {
    expect(buildErrorResponse({ ...HEAD, via: [] }, 400, 'Bad Request', 't')).toBeUndefined();
    expect(buildErrorResponse({ ...HEAD, via: ['SIP/2.0/UDP x\0'] }, 400, 'Bad Request', 't')).toBeUndefined();
  });
});
