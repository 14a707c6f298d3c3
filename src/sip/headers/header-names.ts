/**
 * Compact header names of RFC 3261 §7.3.3 (and the extensions registered since: RFC 3265,
 * RFC 3515, RFC 3841, RFC 3892, RFC 4028, RFC 4474) mapped to their long form, lower-cased.
 */
const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
});

/**
 * The comparison key of a header name: lower-cased, compact forms expanded
 * (RFC 3261 §7.3.1 names are case-insensitive, §7.3.3 compact forms are equivalent).
 * `canonicalHeaderName('M') === canonicalHeaderName('contact') === 'contact'`.
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
}
