import { createHash } from 'node:crypto';
import { digestHash } from '../../src/auth/digest-hash';
import { digestResponse, verifyResponse, type DigestResponseInput } from '../../src/auth/verify-response';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

describe('digest response (RFC 7616 §3.4, RFC 3261 §22.4)', () => {
  // RFC 7616 §3.9.1: Mufasa / Circle of Life, GET /dir/index.html, qop=auth, nc=00000001.
  const rfc = {
    sess: false, nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth', nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', method: 'GET', uri: '/dir/index.html',
  } as const;

  it('verifies the RFC 7616 §3.9.1 example with MD5 and with SHA-256', () => {
    const md5Input: DigestResponseInput = { ...rfc, algorithm: 'MD5', ha1: digestHash('MD5', 'Mufasa:http-auth@example.org:Circle of Life') };
    expect(digestResponse(md5Input)).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(verifyResponse(md5Input, '8ca523f5e9506fed4657c9700eebdbec')).toBe(true);
    const shaInput: DigestResponseInput = { ...rfc, algorithm: 'SHA-256', ha1: digestHash('SHA-256', 'Mufasa:http-auth@example.org:Circle of Life') };
    expect(verifyResponse(shaInput, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1')).toBe(true);
    expect(verifyResponse(shaInput, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c0')).toBe(false);
    expect(verifyResponse(shaInput, '8ca523f5e9506fed4657c9700eebdbec')).toBe(false);
    expect(verifyResponse(md5Input, '8CA523F5E9506FED4657C9700EEBDBEC')).toBe(false);
    expect(verifyResponse(md5Input, '')).toBe(false);
  });

  // RFC 7616 §3.9.2 as corrected by erratum 4897 (FIPS 180-4 SHA-512/256 over UTF-8).
  it('verifies the RFC 7616 §3.9.2 SHA-512-256 example of "Jäsøn Doe", whose userhash it is', () => {
    expect(digestHash('SHA-512-256', 'J\u00e4s\u00f8n Doe:api@example.org')).toBe('793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b');
    const input: DigestResponseInput = {
      algorithm: 'SHA-512-256', sess: false, ha1: digestHash('SHA-512-256', 'J\u00e4s\u00f8n Doe:api@example.org:Secret, or not?'),
      nonce: '5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK', qop: 'auth', nc: '00000001',
      cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v', method: 'GET', uri: '/doe.json',
    };
    expect(verifyResponse(input, '3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5')).toBe(true);
  });

  it('computes the RFC 2069 form without qop, auth-int over the body, and the -sess HA1 (RFC 7616 §3.4.2-3)', () => {
    const ha1 = md5('u:r:p');
    const base = { algorithm: 'MD5', sess: false, ha1, nonce: 'n', nc: '00000002', cnonce: 'c', method: 'REGISTER', uri: 'sip:r' } as const;
    expect(digestResponse({ ...base, qop: '' })).toBe(md5(`${ha1}:n:${md5('REGISTER:sip:r')}`));
    const body = 'v=0\r\n';
    const authInt = md5(`${ha1}:n:00000002:c:auth-int:${md5(`REGISTER:sip:r:${md5(body)}`)}`);
    expect(digestResponse({ ...base, qop: 'auth-int', body })).toBe(authInt);
    expect(digestResponse({ ...base, qop: 'auth-int', body: new TextEncoder().encode(body) })).toBe(authInt);
    expect(digestResponse({ ...base, qop: 'auth-int' })).toBe(md5(`${ha1}:n:00000002:c:auth-int:${md5(`REGISTER:sip:r:${md5('')}`)}`));
    expect(digestResponse({ ...base, qop: 'auth', sess: true })).toBe(md5(`${md5(`${ha1}:n:c`)}:n:00000002:c:auth:${md5('REGISTER:sip:r')}`));
  });
});
