import { buildResponse, responseToTag } from '../../src/sip/response';
import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest, SipResponse } from '../../src/sip/message';

const REGISTER = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport=5060;received=192.0.2.1',
  'To: "Alice" <sip:alice@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=f1',
  'Call-ID: c1@h',
  'CSeq: 7 REGISTER',
  'Contact: <sip:alice@192.0.2.1>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function parseRequest(text: string): SipRequest {
  const r = parseSipMessage(text);
  if (!r.ok || r.message.kind !== 'request') throw new Error('bad fixture');
  return r.message;
}

function parseResponse(bytes: Uint8Array): SipResponse {
  const r = parseSipMessage(bytes);
  if (!r.ok || r.message.kind !== 'response') throw new Error('response does not parse: ' + (r.ok ? 'request' : r.error.reason));
  return r.message;
}

describe('buildResponse (RFC 3261 §8.2.6)', () => {
  const req = parseRequest(REGISTER);

  it('copies Via values in order, From, To, Call-ID and CSeq, and ends with Content-Length: 0', () => {
    const bytes = buildResponse(req, 200, 'OK', {
      headers: [
        ['Contact', '<sip:alice@192.0.2.1>;expires=3600'],
        ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
      ],
    });
    const text = Buffer.from(bytes).toString();
    expect(text.startsWith('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge\r\nVia: SIP/2.0/UDP 192.0.2.1')).toBe(true);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    const res = parseResponse(bytes);
    expect(res.status).toBe(200);
    expect(res.via.map((v) => v.raw)).toEqual(req.via.map((v) => v.raw));
    expect(res.from.raw).toBe(req.from.raw);
    expect(res.callId).toBe('c1@h');
    expect(res.cseq).toEqual({ seq: 7, method: 'REGISTER' });
    expect(res.header('date')).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
    expect(res.contacts).toEqual([{ raw: '<sip:alice@192.0.2.1>;expires=3600', uri: 'sip:alice@192.0.2.1', params: { expires: '3600' } }]);
  });

  it('adds a deterministic To tag, the same for a retransmission', () => {
    const a = parseResponse(buildResponse(req, 200, 'OK'));
    const b = parseResponse(buildResponse(parseRequest(REGISTER), 200, 'OK'));
    expect(a.to.params.tag).toBe(responseToTag(req));
    expect(b.to.params.tag).toBe(a.to.params.tag);
    expect(a.to.displayName).toBe('Alice');
    const other = parseRequest(REGISTER.replace('c1@h', 'c2@h'));
    expect(responseToTag(other)).not.toBe(responseToTag(req));
  });

  it('uses the given To tag, keeps an existing one, and adds none to 100 Trying', () => {
    expect(parseResponse(buildResponse(req, 401, 'Unauthorized', { toTag: 'mine' })).to.params.tag).toBe('mine');
    const tagged = parseRequest(REGISTER.replace('To: "Alice" <sip:alice@example.com>', 'To: <sip:alice@example.com>;tag=old'));
    expect(parseResponse(buildResponse(tagged, 200, 'OK')).to.params.tag).toBe('old');
    expect(parseResponse(buildResponse(req, 100, 'Trying')).to.params.tag).toBeUndefined();
  });

  it('adds Content-Type and the UTF-8 byte length of a body', () => {
    const res = parseResponse(buildResponse(req, 200, 'OK', { body: { contentType: 'text/plain', content: 'héllo' } }));
    expect(res.header('content-type')).toBe('text/plain');
    expect(res.header('content-length')).toBe('6');
    expect(Buffer.from(res.body).toString()).toBe('héllo');
    const bin = parseResponse(buildResponse(req, 200, 'OK', { body: { contentType: 'application/octet-stream', content: new Uint8Array([1, 2, 3]) } }));
    expect([...bin.body]).toEqual([1, 2, 3]);
  });

  it('builds a 200 OK with many Contact values that parses back to the same bindings', () => {
    const contacts = Array.from({ length: 40 }, (_, i): [string, string] => ['Contact', `<sip:u@192.0.2.${i}:5060>;expires=${i + 60}`]);
    const res = parseResponse(buildResponse(req, 200, 'OK', { headers: contacts }));
    expect(res.contacts !== '*' && res.contacts.map((c) => c.params.expires)).toEqual(contacts.map((_, i) => String(i + 60)));
  });
});
