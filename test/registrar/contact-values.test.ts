import fc from 'fast-check';
import { formatQValue, parseQValue, unquote } from '../../src/registrar/contact-values';

describe('contact values (RFC 3261 §20.10)', () => {
  it('parses q-values into thousandths and rejects the rest', () => {
    expect(parseQValue('1')).toBe(1000);
    expect(parseQValue('1.000')).toBe(1000);
    expect(parseQValue('0.5')).toBe(500);
    expect(parseQValue('0.001')).toBe(1);
    expect(parseQValue('0')).toBe(0);
    for (const bad of ['1.5', '2', '0.1234', '.5', 'x', '']) expect(parseQValue(bad)).toBeUndefined();
  });

  it('formats and parses every q-value back to itself', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), (q) => parseQValue(formatQValue(q)) === q));
  });

  it('removes quotes and escapes', () => {
    expect(unquote('"<urn:x>"')).toBe('<urn:x>');
    expect(unquote('"a\\"b"')).toBe('a"b');
    expect(unquote('plain')).toBe('plain');
  });
});
