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

/** True when `s[a, b)` is the text of `t` (a character loop: `startsWith` at an offset is slower on a sliced string). */
function sameTextAt(s: string, a: number, b: number, t: string): boolean {
  if (b - a !== t.length) return false;
  for (let i = 0; i < t.length; i++) if (s.charCodeAt(a + i) !== t.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses one name-addr or addr-spec value followed by header parameters (RFC 3261 §20.10,
 * §25.1 `contact-param`, `from-spec`, `rec-route`): `"Display" <uri>;p=v`, `Name <uri>`,
 * `<uri>` or `uri;p=v`. Without `<>` the parameters after the URI are header parameters, and the
 * URI may not contain `,`, `?` or `;` (RFC 3261 §20; RFC 4475 §3.1.2.13).
 *
 * @param raw - one trimmed element of the header value.
 * @param requireAngle - true for Path, Route and Record-Route, whose values must be name-addr.
 * @param src - when `raw` is `src.text(base, ...)`, the URI and long parameter values are copied
 *   from the bytes again, so a kept Contact URI or `+sip.instance` never pins `raw`.
 * @param knownUri - a URI already found valid (the From URI when parsing To ...): when the value
 *   holds the same text, it is taken as is, without being checked and copied again.
 * @returns the value, or `undefined` on a syntax error.
 */
export function parseNameAddr(raw: string, requireAngle = false, src?: ByteText, base = 0, knownUri?: string): NameAddrValue | undefined {
  const n = raw.length;
  let displayName: string | undefined;
  let lt = -1;
  if (n > 0 && raw.charCodeAt(0) === 0x22) {
    const end = endOfQuoted(raw, 0);
    if (end < 0) return undefined;
    displayName = unescapeQuoted(raw, 1, end - 1);
    lt = skipWsp(raw, end);
    if (lt >= n || raw.charCodeAt(lt) !== 0x3c) return undefined;
  } else {
    let j = 0;
    while (j < n && (inTable(TOKEN_CHARS, raw.charCodeAt(j)) || isWsp(raw.charCodeAt(j)))) j++;
    if (j < n && raw.charCodeAt(j) === 0x3c) {
      lt = j;
      const end = trimWspEnd(raw, 0, j);
      if (end > 0) displayName = raw.slice(0, end);
    }
  }
  let uriStart = 0;
  let uriEnd: number;
  let paramsAt: number;
  if (lt >= 0) {
    uriStart = lt + 1;
    uriEnd = raw.indexOf('>', uriStart);
    if (uriEnd < 0) return undefined;
    paramsAt = uriEnd + 1;
  } else {
    if (requireAngle) return undefined;
    paramsAt = raw.indexOf(';');
    if (paramsAt < 0) paramsAt = n;
    uriEnd = trimWspEnd(raw, 0, paramsAt);
    const q = raw.indexOf('?');
    const comma = raw.indexOf(',');
    if ((q >= 0 && q < uriEnd) || (comma >= 0 && comma < uriEnd)) return undefined;
  }
  let uri = raw;
  if (knownUri !== undefined && sameTextAt(raw, uriStart, uriEnd, knownUri)) uri = knownUri;
  else {
    if (!isValidUriText(raw, uriStart, uriEnd)) return undefined;
    if (uriStart !== 0 || uriEnd !== n) uri = src === undefined ? raw.slice(uriStart, uriEnd) : src.sub(raw, uriStart, uriEnd, base);
  }
  const params = parseParams(raw, paramsAt, src, base);
  if (params === undefined) return undefined;
  return displayName === undefined ? { raw, uri, params } : { raw, displayName, uri, params };
}
