import fc from 'fast-check';
import { formatQValue, parseDeltaSeconds, parseQValue, unquote } from '../../src/registrar/contact-values';

describe('contact values (RFC 3261 §20.10, §20.19)', () => {
  it('parses delta-seconds and caps them at 2^32-1', () => {
    expect(parseDeltaSeconds('3600')).toBe(3600);
    expect(parseDeltaSeconds('0')).toBe(0);
    expect(parseDeltaSeconds('99999999999999')).toBe(4294967295);
    expect(parseDeltaSeconds('')).toBeUndefined();
    expect(parseDeltaSeconds('-1')).toBeUndefined();
    expect(parseDeltaSeconds('1e3')).toBeUndefined();
  });

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
