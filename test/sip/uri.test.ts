import fc from 'fast-check';
import { formatUri, isValidUriText, parseUri, uriEquals } from '../../src/sip/uri';
import type { SipUri } from '../../src/sip/uri';

describe('parseUri (RFC 3261 §19.1.1, RFC 3966)', () => {
  it('splits every component, lower-casing host and parameter names', () => {
    expect(parseUri('sips:Alice:pw@Example.COM:5061;Transport=TCP;lr;maddr=192.0.2.1?Subject=hi&Priority=urgent')).toEqual({
      scheme: 'sips',
      user: 'Alice',
      password: 'pw',
      host: 'example.com',
      port: 5061,
      params: { transport: 'TCP', lr: null, maddr: '192.0.2.1' },
      headers: [
        ['Subject', 'hi'],
        ['Priority', 'urgent'],
      ],
    });
  });

  it('reads IPv6 references and tel URIs', () => {
    expect(parseUri('sip:[2001:DB8::1]:5060')).toMatchObject({ host: '[2001:db8::1]', port: 5060 });
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toEqual({
      scheme: 'tel',
      user: '+1-201-555-0123',
      host: '',
      params: { 'phone-context': 'example.com' },
      headers: [],
    });
  });

  it.each([
    'http://example.com',
    'sip:',
    'sip:user@',
    'sip:user@host:99999',
    'sip:us er@host',
    'sip:user@ho st',
    'sip:user@host;ttl=300',
    'sip:user@host;lr=on',
    'sip:user@host;transport=u:p',
    'sip:%zz@host',
    'sip:user@[2001:db8:::1]',
    'sip:user@192.0.2.010',
    'sip:user@a.1com',
  ])('rejects %s', (s) => {
    expect(parseUri(s)).toBeUndefined();
  });

  it('accepts any absoluteURI in isValidUriText, but strict syntax for sip/sips/tel', () => {
    expect(isValidUriText('urn:service:sos')).toBe(true);
    expect(isValidUriText('isbn:2983792873')).toBe(true);
    expect(isValidUriText('sip:a@b c')).toBe(false);
    expect(isValidUriText('x:<y>')).toBe(false);
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
  ])('%s == %s', (a, b) => {
    expect(uriEquals(a, b)).toBe(true);
    expect(uriEquals(b, a)).toBe(true);
  });

  it.each([
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    ['sip:alice@example.com', 'sips:alice@example.com'],
  ])('%s != %s', (a, b) => {
    expect(uriEquals(a, b)).toBe(false);
  });
});

const token = fc.stringMatching(/^[a-z0-9][a-z0-9\-.]{0,8}[a-z0-9]$/).filter((s) => !s.includes('..'));
const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,6}[a-z0-9])?$/);
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.')),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => '[' + g.map((x) => x.toString(16)).join(':') + ']'),
);
const paramName = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/).filter((n) => !['lr', 'ttl', 'maddr', 'transport', 'user', 'method'].includes(n));
const uriArb: fc.Arbitrary<SipUri> = fc
  .record({
    scheme: fc.constantFrom('sip' as const, 'sips' as const),
    user: fc.option(token, { nil: undefined }),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    params: fc.dictionary(paramName, fc.option(token, { nil: null }), { maxKeys: 3 }),
    headers: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][a-z]{0,5}$/), token), { maxLength: 2 }),
  })
  .map((u) => {
    const out: { -readonly [K in keyof SipUri]: SipUri[K] } = { scheme: u.scheme, host: u.host, params: u.params, headers: u.headers };
    if (u.user !== undefined) out.user = u.user;
    if (u.port !== undefined) out.port = u.port;
    return out;
  });

describe('URI round trip (property)', () => {
  it('parseUri(formatUri(u)) equals u, and u equals itself', () => {
    fc.assert(
      fc.property(uriArb, (u) => {
        const text = formatUri(u);
        const back = parseUri(text);
        expect(back).toEqual(u);
        expect(uriEquals(text, formatUri(back!))).toBe(true);
      }),
      { numRuns: 300, seed: 3261 },
    );
  });
});
