/**
 * Reading the per-Contact values of a REGISTER: lifetime (RFC 3261 §10.2.1.1, §10.3 step 7)
 * and q-value (§20.10).
 * @packageDocumentation
 */

/** The largest lifetime representable (2^32 - 1 s, RFC 3261 §20.19). */
const MAX_DELTA_SECONDS = 4294967295;

/**
 * Parse a delta-seconds value; `undefined` when it is not one. Values above 2^32-1 are capped
 * (RFC 3261 §20.19 allows any number of digits).
 */
export function parseDeltaSeconds(value: string): number | undefined {
  const n = value.length;
  if (n === 0) return undefined;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return n > 10 ? MAX_DELTA_SECONDS : Math.min(Number(value), MAX_DELTA_SECONDS);
}

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
