import { parseSipMessage, parseSipMessageWithGrammar } from '../../src/sip/sip-parser';
import type { ParseResult } from '../../src/sip/sip-parser';
import type { NameAddrValue, SipMessage } from '../../src/sip/message';
import { REGISTER_CORPUS } from './register-corpus';

function ok(r: ParseResult): SipMessage {
  if (!r.ok) throw new Error('expected a message, got ' + r.error.reason);
  return r.message;
}

function contacts(m: SipMessage): readonly NameAddrValue[] {
  if (m.contacts === '*') throw new Error('unexpected *');
  return m.contacts;
}

const FOLDED = [
  'REGISTER sip:example.com SIP/2.0',
  'v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa',
  'To: <sip:alice@example.com>',
  'FROM: <sip:alice@example.com>',
  '  ;tag=f1',
  'Call-ID: c1@h',
  'CSeq: 3 REGISTER',
  'X-Custom:   first',
  '\t second  ',
  'X-Custom: again',
  'm: <sip:alice@192.0.2.1>;expires=60',
  'Expires: 120',
  'l: 0',
  '',
  '',
].join('\r\n');

describe('header lines materialised on first read (RFC 3261 §7.3)', () => {
  it('gives the same header list as the grammar tier for every corpus REGISTER', () => {
    for (const { name, text } of REGISTER_CORPUS) {
      const scanned = parseSipMessage(Buffer.from(text, 'utf8'));
      const grammar = parseSipMessageWithGrammar(Buffer.from(text, 'utf8'));
      expect([name, scanned.ok && scanned.tier]).toEqual([name, 'scanner']);
      expect(ok(scanned).headers).toEqual(ok(grammar).headers);
    }
  });

  it('unfolds continuation lines and keeps compact and odd-case names as sent', () => {
    const m = ok(parseSipMessage(Buffer.from(FOLDED, 'latin1')));
    expect(m.from.params.tag).toBe('f1');
    expect(m.headers.map((h) => h.name)).toEqual(['v', 'To', 'FROM', 'Call-ID', 'CSeq', 'X-Custom', 'X-Custom', 'm', 'Expires', 'l']);
    expect(m.headers[2].value).toBe('<sip:alice@example.com> ;tag=f1');
    expect(m.headers[5].value).toBe('first second');
    expect(m.headers).toEqual(ok(parseSipMessageWithGrammar(FOLDED)).headers);
  });

  it('answers header() and headerAll() the same before and after the list is built, and caches the list', () => {
    const lazy = ok(parseSipMessage(Buffer.from(FOLDED, 'latin1')));
    const before = [lazy.header('x-custom'), lazy.headerAll('X-CUSTOM'), lazy.header('contact'), lazy.header('Via'), lazy.header('content-length'), lazy.header('absent'), lazy.headerAll('absent')];
    expect(before).toEqual(['first second', ['first second', 'again'], '<sip:alice@192.0.2.1>;expires=60', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa', '0', undefined, []]);
    const list = lazy.headers;
    expect(lazy.headers).toBe(list);
    expect([lazy.header('x-custom'), lazy.headerAll('X-CUSTOM'), lazy.header('contact'), lazy.header('Via'), lazy.header('content-length'), lazy.header('absent'), lazy.headerAll('absent')]).toEqual(before);
  });

  it('finds the credentials lines by name without building the list, as owned copies equal to the grammar tier\'s', () => {
    const text = [
      'REGISTER sip:example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa',
      'To: <sip:kim@example.com>',
      'From: <sip:kim@example.com>;tag=f1',
      'Call-ID: c1@h',
      'CSeq: 1 REGISTER',
      'authorization: Digest username="kim", realm="a.example.com",',
      '\t nonce="n1"',
      'Proxy-Authorization: Digest username="kim", realm="proxy.example.com", nonce="p1"',
      'AUTHORIZATION:   Digest username="kim", realm="example.com", nonce="n2"  ',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const datagram = Buffer.from(text, 'latin1');
    const m = ok(parseSipMessage(datagram));
    const read = (): unknown[] => [m.header('Authorization'), m.headerAll('authorization'), m.header('proxy-authorization'), m.headerAll('Proxy-Authorization'), m.header('x-absent')];
    const expected = [
      'Digest username="kim", realm="a.example.com", nonce="n1"',
      ['Digest username="kim", realm="a.example.com", nonce="n1"', 'Digest username="kim", realm="example.com", nonce="n2"'],
      'Digest username="kim", realm="proxy.example.com", nonce="p1"',
      ['Digest username="kim", realm="proxy.example.com", nonce="p1"'],
      undefined,
    ];
    const grammar = ok(parseSipMessageWithGrammar(text));
    expect([grammar.header('Authorization'), grammar.headerAll('authorization'), grammar.header('proxy-authorization'), grammar.headerAll('Proxy-Authorization'), grammar.header('x-absent')]).toEqual(expected);
    const before = read();
    expect(read()).toEqual(expected);
    datagram.fill(0x78);
    expect(before).toEqual(expected);
    const none = ok(parseSipMessage(Buffer.from(FOLDED, 'latin1')));
    expect([none.header('Authorization'), none.headerAll('Proxy-Authorization')]).toEqual([undefined, []]);
  });

  it('returns an empty body, the same object on every read, when there is none', () => {
    const m = ok(parseSipMessage(Buffer.from(FOLDED, 'latin1')));
    expect(m.body.length).toBe(0);
    expect(m.body).toBe(m.body);
  });

  it('copies the kept strings out of the datagram even when the header list is never read', () => {
    const datagram = Buffer.from(
      [
        'REGISTER sip:example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlonger-branch-value;rport',
        'From: "Alice" <sip:alice-with-a-long-name@example.com>;tag=f1-long-tag-value',
        'To: <sip:alice-with-a-long-name@example.com>',
        'Call-ID: a-long-call-id-value@192.0.2.1',
        'CSeq: 7 REGISTER',
        'Contact: <sip:alice-with-a-long-name@192.0.2.1:5060;transport=udp>;expires=60;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1, <sip:second-contact@192.0.2.1>',
        'Path: <sip:edge-proxy.example.com;lr>',
        'User-Agent: SomePhone 1.2.3 (long)',
        'Supported: path, gruu, outbound, X-Custom-Tag',
        'Allow: INVITE, ack, MESSAGE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      'latin1',
    );
    const m = ok(parseSipMessage(datagram));
    const kept = JSON.stringify({ ...m, contacts: m.contacts });
    datagram.fill(0x78);
    expect(JSON.stringify({ ...m, contacts: m.contacts })).toBe(kept);
    const [first, second] = contacts(m);
    expect(first.uri).toBe('sip:alice-with-a-long-name@192.0.2.1:5060;transport=udp');
    expect(first.params['+sip.instance']).toBe('"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
    expect(second.uri).toBe('sip:second-contact@192.0.2.1');
    expect(m.path[0].uri).toBe('sip:edge-proxy.example.com;lr');
    expect(m.supported).toEqual(['path', 'gruu', 'outbound', 'x-custom-tag']);
    expect(m.allow).toEqual(['INVITE', 'ACK', 'MESSAGE']);
    expect(m.userAgent).toBe('SomePhone 1.2.3 (long)');
  });

  it('reads a non-ASCII datagram as UTF-8 with the same fields as the grammar tier', () => {
    const text = [
      'REGISTER sip:example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa',
      'From: "Jürgen Größe" <sip:juergen@example.com>;tag=f1',
      'To: "Jürgen Größe" <sip:juergen@example.com>',
      'Call-ID: c1@h',
      'CSeq: 1 REGISTER',
      'Contact: "Jürgen" <sip:juergen@192.0.2.1:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"',
      'User-Agent: Téléphone/1.0',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const scanned = ok(parseSipMessage(Buffer.from(text, 'utf8')));
    const grammar = ok(parseSipMessageWithGrammar(Buffer.from(text, 'utf8')));
    expect(scanned.from).toEqual(grammar.from);
    expect(scanned.contacts).toEqual(grammar.contacts);
    expect(scanned.userAgent).toBe('Téléphone/1.0');
    expect(scanned.headers).toEqual(grammar.headers);
  });
});
