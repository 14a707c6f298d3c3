import { createHash } from 'node:crypto';
import { digestAuthorization, parseDigestChallenge, selectDigestChallenge } from '../../src/sip/digest';

describe('digest authentication (RFC 2617, RFC 7616, RFC 3261 §22)', () => {
  const challenge = parseDigestChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;

  it('parses a challenge: realm, nonce, opaque, qop options, algorithm default MD5', () => {
    expect(challenge).toEqual({
      realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      algorithm: 'MD5', qop: ['auth', 'auth-int'], stale: false, userhash: false,
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
    expect(digestAuthorization(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-1')!, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' })).toBeUndefined();
    expect(digestAuthorization(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-conf"')!, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' })).toBeUndefined();
  });

  describe('RFC 7616 §3.9 examples', () => {
    const mufasa = { username: 'Mufasa', password: 'Circle of Life' };
    const get = { method: 'GET', uri: '/dir/index.html' };
    const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
    const rfc = (algorithm: string): string =>
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;

    it('§3.9.1 with MD5 and with SHA-256, preferring qop auth over auth-int', () => {
      expect(digestAuthorization(parseDigestChallenge(rfc('MD5'))!, mufasa, get, cnonce)).toBe(
        'Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", '
        + 'response="8ca523f5e9506fed4657c9700eebdbec", algorithm=MD5, opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", '
        + `qop=auth, nc=00000001, cnonce="${cnonce}"`,
      );
      expect(digestAuthorization(parseDigestChallenge(rfc('SHA-256'))!, mufasa, get, cnonce))
        .toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", algorithm=SHA-256');
    });

    // The RFC as published prints userhash 4888…54ec and response ae66…79dd, made with a pre-standard
    // SHA-512/256; erratum 4897 gives these, which FIPS 180-4 SHA-512/256 over the UTF-8 bytes yields.
    it('§3.9.2 SHA-512-256 with userhash, per erratum 4897', () => {
      const challenge = parseDigestChallenge('Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true')!;
      expect(challenge.userhash).toBe(true);
      expect(digestAuthorization(challenge, { username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?' }, { method: 'GET', uri: '/doe.json' }, 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v')).toBe(
        'Digest username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b", realm="api@example.org", '
        + 'nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", uri="/doe.json", '
        + 'response="3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5", algorithm=SHA-512-256, '
        + 'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", qop=auth, nc=00000001, cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", userhash=true',
      );
    });

    it('counts requests on one nonce in 8 hex digits (RFC 7616 §3.4)', () => {
      const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
      const challenge = parseDigestChallenge(rfc('MD5'))!;
      const third = digestAuthorization(challenge, mufasa, get, cnonce, 3)!;
      expect(third).toContain(`qop=auth, nc=00000003, cnonce="${cnonce}"`);
      const ha1 = md5('Mufasa:http-auth@example.org:Circle of Life');
      expect(third).toContain(`response="${md5(`${ha1}:${challenge.nonce}:00000003:${cnonce}:auth:${md5('GET:/dir/index.html')}`)}"`);
      expect(third).not.toContain('8ca523f5e9506fed4657c9700eebdbec');
      expect(digestAuthorization(challenge, mufasa, get, cnonce, 0x1a)).toContain('nc=0000001a');
      expect(() => digestAuthorization(challenge, mufasa, get, cnonce, 0)).toThrow(RangeError);
    });
  });

  it('signs the body when only qop auth-int is offered (RFC 7616 §3.4.3)', () => {
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')!;
    const body = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n';
    const ha2 = md5(`INVITE:sip:bob@r:${md5(body)}`);
    const auth = digestAuthorization(challenge, { username: 'u', password: 'p' }, { method: 'INVITE', uri: 'sip:bob@r', body }, 'c');
    expect(auth).toContain(`response="${md5(`${md5('u:r:p')}:n:00000001:c:auth-int:${ha2}`)}"`);
    expect(auth).toContain('qop=auth-int, nc=00000001, cnonce="c"');
    expect(digestAuthorization(challenge, { username: 'u', password: 'p' }, { method: 'INVITE', uri: 'sip:bob@r', body: new TextEncoder().encode(body) }, 'c')).toBe(auth);
    expect(digestAuthorization(challenge, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:r' }, 'c'))
      .toContain(`response="${md5(`${md5('u:r:p')}:n:00000001:c:auth-int:${md5(`REGISTER:sip:r:${md5('')}`)}`)}"`);
  });

  it('selects the strongest challenge it can answer among several (RFC 7616 §3.7)', () => {
    const md5 = 'Digest realm="r", nonce="a", qop="auth", algorithm=MD5';
    const sha256 = 'Digest realm="r", nonce="b", qop="auth", algorithm=SHA-256';
    const sha1 = 'Digest realm="r", nonce="c", qop="auth", algorithm=SHA-1';
    expect(selectDigestChallenge([md5, sha1, sha256, 'Basic realm="r"'])?.nonce).toBe('b');
    expect(selectDigestChallenge([sha256, 'Digest realm="r", nonce="d", algorithm=SHA-512-256-sess'])?.nonce).toBe('d');
    expect(selectDigestChallenge(['Digest realm="r", nonce="e", qop="auth-conf", algorithm=SHA-512-256', md5])?.nonce).toBe('a');
    expect(selectDigestChallenge([sha1, 'Basic realm="r"'])).toBeUndefined();
    expect(selectDigestChallenge([])).toBeUndefined();
  });
});
