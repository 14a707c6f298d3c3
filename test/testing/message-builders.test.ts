import { ConfigError } from '../../src/errors/sdk-error';
import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest, SipResponse } from '../../src/sip/message';
import { IdSequence, buildRegister, buildRequest, buildResponseText } from '../../src/testing/message-builders';

function parse(text: string): SipRequest | SipResponse {
  const parsed = parseSipMessage(text, { strict: true });
  if (!parsed.ok) throw new Error(`does not parse (${parsed.error.reason}):\n${text}`);
  return parsed.message;
}

function parseRequest(text: string): SipRequest {
  const message = parse(text);
  if (message.kind !== 'request') throw new Error('expected a request');
  return message;
}

describe('IdSequence', () => {
  it('is deterministic for a seed and unique within a sequence', () => {
    const a = new IdSequence('s');
    const b = new IdSequence('s');
    expect([a.next(), a.next(), a.next()]).toEqual(['s-1', 's-2', 's-3']);
    expect(b.next()).toBe('s-1');
    const values = new Set(Array.from({ length: 1000 }, () => a.next()));
    expect(values.size).toBe(1000);
  });

  it('is seeded randomly by default', () => {
    expect(new IdSequence().next()).not.toBe(new IdSequence().next());
  });
});

describe('buildRegister', () => {
  it('builds the exact text for a seeded sequence', () => {
    expect(buildRegister({ aor: 'sip:alice@example.com', ids: new IdSequence('t') })).toBe(
      [
        'REGISTER sip:example.com SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t-1',
        'Max-Forwards: 70',
        'From: <sip:alice@example.com>;tag=t-2',
        'To: <sip:alice@example.com>',
        'Call-ID: t-3@sipreg.test',
        'CSeq: 1 REGISTER',
        'Contact: <sip:alice@127.0.0.1:5070>',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('writes every option so that the strict grammar parses it back', () => {
    const r = parseRequest(
      buildRegister({
        aor: 'sips:bob@example.org',
        contacts: [
          'sip:bob@192.0.2.5:5060;transport=tcp',
          '"Bob" <sip:bob@192.0.2.6>',
          { uri: 'sip:bob@192.0.2.7', expires: 600, q: 0.5, params: { '+sip.instance': '"<urn:uuid:00000000-0000-0000-0000-000000000001>"', 'reg-id': '1', ob: null } },
        ],
        callId: 'call-1',
        cseq: 42,
        expires: 1800,
        fromTag: 'ft',
        via: { host: '192.0.2.5', port: 5062, transport: 'TCP', branch: 'z9hG4bK-b', rport: true },
        headers: [['X-Custom', 'one'], ['X-Custom', 'two']],
        userAgent: 'sipreg-test/1',
        supported: ['path', 'outbound', 'gruu'],
        require: ['path'],
        allow: ['INVITE', 'ACK', 'BYE'],
        path: ['sip:edge1.example.org;lr', '<sip:edge2.example.org;lr>'],
        requestUri: 'sips:registrar.example.org',
        body: 'héllo',
        contentType: 'text/plain;charset=utf-8',
      }),
    );
    expect(r.uri).toBe('sips:registrar.example.org');
    expect(r.via[0]).toMatchObject({ transport: 'TCP', host: '192.0.2.5', port: 5062, branch: 'z9hG4bK-b', rport: true });
    expect(r.from).toMatchObject({ uri: 'sips:bob@example.org', params: { tag: 'ft' } });
    expect(r.to.uri).toBe('sips:bob@example.org');
    expect([r.callId, r.cseq.seq, r.cseq.method, r.expires]).toEqual(['call-1', 42, 'REGISTER', 1800]);
    expect(r.contacts).toHaveLength(3);
    const contacts = r.contacts as Exclude<typeof r.contacts, '*'>;
    expect(contacts[1]).toMatchObject({ displayName: 'Bob', uri: 'sip:bob@192.0.2.6' });
    expect(contacts[2].params).toEqual({
      expires: '600',
      q: '0.5',
      '+sip.instance': '"<urn:uuid:00000000-0000-0000-0000-000000000001>"',
      'reg-id': '1',
      ob: null,
    });
    expect(r.path.map((p) => p.uri)).toEqual(['sip:edge1.example.org;lr', 'sip:edge2.example.org;lr']);
    expect([r.supported, r.require, r.allow, r.userAgent]).toEqual([['path', 'outbound', 'gruu'], ['path'], ['INVITE', 'ACK', 'BYE'], 'sipreg-test/1']);
    expect(r.headerAll('x-custom')).toEqual(['one', 'two']);
    expect(new TextDecoder().decode(r.body)).toBe('héllo');
  });

  it('writes Contact: * with Expires: 0 by default, and no Contact for a query', () => {
    const star = parseRequest(buildRegister({ aor: 'sip:a@example.com', contacts: '*' }));
    expect([star.contacts, star.expires]).toEqual(['*', 0]);
    expect(parseRequest(buildRegister({ aor: 'sip:a@example.com', contacts: [] })).contacts).toEqual([]);
  });

  it('derives a default contact with the Via transport and brackets IPv6', () => {
    const r = parseRequest(buildRegister({ aor: 'sip:a@example.com', via: { host: '::1', port: 5080, transport: 'TCP' } }));
    expect(r.contacts).toMatchObject([{ uri: 'sip:a@[::1]:5080;transport=tcp' }]);
    expect(r.via[0].host).toBe('[::1]');
  });

  it('defaults are unique across calls', () => {
    const a = parseRequest(buildRegister({ aor: 'sip:a@example.com' }));
    const b = parseRequest(buildRegister({ aor: 'sip:a@example.com' }));
    expect(a.callId).not.toBe(b.callId);
    expect(a.via[0].branch).not.toBe(b.via[0].branch);
    expect(a.from.params.tag).not.toBe(b.from.params.tag);
  });
});

describe('buildRequest', () => {
  it.each(['INVITE', 'OPTIONS', 'MESSAGE', 'SUBSCRIBE'])('builds a parseable %s', (method) => {
    const r = parseRequest(buildRequest(method, { to: '"Alice" <sip:alice@example.com>', toTag: 'tt', contacts: ['sip:me@192.0.2.1'] }));
    expect([r.method, r.uri, r.cseq.method, r.to.params.tag, r.to.displayName]).toEqual([method, 'sip:alice@example.com', method, 'tt', 'Alice']);
    expect(r.from.uri).toBe('sip:tester@127.0.0.1');
  });

  it('counts the body in UTF-8 bytes and adds Content-Type', () => {
    const text = buildRequest('MESSAGE', { body: '€uro', contentType: 'text/plain' });
    expect(text).toContain('Content-Type: text/plain\r\nContent-Length: 6\r\n\r\n€uro');
    expect(new TextDecoder().decode(parseRequest(text).body)).toBe('€uro');
  });
});

describe('buildResponseText', () => {
  const request = buildRegister({ aor: 'sip:alice@example.com', via: { rport: true }, ids: new IdSequence('r') });

  it('copies Via/From/To/Call-ID/CSeq, adds a To tag and the extra headers', () => {
    const response = parse(buildResponseText(request, 401, 'Unauthorized', { 'WWW-Authenticate': 'Digest realm="example.com", nonce="n"' }));
    const original = parseRequest(request);
    if (response.kind !== 'response') throw new Error('expected a response');
    expect([response.status, response.reason, response.callId, response.cseq]).toEqual([401, 'Unauthorized', original.callId, original.cseq]);
    expect(response.via.map((v) => v.raw)).toEqual(original.via.map((v) => v.raw));
    expect(response.to.params.tag).toEqual(expect.any(String));
    expect(response.header('www-authenticate')).toBe('Digest realm="example.com", nonce="n"');
  });

  it('accepts bytes or a parsed request, an explicit To tag and a body; no tag on 100', () => {
    const bytes = new TextEncoder().encode(request);
    expect(buildResponseText(bytes, 200, 'OK', [], { toTag: 'mine' })).toContain(';tag=mine\r\n');
    expect(buildResponseText(parseRequest(request), 100, 'Trying')).toContain('\r\nTo: <sip:alice@example.com>\r\n');
    const withBody = parse(buildResponseText(request, 200, 'OK', undefined, { body: { contentType: 'text/plain', content: 'ok' } }));
    expect(new TextDecoder().decode(withBody.body)).toBe('ok');
  });

  it('throws ConfigError for something that is not a request', () => {
    expect(() => buildResponseText('nonsense', 200, 'OK')).toThrow(ConfigError);
    expect(() => buildResponseText(buildResponseText(request, 200, 'OK'), 200, 'OK')).toThrow(ConfigError);
  });
});
