import fc from 'fast-check';
import { TokenSealer } from '../../src/features/token-sealer';
import { ConfigError } from '../../src/errors/sdk-error';

describe('TokenSealer', () => {
  const sealer = new TokenSealer('s3cret', 'test');

  it('round-trips any strings, and the token reveals none of them', () => {
    fc.assert(fc.property(fc.array(fc.string({ minLength: 3 }), { maxLength: 4 }), (fields) => {
      const token = sealer.seal(fields);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(sealer.open(token)).toEqual(fields);
      for (const f of fields) if (/^[A-Za-z0-9_-]{3,}$/.test(f)) expect(token.includes(f)).toBe(false);
    }));
  });

  it('gives a new token every time unless deterministic', () => {
    const fields = ['alice@example.com', 'urn:uuid:1'];
    expect(sealer.seal(fields)).not.toBe(sealer.seal(fields));
    expect(sealer.seal(fields, true)).toBe(sealer.seal(fields, true));
    expect(sealer.seal(fields, true)).not.toBe(sealer.seal(['alice@example.com', 'urn:uuid:2'], true));
  });

  it('rejects altered, truncated, foreign-purpose and foreign-secret tokens', () => {
    const token = sealer.seal(['a', 'b']);
    const flipped = (token[10] === 'A' ? 'B' : 'A');
    expect(sealer.open(token.slice(0, 10) + flipped + token.slice(11))).toBeUndefined();
    expect(sealer.open(token.slice(0, -2))).toBeUndefined();
    expect(sealer.open('not a token!')).toBeUndefined();
    expect(new TokenSealer('s3cret', 'other').open(token)).toBeUndefined();
    expect(new TokenSealer('another', 'test').open(token)).toBeUndefined();
  });

  it('opens tokens of every listed secret and seals with the first (rotation)', () => {
    const old = new TokenSealer('old', 'test').seal(['x']);
    const rotated = new TokenSealer(['new', 'old'], 'test');
    expect(rotated.open(old)).toEqual(['x']);
    expect(new TokenSealer('new', 'test').open(rotated.seal(['y']))).toEqual(['y']);
    expect(new TokenSealer('old', 'test').open(rotated.seal(['y']))).toBeUndefined();
  });

  it('refuses an empty secret list with a ConfigError', () => {
    expect(() => new TokenSealer([], 'test')).toThrow(ConfigError);
    expect(() => new TokenSealer('', 'test')).toThrow(/non-empty secret/);
  });
});
