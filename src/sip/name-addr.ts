import type { ByteText } from './byte-text';
import type { NameAddrValue } from './message';
import { TOKEN_CHARS, inTable, isWsp, skipWsp, trimWspEnd } from './chars';
import { endOfQuoted, parseParams } from './headers/params';
import { isValidUriText } from './uri';

/** Removes the `\` of each quoted-pair in `s[a, b)` (RFC 3261 §25.1 `quoted-pair`). */
export function unescapeQuoted(s: string, a: number, b: number): string {
  const inner = s.slice(a, b);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\(.)/gs, '$1');
}

/**
 * The URI of a name-addr (`"Name" <uri>;p=v` → `uri`) such as a Route or Path value (RFC 3261
 * §20.30, §25.1), or the value itself when it has no `<>` (an addr-spec).
 */
export function addrSpecOf(value: string): string {
  return value.replace(/^[^<]*<|>.*$/g, '');
}

/** True when `s[a, b)` is the text of `t` (a character loop: `startsWith` at an offset is slow). */
function sameTextAt(s: string, a: number, b: number, t: string): boolean {
  if (b - a !== t.length) return false;
  for (let i = 0; i < t.length; i++) if (s.charCodeAt(a + i) !== t.charCodeAt(i)) return false;
  return true;
}

/** Index of the character `c` in `s[from, to)`, or -1. */
function indexBefore(s: string, c: string, from: number, to: number): number {
  const i = s.indexOf(c, from);
  return i < to ? i : -1;
}

/**
 * Parses one name-addr or addr-spec value followed by header parameters (RFC 3261 §20.10,
 * §25.1 `contact-param`, `from-spec`, `rec-route`): `"Display" <uri>;p=v`, `Name <uri>`,
 * `<uri>` or `uri;p=v`. Without `<>` the parameters after the URI are header parameters, and the
 * URI may not contain `,`, `?` or `;` (RFC 3261 §20; RFC 4475 §3.1.2.13).
 *
 * @param raw - one trimmed element of the header value.
 * @param requireAngle - true for Path, Route and Record-Route, whose values must be name-addr.
 * @returns the value, or `undefined` on a syntax error.
 */
export function parseNameAddr(raw: string, requireAngle = false): NameAddrValue | undefined {
  return parseNameAddrIn(raw, 0, raw.length, requireAngle);
}

/**
 * {@link parseNameAddr} of the element `text[start, n)`, read in place (only the fields are cut out).
 *
 * @param src - when `text[k]` is the byte `src.buf[base + k]`, the URI and long parameter values
 *   are copied from the bytes, so a kept Contact URI or `+sip.instance` never pins `text`.
 * @param knownUri - a URI already found valid (the From URI when parsing To ...): when the value
 *   holds the same text, it is taken as is, without being checked and copied again.
 */
export function parseNameAddrIn(
  text: string, start: number, n: number, requireAngle: boolean, src?: ByteText, base = 0, knownUri?: string,
): NameAddrValue | undefined {
  let displayName: string | undefined;
  let lt = -1;
  if (start < n && text.charCodeAt(start) === 0x22) {
    const end = endOfQuoted(text, start, n);
    if (end < 0) return undefined;
    displayName = unescapeQuoted(text, start + 1, end - 1);
    lt = skipWsp(text, end, n);
    if (lt >= n || text.charCodeAt(lt) !== 0x3c) return undefined;
  } else {
    let j = start;
    while (j < n && (inTable(TOKEN_CHARS, text.charCodeAt(j)) || isWsp(text.charCodeAt(j)))) j++;
    if (j < n && text.charCodeAt(j) === 0x3c) {
      lt = j;
      const end = trimWspEnd(text, start, j);
      if (end > start) displayName = text.slice(start, end);
    }
  }
  let uriStart = start;
  let uriEnd: number;
  let paramsAt: number;
  if (lt >= 0) {
    uriStart = lt + 1;
    uriEnd = indexBefore(text, '>', uriStart, n);
    if (uriEnd < 0) return undefined;
    paramsAt = uriEnd + 1;
  } else {
    if (requireAngle) return undefined;
    paramsAt = indexBefore(text, ';', start, n);
    if (paramsAt < 0) paramsAt = n;
    uriEnd = trimWspEnd(text, start, paramsAt);
    if (indexBefore(text, '?', start, uriEnd) >= 0 || indexBefore(text, ',', start, uriEnd) >= 0) return undefined;
  }
  const raw = start === 0 && n === text.length ? text : text.slice(start, n);
  let uri: string;
  if (knownUri !== undefined && sameTextAt(text, uriStart, uriEnd, knownUri)) uri = knownUri;
  else {
    if (!isValidUriText(text, uriStart, uriEnd)) return undefined;
    if (src !== undefined) uri = src.sub(text, uriStart, uriEnd, base);
    else uri = uriStart === start && uriEnd === n ? raw : text.slice(uriStart, uriEnd);
  }
  const params = parseParams(text, paramsAt, n, src, base);
  if (params === undefined) return undefined;
  return displayName === undefined ? { raw, uri, params } : { raw, displayName, uri, params };
}
