import fc from 'fast-check';
import { serializeMessage, serializeRequest } from '../../src/sip/serialize';
import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest } from '../../src/sip/message';
import { REGISTER_CORPUS } from './register-corpus';
import { extractFields } from './extract-fields';

function parseRequest(bytes: Uint8Array | string): SipRequest {
  const r = parseSipMessage(bytes);
  if (!r.ok || r.message.kind !== 'request') throw new Error('does not parse: ' + (r.ok ? 'response' : r.error.reason));
  return r.message;
}

const INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa',
  'Max-Forwards: 70',
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'To: <sip:bob@example.com>',
  'From: <sip:alice@example.com>;tag=1',
  'Call-ID: inv@h',
  'CSeq: 1 INVITE',
  'Content-Type: application/sdp',
  'l: 4',
  '',
  'v=0\r\n',
].join('\r\n');

describe('serializeMessage (round trip)', () => {
  it.each(REGISTER_CORPUS.map((c) => [c.name, c.text] as const))('%s: parse ∘ serialize ∘ parse keeps every field', (_name, text) => {
    const first = parseRequest(text);
    const second = parseRequest(serializeMessage(first));
    expect(extractFields(second)).toEqual(extractFields(first));
  });

  it('holds for generated REGISTERs (property)', () => {
    const token = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(
        fc.record({
          user: token,
          tag: token,
          callId: token,
          seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          contacts: fc.array(fc.record({ user: token, octet: fc.nat(255), expires: fc.option(fc.nat(100000), { nil: undefined }) }), { maxLength: 5 }),
          display: fc.option(fc.stringMatching(/^[A-Za-z ,]{0,12}$/), { nil: undefined }),
          compact: fc.boolean(),
        }),
        (g) => {
          const contact = g.contacts
            .map((c) => `<sip:${c.user}@192.0.2.${c.octet}>` + (c.expires === undefined ? '' : `;expires=${c.expires}`))
            .join(', ');
          const text = [
            'REGISTER sip:example.com SIP/2.0',
            (g.compact ? 'v' : 'Via') + ': SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK' + g.tag,
            `To: ${g.display === undefined ? '' : `"${g.display}" `}<sip:${g.user}@example.com>`,
            `${g.compact ? 'f' : 'From'}: <sip:${g.user}@example.com>;tag=${g.tag}`,
            `${g.compact ? 'i' : 'Call-ID'}: ${g.callId}`,
            `CSeq: ${g.seq} REGISTER`,
            ...(contact === '' ? [] : [`${g.compact ? 'm' : 'Contact'}: ${contact}`]),
            '',
            '',
          ].join('\r\n');
          const first = parseRequest(text);
          expect(extractFields(parseRequest(serializeMessage(first)))).toEqual(extractFields(first));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('serializeRequest (stateless forwarding, RFC 3261 §16.6)', () => {
  const invite = parseRequest(INVITE);

  it('re-emits the request unchanged apart from a rewritten Content-Length', () => {
    const out = parseRequest(serializeRequest(invite));
    expect(out.headers.filter((h) => h.name !== 'l' && h.name !== 'Content-Length')).toEqual(invite.headers.filter((h) => h.name !== 'l'));
    expect(out.header('content-length')).toBe('4');
    expect(Buffer.from(out.body).toString()).toBe('v=0\r\n'.slice(0, 4));
  });

  it('applies a new Request-URI, a top Via, the top Route removed, Max-Forwards and extra headers', () => {
    const out = parseRequest(
      serializeRequest(invite, {
        uri: 'sip:bob@192.0.2.50:5070',
        prependVia: 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp',
        removeTopRoute: true,
        maxForwards: 69,
        extraHeaders: [['X-Forwarded', 'yes']],
      }),
    );
    expect(out.uri).toBe('sip:bob@192.0.2.50:5070');
    expect(out.via.map((v) => v.host)).toEqual(['proxy.example.com', '192.0.2.1']);
    expect(out.route.map((r) => r.uri)).toEqual(['sip:p2.example.com;lr']);
    expect(out.maxForwards).toBe(69);
    expect(out.header('x-forwarded')).toBe('yes');
  });

  it('drops a Route line whose only value is removed, and adds Max-Forwards when absent', () => {
    const single = parseRequest(INVITE.replace('Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>', 'Route: <sip:p1.example.com;lr>').replace('Max-Forwards: 70\r\n', ''));
    const out = parseRequest(serializeRequest(single, { removeTopRoute: true, maxForwards: 70 }));
    expect(out.route).toEqual([]);
    expect(out.maxForwards).toBe(70);
  });
});
