import { scanSipMessage } from '../../src/sip/scanner';
import { resolveParseOptions } from '../../src/sip/parse-result';
import type { SipMessage } from '../../src/sip/message';

const OPTIONS = resolveParseOptions();

function register(lines: readonly string[]): Buffer {
  return Buffer.from(
    [
      'REGISTER sip:example.com SIP/2.0',
      'To: <sip:alice@example.com>',
      'From: <sip:alice@example.com>;tag=f1',
      'Call-ID: c1@h',
      'CSeq: 3 REGISTER',
      ...lines,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

function scanned(lines: readonly string[]): SipMessage {
  const r = scanSipMessage(register(lines), OPTIONS);
  if (r === undefined || !r.ok) throw new Error('expected the scanner to parse the message');
  return r.message;
}

describe('scanner header-name framing (RFC 3261 §7.3.1)', () => {
  it('reads known names in their usual spelling, another case, compact form and with white space before the colon', () => {
    const m = scanned(['Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa', 'VIA : SIP/2.0/TCP h.example;branch=z9hG4bKb', 'v: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKc', 'EXPIRES\t: 60']);
    expect(m.via.map((v) => [v.transport, v.host, v.port, v.branch])).toEqual([
      ['UDP', '192.0.2.1', undefined, 'z9hG4bKa'],
      ['TCP', 'h.example', undefined, 'z9hG4bKb'],
      ['TLS', '[2001:db8::1]', 5061, 'z9hG4bKc'],
    ]);
    expect(m.expires).toBe(60);
  });

  it.each([
    ['a control character inside a known-looking name', 'Call\rID: x@h'],
    ['white space inside the name', 'Max Forwards: 70'],
    ['white space before the name', ' Expires: 60'],
    ['an empty name', ': 60'],
    ['a line without a colon', 'Expires 60'],
  ])('declines %s so that the grammar decides', (_what, line) => {
    const bytes = register(['Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa', line]);
    expect(scanSipMessage(bytes, OPTIONS)).toBeUndefined();
  });
});

describe('scanner Via parameters (RFC 3261 §20.42, RFC 3581 §3)', () => {
  it('keeps the last of repeated parameters and checks only that one', () => {
    const m = scanned(['Via: SIP/2.0/UDP 192.0.2.1;ttl=999;branch=z9hG4bKa;ttl=1;RPORT;branch=z9hG4bKb;received=192.0.2.9']);
    expect(m.via[0]).toEqual({ raw: 'SIP/2.0/UDP 192.0.2.1;ttl=999;branch=z9hG4bKa;ttl=1;RPORT;branch=z9hG4bKb;received=192.0.2.9', transport: 'UDP', host: '192.0.2.1', branch: 'z9hG4bKb', received: '192.0.2.9', rport: true });
  });

  it('decodes rport with a value and reads a bare IPv6 received', () => {
    const m = scanned(['Via: SIP/2.0/UDP 192.0.2.1:5060 ; rport=4711 ; received=2001:db8::9 ; branch=z9hG4bKa']);
    expect([m.via[0].port, m.via[0].rport, m.via[0].received, m.via[0].branch]).toEqual([5060, 4711, '2001:db8::9', 'z9hG4bKa']);
  });

  it.each([
    ['a received that is not an address', 'received=host.example'],
    ['an rport beyond 65535', 'rport=70000'],
    ['a ttl beyond 255', 'ttl=256'],
    ['a branch without value', 'branch'],
    ['a bad maddr', 'maddr=-bad-'],
  ])('declines %s', (_what, param) => {
    expect(scanSipMessage(register([`Via: SIP/2.0/UDP 192.0.2.1;${param}`]), OPTIONS)).toBeUndefined();
  });
});
