/**
 * Reading the per-Contact values of a REGISTER: q-value (RFC 3261 §20.10) and quoted
 * parameter values.
 * @packageDocumentation
 */

/**
 * Parse a q-value (`qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`) into
 * thousandths, or `undefined` when malformed.
 */
export function parseQValue(value: string): number | undefined {
  const m = /^([01])(?:\.(\d{0,3}))?$/.exec(value);
  if (m === null) return undefined;
  const q = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
  return q > 1000 ? undefined : q;
}

/** Format thousandths as a q-value (`500` → `0.5`, `1000` → `1`). */
export function formatQValue(q: number): string {
  if (q >= 1000) return '1';
  if (q <= 0) return '0';
  return `0.${String(q).padStart(3, '0').replace(/0+$/, '')}`;
}

/** Remove the double quotes around a parameter value (`"<urn:x>"` → `<urn:x>`). */
export function unquote(value: string): string {
  return value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34
    ? value.slice(1, -1).replace(/\\(.)/g, '$1')
    : value;
}
