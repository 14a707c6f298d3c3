import { createHash } from 'node:crypto';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest';

describe('digest authentication (RFC 2617, RFC 7616, RFC 3261 §22)', () => {
  const challenge = parseDigestChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;

  it('parses a challenge: realm, nonce, opaque, qop options, algorithm default MD5', () => {
    expect(challenge).toEqual({
      realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      algorithm: 'MD5', qop: ['auth', 'auth-int'], stale: false,
    });
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('digest realm="a\\"b", nonce=abc, stale=TRUE, algorithm=SHA-256')).toMatchObject({ realm: 'a"b', nonce: 'abc', stale: true, algorithm: 'SHA-256', qop: [] });
  });

  it('answers the RFC 2617 §3.5 example with its published response', () => {
    const auth = digestAuthorization(challenge, { username: 'Mufasa', password: 'Circle Of Life' }, { method: 'GET', uri: '/dir/index.html' }, '0a4f113b');
    expect(auth).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(auth).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(auth).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('answers RFC 2069 challenges (no qop) and SHA-256 (RFC 7616), and declines what it cannot answer', () => {
    const legacy = parseDigestChallenge('Digest realm="r", nonce="n"')!;
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    const expected = md5(`${md5('u:r:p')}:n:${md5('REGISTER:sip:r')}`);
    expect(digestAuthorization(legacy, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' }))
      .toBe(`Digest username="u", realm="r", nonce="n", uri="sip:r", response="${expected}", algorithm=MD5`);
    const sess = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess')!;
    const ha1 = md5(`${md5('u:r:p')}:n:c`);
    expect(digestAuthorization(sess, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' }, 'c'))
      .toContain(`response="${md5(`${ha1}:n:00000001:c:auth:${md5('REGISTER:sip:r')}`)}"`);
    const sha = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256')!;
    expect(digestAuthorization(sha, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' }, 'c')).toMatch(/response="[0-9a-f]{64}"/);
    expect(digestAuthorization(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')!, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' })).toBeUndefined();
    expect(digestAuthorization(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')!, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' })).toBeUndefined();
  });
});
