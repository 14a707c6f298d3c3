import { skipWsp, trimWspEnd } from '../chars';

/**
 * Splits a header field value into its comma-separated elements (RFC 3261 §7.3.1): commas
 * inside a quoted-string (with `\` escapes) or inside `<...>` do not separate. Elements are
 * trimmed of white space.
 *
 * @returns the elements, or `undefined` when a quote or `<` is unbalanced or an element is empty
 *   (RFC 3261 §7.3.1 forbids empty list elements).
 */
export function splitHeaderValues(value: string): string[] | undefined {
  const out: string[] = [];
  const n = value.length;
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? value.charCodeAt(i) : 0x2c;
    if (inQuote) {
      if (i === n) return undefined;
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (inAngle) {
      if (i === n) return undefined;
      if (c === 0x3e) inAngle = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c) {
      inAngle = true;
    } else if (c === 0x2c) {
      const a = skipWsp(value, start, i);
      const b = trimWspEnd(value, a, i);
      if (a === b) return undefined;
      out.push(a === 0 && b === n ? value : value.slice(a, b));
      start = i + 1;
    }
  }
  return out;
}
