import type { Result } from '../errors/result';
import { err, ok } from '../errors/result';
import { TOKEN_CHARS, inTable, isHex, isWsp, skipWsp } from '../sip/chars';
import { endOfQuoted } from '../sip/headers/params';
import { unescapeQuoted } from '../sip/name-addr';

/**
 * The digest credentials of an `Authorization` or `Proxy-Authorization` value (RFC 3261 §22.4,
 * §25.1 `digest-response`; RFC 7616 §3.4), quoted-strings unescaped.
 */
export interface ParsedCredentials {
  /** The username, or its hash when {@link ParsedCredentials.userhash} (RFC 7616 §3.4.4). */
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  /** The `digest-uri`: must be the Request-URI (RFC 3261 §22.4). */
  readonly uri: string;
  /** The `request-digest`, hex. */
  readonly response: string;
  /** The `algorithm` as sent; `MD5` when absent (RFC 7616 §3.4). */
  readonly algorithm: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  /** The `qop` as sent (`auth`, `auth-int` ...); absent in the RFC 2069 form. */
  readonly qop?: string;
  /** The nonce count (`nc`), 1 for the first request with a nonce. */
  readonly nc?: number;
  /** The nonce count's 8 hex digits as sent, which the response signs. */
  readonly ncValue?: string;
  /** `userhash=true`: `username` is `H(username ":" realm)` (RFC 7616 §3.4.4). */
  readonly userhash: boolean;
}

/** The parameters read, in the order of {@link PARAM_NAMES}. */
const PARAM_NAMES = ['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'cnonce', 'opaque', 'qop', 'nc', 'userhash'] as const;
const REQUIRED = 5;
const [USERNAME, REALM, NONCE, URI, RESPONSE, ALGORITHM, CNONCE, OPAQUE, QOP, NC, USERHASH] = PARAM_NAMES.map((_, i) => i);

/** True when `s[a, b)` is the lower-case `name` with any letter case (ASCII). */
function nameAt(s: string, a: number, b: number, name: string): boolean {
  if (b - a !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = s.charCodeAt(a + i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Index in {@link PARAM_NAMES} of the parameter named `s[a, b)` (any letter case), or -1 for
 * another one: the length and first letter pick the one candidate to compare.
 */
function paramIndex(s: string, a: number, b: number): number {
  const first = s.charCodeAt(a) | 0x20;
  let k: number;
  switch (b - a) {
    case 2: k = NC; break;
    case 3: k = first === 0x75 /* u */ ? URI : QOP; break;
    case 5: k = first === 0x72 /* r */ ? REALM : NONCE; break;
    case 6: k = first === 0x63 /* c */ ? CNONCE : OPAQUE; break;
    case 8: k = first === 0x72 /* r */ ? RESPONSE : s.charCodeAt(a + 4) === 0x6e || s.charCodeAt(a + 4) === 0x4e ? USERNAME : USERHASH; break;
    case 9: k = ALGORITHM; break;
    default: return -1;
  }
  return nameAt(s, a, b, PARAM_NAMES[k]) ? k : -1;
}

/** End of the token that starts at `i` (RFC 3261 §25.1 `token`). */
function tokenEnd(s: string, i: number, n: number): number {
  while (i < n && inTable(TOKEN_CHARS, s.charCodeAt(i))) i++;
  return i;
}

/** `nc-value`: exactly 8 hex digits (RFC 7616 §3.4), as a number; -1 otherwise. */
function nonceCount(v: string): number {
  if (v.length !== 8) return -1;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    const c = v.charCodeAt(i);
    if (!isHex(c)) return -1;
    n = n * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return n;
}

/**
 * Reads one `Authorization` / `Proxy-Authorization` value (RFC 3261 §22.4, §25.1; RFC 7616
 * §3.4) with a hand-written scanner: parameters in any order, values quoted (escapes removed)
 * or tokens, unknown parameters ignored.
 *
 * @returns undefined when the scheme is not `Digest` (Basic, Bearer ...: not ours to judge);
 *   a failure naming the fault for malformed credentials (syntax, a parameter twice, one of
 *   username, realm, nonce, uri, response missing, an `nc` that is not 8 hex digits from 1);
 *   the credentials otherwise.
 */
export function parseCredentials(value: string): Result<ParsedCredentials, string> | undefined {
  const n = value.length;
  let i = skipWsp(value, 0, n);
  const schemeEnd = tokenEnd(value, i, n);
  if (!nameAt(value, i, schemeEnd, 'digest')) return undefined;
  if (schemeEnd === n || !isWsp(value.charCodeAt(schemeEnd))) return err('no parameters after Digest');
  const values: (string | undefined)[] = new Array(PARAM_NAMES.length);
  const firstEscape = value.indexOf('\\');
  i = schemeEnd;
  for (;;) {
    i = skipWsp(value, i, n);
    const nameStart = i;
    i = tokenEnd(value, i, n);
    if (i === nameStart) return err(`parameter name expected at offset ${nameStart}`);
    const nameEnd = i;
    i = skipWsp(value, i, n);
    if (value.charCodeAt(i) !== 0x3d) return err(`'=' expected after ${value.slice(nameStart, nameEnd)}`);
    i = skipWsp(value, i + 1, n);
    let v: string;
    if (value.charCodeAt(i) === 0x22) {
      // Before the first escape the closing quote is the next one, found natively.
      const close = value.indexOf('"', i + 1);
      if (close >= 0 && (firstEscape < 0 || close < firstEscape)) {
        v = value.slice(i + 1, close);
        i = close + 1;
      } else {
        const end = endOfQuoted(value, i, n);
        if (end < 0) return err(`unterminated quoted value of ${value.slice(nameStart, nameEnd)}`);
        v = unescapeQuoted(value, i + 1, end - 1);
        i = end;
      }
    } else {
      const start = i;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c === 0x2c || c === 0x22 || isWsp(c)) break;
      }
      if (i === start) return err(`value expected for ${value.slice(nameStart, nameEnd)}`);
      v = value.slice(start, i);
    }
    const k = paramIndex(value, nameStart, nameEnd);
    if (k >= 0) {
      if (values[k] !== undefined) return err(`parameter ${PARAM_NAMES[k]} given twice`);
      values[k] = v;
    }
    i = skipWsp(value, i, n);
    if (i === n) break;
    if (value.charCodeAt(i) !== 0x2c) return err(`',' expected at offset ${i}`);
    i++;
  }
  for (let k = 0; k < REQUIRED; k++) if (values[k] === undefined) return err(`${PARAM_NAMES[k]} parameter missing`);
  const ncValue = values[NC];
  const nc = ncValue === undefined ? undefined : nonceCount(ncValue);
  if (nc !== undefined && nc < 1) return err(`nc=${ncValue} is not 8 hex digits from 00000001`);
  const userhash = values[USERHASH];
  const hashed = userhash !== undefined && nameAt(userhash, 0, userhash.length, 'true');
  if (userhash !== undefined && !hashed && !nameAt(userhash, 0, userhash.length, 'false')) return err(`userhash=${userhash} is neither true nor false`);
  return ok({
    username: values[USERNAME]!,
    realm: values[REALM]!,
    nonce: values[NONCE]!,
    uri: values[URI]!,
    response: values[RESPONSE]!,
    algorithm: values[ALGORITHM] ?? 'MD5',
    cnonce: values[CNONCE],
    opaque: values[OPAQUE],
    qop: values[QOP],
    nc,
    ncValue,
    userhash: hashed,
  });
}
