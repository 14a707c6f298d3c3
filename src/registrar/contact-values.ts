/**
 * Reading the per-Contact values of a REGISTER: q-value (RFC 3261 §20.10) and quoted
 * parameter values.
 * @packageDocumentation
 */
import { unescapeQuoted } from '../sip/name-addr';

/**
 * Parse a q-value (`qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`) into
 * thousandths, or `undefined` when malformed.
 */
export function parseQValue(value: string): number | undefined {
  const n = value.length;
  const whole = value.charCodeAt(0) - 48;
  if (n === 0 || (whole !== 0 && whole !== 1) || n > 5) return undefined;
  if (n === 1) return whole * 1000;
  if (value.charCodeAt(1) !== 46) return undefined;
  let q = 0;
  for (let i = 2; i < 5; i++) {
    const digit = i < n ? value.charCodeAt(i) - 48 : 0;
    if (digit < 0 || digit > 9) return undefined;
    q = q * 10 + digit;
  }
  q += whole * 1000;
  return q > 1000 ? undefined : q;
}

/** `q` thousandths as a q-value, computed. */
const qText = (q: number): string => `0.${String(q).padStart(3, '0').replace(/0+$/, '')}`;

/** `0.001` … `0.999` by thousandths, formatted once: a q-value is written into every 200 OK that lists one. */
const Q_VALUES: readonly string[] = Array.from({ length: 1000 }, (_, q) => qText(q));

/** Format thousandths as a q-value (`500` → `0.5`, `1000` → `1`). */
export function formatQValue(q: number): string {
  if (q >= 1000) return '1';
  if (q <= 0) return '0';
  return Q_VALUES[q] ?? qText(Math.round(q));
}

/** Remove the double quotes around a parameter value (`"<urn:x>"` → `<urn:x>`). */
export function unquote(value: string): string {
  return value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34
    ? unescapeQuoted(value, 1, value.length - 1)
    : value;
}
