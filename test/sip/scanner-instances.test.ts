import { SipScanner, scanSipMessage } from '../../src/sip/scanner';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { resolveParseOptions } from '../../src/sip/parse-result';
import type { SipRequest } from '../../src/sip/message';

/** What the scanner reuses between messages belongs to a SipScanner (one per transport), not to the module. */

const OPTIONS = resolveParseOptions();

function register(domain: string, extra: readonly string[]): Buffer {
  return Buffer.from([
    `REGISTER sip:${domain} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
    `To: <sip:alice@${domain}>`,
    `From: <sip:alice@${domain}>;tag=f1`,
    'Call-ID: c1@h',
    'CSeq: 3 REGISTER',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'), 'latin1');
}

function scanned(bytes: Buffer, scanner?: SipScanner): SipRequest {
  const r = scanSipMessage(bytes, OPTIONS, scanner);
  if (r === undefined || !r.ok || r.message.kind !== 'request') throw new Error('expected the scanner to parse a request');
  return r.message;
}

describe('SipScanner', () => {
  it('keeps the last Request-Line of its own messages only', () => {
    const a = new SipScanner();
    const b = new SipScanner();
    scanned(register('a.example', []), a);
    const seen = a.lastRequest;
    expect(seen).toEqual({ kind: 'request', method: 'REGISTER', uri: 'sip:a.example' });
    scanned(register('b.example', []), b);
    scanned(register('c.example', []));
    expect(a.lastRequest).toBe(seen);
    expect(b.lastRequest?.kind === 'request' && b.lastRequest.uri).toBe('sip:b.example');
    scanned(register('a.example', []), a);
    expect(a.lastRequest).toBe(seen);
  });

  it('reads each message right when scanners with other recent lists alternate', () => {
    const a = new SipScanner();
    const b = new SipScanner();
    const fromA = register('a.example', ['User-Agent: Desk/1', 'Allow: INVITE, ACK', 'Supported: path']);
    const fromB = register('b.example', ['User-Agent: Soft/2', 'Allow: MESSAGE', 'Supported: gruu, outbound']);
    for (let i = 0; i < 3; i++) {
      const ma = scanned(fromA, a);
      const mb = scanned(fromB, b);
      expect([ma.userAgent, ma.allow, ma.supported]).toEqual(['Desk/1', ['INVITE', 'ACK'], ['path']]);
      expect([mb.userAgent, mb.allow, mb.supported]).toEqual(['Soft/2', ['MESSAGE'], ['gruu', 'outbound']]);
    }
  });

  it('is what parseSipMessage scans with when given one', () => {
    const a = new SipScanner();
    const r = parseSipMessage(register('p.example', []), undefined, a);
    expect(r.ok).toBe(true);
    expect(a.lastRequest?.kind === 'request' && a.lastRequest.uri).toBe('sip:p.example');
  });
});
