import type { ByteText } from '../byte-text';
import { TOKEN_CHARS, inTable, skipWsp } from '../chars';
import { isIpAddress, scanHost } from '../host';

/** Parameters keyed by lower-cased name; a parameter without `=value` maps to `null`. */
export type Params = Record<string, string | null>;

/** Octets that end a run of `qdtext` (RFC 3261 §25.1): controls but HTAB, DEL, `"` and `\`. */
const QUOTED_STOP: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 0x20; c++) t[c] = 1;
  t[0x09] = 0;
  t[0x7f] = 1;
  t[0x22] = 1;
  t[0x5c] = 1;
  return t;
})();

/**
 * Index just after the quoted-string that starts at `s[i] === '"'` (RFC 3261 §25.1
 * `quoted-string`: `qdtext` excludes controls, a `quoted-pair` escapes any character but CR
 * and LF), or -1 when it is not terminated before `n` or holds a forbidden character.
 */
export function endOfQuoted(s: string, i: number, n = s.length): number {
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c >= 128 || QUOTED_STOP[c] === 0) continue;
    if (c === 0x22) return j + 1;
    if (c !== 0x5c) return -1;
    const e = s.charCodeAt(++j);
    if (j === n || e === 0x0d || e === 0x0a) return -1;
  }
  return -1;
}

/**
 * Parameter names registrars meet all the time (RFC 3261 §20, RFC 3581, RFC 5626, RFC 5627,
 * RFC 8599). Returning these literals instead of a fresh slice saves the property-key
 * internalisation when the name becomes a key of the params object.
 */
const COMMON_PARAM_NAMES: readonly string[] = [
  'tag', 'expires', 'q', 'branch', 'rport', 'received', 'transport', 'lr', 'ob', 'reg-id',
  '+sip.instance', 'methods', 'maddr', 'ttl', 'user', 'gr', 'pub-gruu', 'temp-gruu', '+sip.ice',
  'pn-provider', 'pn-prid', 'pn-param', '+sip.pnsreg',
];

/** {@link COMMON_PARAM_NAMES} by length then first character (`length * 32 + (c & 31)`). */
const PARAM_BUCKETS: readonly (readonly string[])[] = (() => {
  const longest = COMMON_PARAM_NAMES.reduce((m, name) => Math.max(m, name.length), 0);
  const buckets: string[][] = Array.from({ length: (longest + 1) * 32 }, () => []);
  for (const name of COMMON_PARAM_NAMES) buckets[name.length * 32 + (name.charCodeAt(0) & 31)].push(name);
  return buckets;
})();

/** The {@link COMMON_PARAM_NAMES} entry equal to `s[a, b)` case-insensitively, if any. */
function commonParamName(s: string, a: number, b: number): string | undefined {
  const slot = (b - a) * 32 + (s.charCodeAt(a) & 31);
  if (slot >= PARAM_BUCKETS.length) return undefined;
  const bucket = PARAM_BUCKETS[slot];
  outer: for (let k = 0; k < bucket.length; k++) {
    const name = bucket[k];
    for (let i = 0; i < name.length; i++) {
      let c = s.charCodeAt(a + i);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== name.charCodeAt(i)) continue outer;
    }
    return name;
  }
  return undefined;
}

/** End of a bare IPv6 address at `s[i]` (Via `received`, RFC 3261 §20.42) before `n`, or -1. */
function endOfBareIPv6(s: string, i: number, n: number): number {
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (!(inTable(TOKEN_CHARS, c) || c === 0x3a)) break;
    j++;
  }
  return isIpAddress(s.slice(i, j)) ? j : -1;
}

/**
 * Where {@link readParam} stands in a parameter list that ends at `end`, and the parameter it
 * read last: `name` (lower-cased; a {@link COMMON_PARAM_NAMES} literal when it is one) and its
 * value `[valueStart, valueEnd)`, `valueStart < 0` when it has no `=value`.
 */
export interface ParamCursor {
  /** The `;` of the next parameter, or `end`. */
  i: number;
  /** Where the list ends in the text. */
  end: number;
  name: string;
  valueStart: number;
  valueEnd: number;
}

/**
 * A {@link ParamCursor} at `s[i]` for a list ending at `end`, white space skipped: one per list
 * read, so that readers never share state (a small object V8 allocates young and frees for free).
 */
export function paramCursor(s: string, i: number, end: number): ParamCursor {
  return { i: skipWsp(s, i, end), end, name: '', valueStart: -1, valueEnd: -1 };
}

/**
 * Reads one `SEMI generic-param` (RFC 3261 §25.1) at `c.i` into `c` and moves `c.i` past it and
 * the white space after it. The value is a token, a bracketed IPv6 reference, a quoted-string
 * (quotes kept) or, for `received`, a bare IPv6 address (RFC 3261 §20.42).
 *
 * @returns false on a syntax error.
 */
export function readParam(s: string, c: ParamCursor): boolean {
  const n = c.end;
  let i = c.i;
  if (s.charCodeAt(i) !== 0x3b) return false;
  i = skipWsp(s, i + 1, n);
  const nameStart = i;
  let upper = false;
  for (; i < n; i++) {
    const ch = s.charCodeAt(i);
    if (ch >= 128 || TOKEN_CHARS[ch] !== 1) break;
    if (ch >= 0x41 && ch <= 0x5a) upper = true;
  }
  if (i === nameStart) return false;
  const name = commonParamName(s, nameStart, i) ?? (upper ? s.slice(nameStart, i).toLowerCase() : s.slice(nameStart, i));
  i = skipWsp(s, i, n);
  let valueStart = -1;
  if (i < n && s.charCodeAt(i) === 0x3d) {
    i = skipWsp(s, i + 1, n);
    valueStart = i;
    const ch = i < n ? s.charCodeAt(i) : -1;
    if (ch === 0x22) i = endOfQuoted(s, i, n);
    else if (ch === 0x5b) i = scanHost(s, i, n);
    else {
      while (i < n && inTable(TOKEN_CHARS, s.charCodeAt(i))) i++;
      if (i === valueStart) return false;
      if (name === 'received' && i < n && s.charCodeAt(i) === 0x3a) i = endOfBareIPv6(s, valueStart, n);
    }
    if (i < 0) return false;
  }
  c.name = name;
  c.valueStart = valueStart;
  c.valueEnd = i;
  c.i = skipWsp(s, i, n);
  return true;
}

/** The parameters of every value without any (one frozen object, never written to). */
const NO_PARAMS: Readonly<Params> = Object.freeze({});

/**
 * Parses `*( SEMI generic-param )` from `s[i]` to `end` (RFC 3261 §25.1 `generic-param`,
 * used by Contact, From/To, Path and Route) with {@link readParam}: names lower-cased, values
 * as written.
 *
 * @param src - when `s[k]` is the byte `src.buf[base + k]`, long values are copied from the
 *   bytes (see {@link ByteText.sub}) so that a kept value such as `+sip.instance` does not pin `s`.
 * @returns the parameters, or `undefined` on a syntax error.
 */
export function parseParams(s: string, i: number, end: number, src?: ByteText, base = 0): Readonly<Params> | undefined {
  const c = paramCursor(s, i, end);
  if (c.i >= end) return NO_PARAMS;
  const params: Params = {};
  while (c.i < end) {
    if (!readParam(s, c)) return undefined;
    const a = c.valueStart;
    params[c.name] = a < 0 ? null : src === undefined ? s.slice(a, c.valueEnd) : src.sub(s, a, c.valueEnd, base);
  }
  return params;
}
