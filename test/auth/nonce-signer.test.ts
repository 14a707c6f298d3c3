import { NonceSigner } from '../../src/auth/nonce-signer';
import { ManualClock } from '../../src/testing/manual-clock';

const key = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('NonceSigner: stateless nonces (RFC 7616 §3.3, §5.4)', () => {
  it('issues distinct 43-character base64url nonces, valid for their realm within nonceExpire, then expired', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const signer = new NonceSigner([key('s1')], 30, clock);
    const a = signer.sign('example.com');
    const b = signer.sign('example.com');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).not.toBe(a);
    expect(signer.verify(a, 'example.com')).toBe('valid');
    expect(signer.verify(a, 'example.org')).toBe('invalid');
    expect(signer.verify(a, 'Example.com')).toBe('invalid');
    clock.advance(30_000);
    expect(signer.verify(a, 'example.com')).toBe('valid');
    clock.advance(1);
    expect(signer.verify(a, 'example.com')).toBe('expired');
    expect(signer.verify(a, 'example.org')).toBe('invalid');
  });

  it('finds forged, truncated and altered nonces invalid', () => {
    const signer = new NonceSigner([key('s1')], 30, new ManualClock(1_700_000_000_000));
    const nonce = signer.sign('r');
    const flipped = nonce.slice(0, 20) + (nonce[20] === 'A' ? 'B' : 'A') + nonce.slice(21);
    expect(signer.verify(flipped, 'r')).toBe('invalid');
    expect(signer.verify(nonce.slice(0, 42), 'r')).toBe('invalid');
    expect(signer.verify(`${nonce}A`, 'r')).toBe('invalid');
    expect(signer.verify('!'.repeat(43), 'r')).toBe('invalid');
    expect(signer.verify('dcd98b7102dd2f0e8b11d0f600bfb0c093', 'r')).toBe('invalid');
    expect(new NonceSigner([key('s2')], 30, new ManualClock(1_700_000_000_000)).verify(nonce, 'r')).toBe('invalid');
    const bytes = Buffer.from(nonce, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      for (const bit of [0x01, 0x10, 0x80]) {
        const altered = Buffer.from(bytes);
        altered[i] ^= bit;
        expect([i, bit, signer.verify(altered.toString('base64url'), 'r')]).toEqual([i, bit, 'invalid']);
      }
    }
    expect(signer.verify(nonce, 'r')).toBe('valid');
  });

  it('signs with the first secret and verifies with every one (rotation)', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const old = new NonceSigner([key('old')], 30, clock);
    const rotated = new NonceSigner([key('new'), key('old')], 30, clock);
    const fresh = new NonceSigner([key('new')], 30, clock);
    const before = old.sign('r');
    expect(rotated.verify(before, 'r')).toBe('valid');
    const after = rotated.sign('r');
    expect(fresh.verify(after, 'r')).toBe('valid');
    expect(old.verify(after, 'r')).toBe('invalid');
    expect(fresh.verify(before, 'r')).toBe('invalid');
  });

  it('binds a nonce to the source address when given one', () => {
    const signer = new NonceSigner([key('s')], 30, new ManualClock(1_700_000_000_000));
    const bound = signer.sign('r', '192.0.2.10');
    expect(signer.verify(bound, 'r', '192.0.2.10')).toBe('valid');
    expect(signer.verify(bound, 'r', '192.0.2.11')).toBe('invalid');
    expect(signer.verify(bound, 'r')).toBe('invalid');
    expect(signer.verify(signer.sign('r'), 'r', '192.0.2.10')).toBe('invalid');
  });

  it('refuses a nonce issued in the future beyond 2 s of clock skew (a node with a fast clock, or a forgery)', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const ahead = new NonceSigner([key('s')], 30, new ManualClock(1_700_000_002_000)).sign('r');
    const further = new NonceSigner([key('s')], 30, new ManualClock(1_700_000_002_001)).sign('r');
    const signer = new NonceSigner([key('s')], 30, clock);
    expect(signer.verify(ahead, 'r')).toBe('valid');
    expect(signer.verify(further, 'r')).toBe('invalid');
  });
});

describe('NonceSigner.signedAt and freshness: the signature check and the time check apart', () => {
  it('answers the issue time of a nonce signed here for the realm (and address), NaN otherwise, and judges an issue time', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const signer = new NonceSigner([key('new'), key('old')], 30, clock);
    const nonce = signer.sign('r', '192.0.2.10');
    const retired = new NonceSigner([key('old')], 30, new ManualClock(1_699_999_990_000)).sign('r');
    expect(signer.signedAt(nonce, 'r', '192.0.2.10')).toBe(1_700_000_000_000);
    expect(signer.signedAt(retired, 'r')).toBe(1_699_999_990_000);
    expect(signer.signedAt(nonce, 'r')).toBeNaN();
    expect(signer.signedAt(nonce, 'r2', '192.0.2.10')).toBeNaN();
    expect(signer.signedAt('short', 'r')).toBeNaN();
    expect(signer.freshness(NaN)).toBe('invalid');
    expect(signer.freshness(1_700_000_002_000)).toBe('valid');
    expect(signer.freshness(1_700_000_002_001)).toBe('invalid');
    expect(signer.freshness(1_699_999_970_000)).toBe('valid');
    expect(signer.freshness(1_699_999_969_999)).toBe('expired');
  });
});

describe('NonceSigner layout', () => {
  it('is time | sequence | the first 16 bytes of HMAC-SHA256(secret, time | sequence | realm [| NUL address]) (RFC 2104)', async () => {
    const { createHmac } = await import('node:crypto');
    const long = 'k'.repeat(100);
    for (const secret of ['s', long]) {
      const signer = new NonceSigner([key(secret)], 30, new ManualClock(1_700_000_000_123));
      for (const [realm, address] of [['example.com', undefined], ['r\u00e9alm', '2001:db8::1'], ['x'.repeat(300), '192.0.2.1']] as const) {
        const bytes = Buffer.from(signer.sign(realm, address), 'base64url');
        expect(bytes.readUInt32BE(0) * 2 ** 32 + bytes.readUInt32BE(4)).toBe(1_700_000_000_123);
        const hmac = createHmac('sha256', secret).update(bytes.subarray(0, 16)).update(realm);
        if (address !== undefined) hmac.update('\0').update(address);
        expect(bytes.subarray(16).toString('hex')).toBe(hmac.digest().subarray(0, 16).toString('hex'));
      }
    }
  });
});
