import { parseSipMessage, parseSipMessageWithGrammar } from '../../src/sip/sip-parser';
import type { ParseResult } from '../../src/sip/sip-parser';
import type { NameAddrValue, SipMessage, SipRequest } from '../../src/sip/message';

function ok(r: ParseResult): SipMessage {
  if (!r.ok) throw new Error('expected a message, got ' + r.error.reason);
  return r.message;
}

function request(r: ParseResult): SipRequest {
  const m = ok(r);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

function contacts(m: SipMessage): readonly NameAddrValue[] {
  if (m.contacts === '*') throw new Error('unexpected *');
  return m.contacts;
}

const HEAD = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport',
  'To: <sip:alice@example.com>',
  'From: <sip:alice@example.com>;tag=f1',
  'Call-ID: c1@h',
  'CSeq: 3 REGISTER',
];

function reg(extra: readonly string[], eol = '\r\n', body = ''): string {
  return [...HEAD, ...extra].join(eol) + eol + eol + body;
}

describe('parseSipMessage: framing and header forms', () => {
  it('parses a REGISTER on the scanner tier with every registrar field', () => {
    const r = parseSipMessage(
      reg([
        'Max-Forwards: 70',
        'Contact: <sip:alice@192.0.2.1:5060;transport=udp>;expires=60;+sip.instance="<urn:uuid:0000>";reg-id=1;Q=0.5',
        'Expires: 3600',
        'Supported: Path, GRUU',
        'Require: outbound',
        'Proxy-Require: foo',
        'Allow: invite, ACK',
        'User-Agent: Phone/1.0 (x)',
        'Feature-Caps: *;+sip.pns="apns", *;+g.3gpp.x',
        'Path: <sip:edge;lr>',
        'Content-Length: 0',
      ]),
    );
    expect(r.ok && r.tier).toBe('scanner');
    const m = request(r);
    expect(m.method).toBe('REGISTER');
    expect(m.uri).toBe('sip:example.com');
    expect(m.via).toEqual([
      { raw: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport', transport: 'UDP', host: '192.0.2.1', port: 5060, branch: 'z9hG4bKa', rport: true },
    ]);
    expect(m.from).toEqual({ raw: '<sip:alice@example.com>;tag=f1', uri: 'sip:alice@example.com', params: { tag: 'f1' } });
    expect(m.to.params.tag).toBeUndefined();
    expect(m.callId).toBe('c1@h');
    expect(m.cseq).toEqual({ seq: 3, method: 'REGISTER' });
    expect(contacts(m)).toEqual([
      {
        raw: '<sip:alice@192.0.2.1:5060;transport=udp>;expires=60;+sip.instance="<urn:uuid:0000>";reg-id=1;Q=0.5',
        uri: 'sip:alice@192.0.2.1:5060;transport=udp',
        params: { expires: '60', '+sip.instance': '"<urn:uuid:0000>"', 'reg-id': '1', q: '0.5' },
      },
    ]);
    expect(m.expires).toBe(3600);
    expect(m.maxForwards).toBe(70);
    expect(m.supported).toEqual(['path', 'gruu']);
    expect(m.require).toEqual(['outbound']);
    expect(m.proxyRequire).toEqual(['foo']);
    expect(m.allow).toEqual(['INVITE', 'ACK']);
    expect(m.userAgent).toBe('Phone/1.0 (x)');
    expect(m.featureCaps).toEqual(['*;+sip.pns="apns"', '*;+g.3gpp.x']);
    expect(m.path.map((p) => p.uri)).toEqual(['sip:edge;lr']);
    expect(m.body.length).toBe(0);
  });

  it('accepts compact header names and answers header() in both forms, case-insensitively', () => {
    const m = ok(
      parseSipMessage(
        [
          'REGISTER sip:example.com SIP/2.0',
          'v: SIP/2.0/TCP h.example.com;branch=z9hG4bKb',
          't: sip:bob@example.com',
          'f: sip:bob@example.com;tag=9',
          'i: compact@h',
          'CSeq: 1 REGISTER',
          'm: <sip:bob@h.example.com>',
          'k: path',
          'l: 0',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    expect(m.callId).toBe('compact@h');
    expect(m.via[0].transport).toBe('TCP');
    expect(m.supported).toEqual(['path']);
    expect(m.header('Call-ID')).toBe('compact@h');
    expect(m.header('CALL-id')).toBe('compact@h');
    expect(m.header('i')).toBe('compact@h');
    expect(m.header('contact')).toBe('<sip:bob@h.example.com>');
    expect(m.header('M')).toBe('<sip:bob@h.example.com>');
    expect(m.headerAll('Content-Length')).toEqual(['0']);
    expect(m.header('X-Absent')).toBeUndefined();
    expect(m.headers[0]).toEqual({ name: 'v', value: 'SIP/2.0/TCP h.example.com;branch=z9hG4bKb' });
  });

  it('unfolds continuation lines into one space and keeps one entry per header line', () => {
    const m = ok(
      parseSipMessage(
        reg(['Contact: <sip:a@192.0.2.5>;expires=10,', '   <sip:b@192.0.2.6>', '\t ;q=0.2', 'Contact: <sip:c@192.0.2.7>', 'Subject:', ' folded   ', ' value']),
      ),
    );
    expect(m.headerAll('contact')).toEqual(['<sip:a@192.0.2.5>;expires=10, <sip:b@192.0.2.6> ;q=0.2', '<sip:c@192.0.2.7>']);
    expect(contacts(m).map((c) => [c.uri, c.params])).toEqual([
      ['sip:a@192.0.2.5', { expires: '10' }],
      ['sip:b@192.0.2.6', { q: '0.2' }],
      ['sip:c@192.0.2.7', {}],
    ]);
    expect(m.header('subject')).toBe('folded value');
  });

  it('accepts bare LF line ends like CRLF', () => {
    const crlf = ok(parseSipMessage(reg(['Contact: <sip:a@192.0.2.5>'])));
    const lf = ok(parseSipMessage(reg(['Contact: <sip:a@192.0.2.5>'], '\n')));
    expect(lf.headers).toEqual(crlf.headers);
    expect(contacts(lf)[0].uri).toBe('sip:a@192.0.2.5');
  });

  it('reads the wildcard Contact', () => {
    expect(ok(parseSipMessage(reg(['Contact: *', 'Expires: 0']))).contacts).toBe('*');
    const r = parseSipMessage(reg(['Contact: *', 'Contact: <sip:a@b.example>']));
    expect(r.ok).toBe(false);
  });

  it('keeps commas inside quoted display names and unescapes them', () => {
    const m = ok(parseSipMessage(reg(['Contact: "Doe, \\"JD\\" John" <sip:jd@192.0.2.8>;q=1, Jane Roe <sip:jr@192.0.2.9>'])));
    expect(contacts(m).map((c) => [c.displayName, c.uri])).toEqual([
      ['Doe, "JD" John', 'sip:jd@192.0.2.8'],
      ['Jane Roe', 'sip:jr@192.0.2.9'],
    ]);
  });

  it('keeps IPv6 references in Via, URIs and received', () => {
    const m = ok(
      parseSipMessage(
        [
          'REGISTER sip:[2001:db8::1]:5060 SIP/2.0',
          'Via: SIP/2.0/UDP [2001:db8::2]:5062;branch=z9hG4bKc;received=2001:db8::3;rport=5062',
          'To: <sip:u@[2001:db8::1]>',
          'From: <sip:u@[2001:db8::1]>;tag=1',
          'Call-ID: v6@h',
          'CSeq: 1 REGISTER',
          'Contact: <sip:u@[2001:DB8::2]:5062>',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    expect(m.via[0]).toMatchObject({ host: '[2001:db8::2]', port: 5062, received: '2001:db8::3', rport: 5062 });
    expect(contacts(m)[0].uri).toBe('sip:u@[2001:DB8::2]:5062');
  });

  it('frames the body by Content-Length and discards extra octets (RFC 3261 §18.3)', () => {
    const m = ok(parseSipMessage(reg(['Content-Type: text/plain', 'Content-Length: 5'], '\r\n', 'helloEXTRA')));
    expect(Buffer.from(m.body).toString()).toBe('hello');
    const noLength = ok(parseSipMessage(reg([], '\r\n', 'rest of datagram')));
    expect(Buffer.from(noLength.body).toString()).toBe('rest of datagram');
  });

  it('decodes UTF-8 when the message has non-ASCII octets', () => {
    const m = ok(parseSipMessage(Buffer.from(reg(['Contact: "Zoë" <sip:zoe@192.0.2.9>', 'User-Agent: Téléphone']), 'utf8')));
    expect(contacts(m)[0].displayName).toBe('Zoë');
    expect(m.userAgent).toBe('Téléphone');
  });

  it('parses responses', () => {
    const m = ok(
      parseSipMessage(
        ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa', 'To: <sip:a@b.example>;tag=t', 'From: <sip:a@b.example>;tag=f', 'Call-ID: x@y', 'CSeq: 4 REGISTER', 'Contact: <sip:a@192.0.2.1>;expires=30', '', ''].join('\r\n'),
      ),
    );
    expect(m.kind === 'response' && [m.status, m.reason]).toEqual([200, 'OK']);
    expect(m.to.params.tag).toBe('t');
  });
});

describe('parseSipMessage: rejections carry what a 400 needs', () => {
  it.each([
    ['missing Via', HEAD.filter((l) => !l.startsWith('Via')), 'missing-via'],
    ['missing From', HEAD.filter((l) => !l.startsWith('From')), 'missing-from'],
    ['missing To', HEAD.filter((l) => !l.startsWith('To')), 'missing-to'],
    ['missing Call-ID', HEAD.filter((l) => !l.startsWith('Call-ID')), 'missing-call-id'],
    ['missing CSeq', HEAD.filter((l) => !l.startsWith('CSeq')), 'missing-cseq'],
    ['CSeq method mismatch', HEAD.map((l) => (l.startsWith('CSeq') ? 'CSeq: 3 INVITE' : l)), 'cseq-method-mismatch'],
    ['duplicate Call-ID', [...HEAD, 'i: other@h'], 'multiple-call-id'],
  ])('%s', (_name, lines, reason) => {
    const r = parseSipMessage(lines.join('\r\n') + '\r\n\r\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(reason);
    expect(r.error.partial?.via.length).toBe(lines.some((l) => l.startsWith('Via')) ? 1 : 0);
  });

  it('rejects a Content-Length beyond the received bytes', () => {
    const r = parseSipMessage(reg(['Content-Length: 50'], '\r\n', 'short'));
    expect(r.ok || r.error.reason).toBe('content-length-exceeds-body');
  });

  it('rejects more Contact values than maxContacts, flagged as such', () => {
    const many = Array.from({ length: 5 }, (_, i) => `<sip:u${i}@192.0.2.${i}>`).join(', ');
    expect(parseSipMessage(reg(['Contact: ' + many])).ok).toBe(true);
    const r = parseSipMessage(reg(['Contact: ' + many]), { maxContacts: 4 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ reason: 'too-many-contacts', tooManyContacts: true });
    expect(r.error.partial).toMatchObject({ callId: 'c1@h', cseq: '3 REGISTER', from: '<sip:alice@example.com>;tag=f1' });
  });

  it('gives the raw Via values of a message whose Contact is malformed', () => {
    const r = parseSipMessage(reg(['Contact: <sip:bad host>']));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.partial?.via).toEqual(['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport']);
  });

  it('treats an out-of-range Expires as absent and rejects a Max-Forwards above 255 (RFC 4475 §3.1.2.4, RFC 3261 §20.22)', () => {
    expect(ok(parseSipMessage(reg(['Expires: 99999999999', 'Max-Forwards: 70']))).expires).toBeUndefined();
    const r = parseSipMessage(reg(['Max-Forwards: 300']));
    expect(!r.ok && r.error.reason).toBe('bad-max-forwards');
  });
});

describe('parseSipMessage: tiers and ownership', () => {
  it('falls back to the grammar for what the scanner declines, and strict always uses it', () => {
    const odd = reg(['Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKz;received=host.example']);
    const r = parseSipMessage(odd);
    expect(r.ok && r.tier).toBe('grammar');
    const strict = parseSipMessage(reg([]), { strict: true });
    expect(strict.ok && strict.tier).toBe('grammar');
    expect(parseSipMessageWithGrammar(reg([])).ok).toBe(true);
  });

  it('copies every kept string out of the datagram: mutating the buffer afterwards changes nothing', () => {
    const datagram = Buffer.from(reg(['Contact: "Al" <sip:alice@192.0.2.1:5060>;expires=60;+sip.instance="<urn:uuid:1234567890abcdef>"', 'User-Agent: SomePhone 1.2.3'], '\r\n', ''), 'latin1');
    const m = ok(parseSipMessage(datagram));
    const before = JSON.stringify({ ...m, contacts: m.contacts, headers: m.headers });
    datagram.fill(0x78);
    expect(JSON.stringify({ ...m, contacts: m.contacts, headers: m.headers })).toBe(before);
    expect(contacts(m)[0].params['+sip.instance']).toBe('"<urn:uuid:1234567890abcdef>"');
  });

  it('copies the body too', () => {
    const datagram = Buffer.from(reg(['Content-Length: 4'], '\r\n', 'body'));
    const m = ok(parseSipMessage(datagram));
    datagram.fill(0);
    expect(Buffer.from(m.body).toString()).toBe('body');
  });
});
