import { parseCredentials } from '../../src/auth/parse-credentials';

describe('parseCredentials (RFC 3261 §25.1 digest-response, RFC 7616 §3.4)', () => {
  it('reads every parameter in any order, quoted (escapes removed) or token, unknown ones ignored', () => {
    expect(parseCredentials('Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
      + 'uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", '
      + 'opaque="5ccc069c403ebaf9f0171e9517f40e41"')).toEqual({
      ok: true,
      value: {
        username: 'bob', realm: 'biloxi.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: 'sip:bob@biloxi.com',
        response: '6629fae49393a05397450978507c4ef1', algorithm: 'MD5', cnonce: '0a4f113b', opaque: '5ccc069c403ebaf9f0171e9517f40e41',
        qop: 'auth', nc: 1, ncValue: '00000001', userhash: false,
      },
    });
    expect(parseCredentials('digest  RESPONSE = "ab" ,Realm="a\\"b\\\\c",x-foo=bar,  nonce=n1, URI="sip:x", Username="J\\u", '
      + 'algorithm=sha-256, nc=0000001A, userhash="TRUE", qop="auth-int", extra="q,\\"x"')).toEqual({
      ok: true,
      value: {
        username: 'Ju', realm: 'a"b\\c', nonce: 'n1', uri: 'sip:x', response: 'ab', algorithm: 'sha-256',
        cnonce: undefined, opaque: undefined, qop: 'auth-int', nc: 26, ncValue: '0000001A', userhash: true,
      },
    });
  });

  it('leaves other schemes alone (undefined)', () => {
    expect(parseCredentials('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==')).toBeUndefined();
    expect(parseCredentials('Digestion username="a"')).toBeUndefined();
    expect(parseCredentials('')).toBeUndefined();
  });

  it('names what is malformed', () => {
    const fault = (v: string): unknown => {
      const r = parseCredentials(v);
      return r !== undefined && !r.ok ? r.error : r;
    };
    const all = 'username="a", realm="r", nonce="n", uri="sip:r", response="x"';
    expect(fault('Digest')).toBe('no parameters after Digest');
    expect(fault(`Digest ${all}, realm="r"`)).toBe('parameter realm given twice');
    expect(fault(`Digest ${all}, Username="b"`)).toBe('parameter username given twice');
    expect(fault('Digest username="a", realm="r", uri="sip:r", response="x"')).toBe('nonce parameter missing');
    expect(fault('Digest username="a", realm="r", nonce="n", uri="sip:r"')).toBe('response parameter missing');
    expect(fault(`Digest ${all}, nc=1`)).toBe('nc=1 is not 8 hex digits from 00000001');
    expect(fault(`Digest ${all}, nc=00000000`)).toBe('nc=00000000 is not 8 hex digits from 00000001');
    expect(fault(`Digest ${all}, nc=0000000g`)).toBe('nc=0000000g is not 8 hex digits from 00000001');
    expect(fault(`Digest ${all}, userhash=yes`)).toBe('userhash=yes is neither true nor false');
    expect(fault('Digest username="a" realm="r"')).toBe("',' expected at offset 20");
    expect(fault('Digest username="a, realm="r"')).toBe("',' expected at offset 27");
    expect(fault('Digest username="a')).toBe('unterminated quoted value of username');
    expect(fault('Digest username')).toBe("'=' expected after username");
    expect(fault('Digest username=, realm="r"')).toBe('value expected for username');
    expect(fault('Digest , username="a"')).toBe('parameter name expected at offset 7');
    expect(fault(`Digest ${all},`)).toBe('parameter name expected at offset 69');
  });
});
