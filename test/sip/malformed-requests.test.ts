import { parseSipMessage, parseSipMessageWithGrammar } from '../../src/sip/sip-parser';
import type { ParseResult } from '../../src/sip/sip-parser';

/**
 * Issue 23: requests a hostile run got 200 for. Each must be rejected by both parser tiers with a
 * reason, and still carry the Via/From/To/Call-ID/CSeq a 400 copies (RFC 3261 §8.2.6).
 */
const VIA = 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKm;rport';

function register(o: { maxForwards?: string; via?: string; extra?: string } = {}): string {
  return [
    'REGISTER sip:example.com SIP/2.0',
    `Via: ${o.via ?? VIA}`,
    `Max-Forwards: ${o.maxForwards ?? '70'}`,
    'From: <sip:alice@example.com>;tag=f1',
    'To: <sip:alice@example.com>',
    'Call-ID: m1@h',
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@192.0.2.1:5060>',
    ...(o.extra === undefined ? [] : [o.extra]),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const tiers: readonly [string, (text: string) => ParseResult][] = [
  ['parseSipMessage', (text) => parseSipMessage(text)],
  ['the grammar tier', (text) => parseSipMessageWithGrammar(text)],
];

function rejection(r: ParseResult): { reason: string; callId?: string; via: readonly string[] } {
  if (r.ok) throw new Error('expected a rejection, got a message');
  return { reason: r.error.reason, callId: r.error.partial?.callId, via: r.error.partial?.via ?? [] };
}

describe.each(tiers)('%s rejects what a registrar must answer 400', (_name, parse) => {
  it.each(['256', '300', '99999999999999999999'])('Max-Forwards %s (RFC 3261 §20.22: 0-255)', (value) => {
    expect(rejection(parse(register({ maxForwards: value })))).toEqual({ reason: 'bad-max-forwards', callId: 'm1@h', via: [VIA] });
  });

  it('keeps Max-Forwards 0 and 255', () => {
    for (const value of ['0', '255']) {
      const r = parse(register({ maxForwards: value }));
      expect(r.ok && r.message.kind === 'request' && r.message.maxForwards).toBe(Number(value));
    }
  });

  it.each([
    ['an unknown header', 'X-Note: a\0b'],
    ['User-Agent', 'User-Agent: phone\0'],
    ['a header name', 'X-N\0te: a'],
  ])('a NUL byte in %s (RFC 3261 §25.1: no header octet is NUL)', (_where, line) => {
    expect(rejection(parse(register({ extra: line })))).toEqual({ reason: 'nul-in-header', callId: 'm1@h', via: [VIA] });
  });

  it('keeps a NUL escaped in a quoted-pair (RFC 3261 §25.1, RFC 4475 §3.1.1.2), not one after an escaped backslash', () => {
    const quoted = parse(register().replace('To: <sip:', 'To: "NUL:\\\0" <sip:'));
    expect(quoted.ok && quoted.message.to.displayName).toBe('NUL:\0');
    expect(rejection(parse(register({ extra: 'X-Note: "a\\\\\0"' }))).reason).toBe('nul-in-header');
  });

  it('keeps a NUL byte of the body', () => {
    const text = register().replace('Content-Length: 0', 'Content-Type: application/octet-stream\r\nContent-Length: 3') + 'a\0b';
    expect(parse(text).ok).toBe(true);
  });

  it.each(['0', '65536', '99999'])('a Via sent-by port %s (RFC 3261 §18.2.2: a response goes there)', (port) => {
    const via = `SIP/2.0/UDP 192.0.2.1:${port};branch=z9hG4bKm`;
    expect(rejection(parse(register({ via })))).toEqual({ reason: 'bad-via', callId: 'm1@h', via: [via] });
  });

  it('keeps Via ports 1 and 65535', () => {
    for (const port of [1, 65535]) {
      const r = parse(register({ via: `SIP/2.0/UDP 192.0.2.1:${port};branch=z9hG4bKm` }));
      expect(r.ok && r.message.via[0].port).toBe(port);
    }
  });
});
