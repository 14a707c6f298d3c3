/**
 * Character classes of the RFC 3261 §25.1 ABNF as lookup tables, so the scanner tests a byte
 * or a UTF-16 code unit with one array read instead of a regular expression.
 * @packageDocumentation
 */

function table(chars: string, ranges: readonly (readonly [number, number])[] = []): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) t[c] = 1;
  return t;
}

const ALNUM: readonly (readonly [number, number])[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];

/** `token` characters (RFC 3261 §25.1): alphanum and `-.!%*_+\`'~`. */
export const TOKEN_CHARS: Uint8Array = table("-.!%*_+`'~", ALNUM);

/** Decimal digits. */
export const DIGIT_CHARS: Uint8Array = table('', [[0x30, 0x39]]);

/** `word` characters (RFC 3261 §25.1), used by Call-ID: token plus `()<>:\\"/[]?{}`. */
export const WORD_CHARS: Uint8Array = table("-.!%*_+`'~()<>:\\\"/[]?{}", ALNUM);

/** `uric` characters of an absoluteURI (RFC 3261 §25.1: reserved, unreserved, `%` of escaped). */
export const URIC_CHARS: Uint8Array = table(";/?:@&=+$,-_.!~*'()%", ALNUM);

/** URI user-part characters (RFC 3261 §25.1 `user`): unreserved, escaped and user-unreserved. */
export const USER_CHARS: Uint8Array = table("-_.!~*'()%&=+$,;?/", ALNUM);

/** URI password characters (RFC 3261 §25.1 `password`). */
export const PASSWORD_CHARS: Uint8Array = table("-_.!~*'()%&=+$,", ALNUM);

/** URI parameter name/value characters (`paramchar`, RFC 3261 §25.1). */
export const PARAM_CHARS: Uint8Array = table("-_.!~*'()%[]/:&+$", ALNUM);

/** URI header name/value characters (`hnv-unreserved` / unreserved / escaped). */
export const URI_HEADER_CHARS: Uint8Array = table("-_.!~*'()%[]/?:+$", ALNUM);

/** True for a code unit in `table` (code units >= 128 are never in a table). */
export function inTable(t: Uint8Array, c: number): boolean {
  return c < 128 && t[c] === 1;
}

/** True when every code unit of `s[start, end)` is in `t` and the range is not empty. */
export function allInTable(t: Uint8Array, s: string, start = 0, end = s.length): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

/** True when `buf[a, b)` is non-empty and every byte is in `t` (bytes >= 128 are never in a table). */
export function allBytesIn(t: Uint8Array, buf: Uint8Array, a: number, b: number): boolean {
  if (a >= b) return false;
  for (let i = a; i < b; i++) {
    const c = buf[i];
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

/** True for SP or HTAB (RFC 3261 `WSP`). */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index of the first non-WSP code unit at or after `i` (or `end`). */
export function skipWsp(s: string, i: number, end = s.length): number {
  while (i < end && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** Index after the last non-WSP code unit before `end` (or `start`). */
export function trimWspEnd(s: string, start: number, end: number): number {
  while (end > start && isWsp(s.charCodeAt(end - 1))) end--;
  return end;
}

/** Parses `s` as 1*DIGIT; returns the number or -1 (also -1 when longer than `maxDigits`). */
export function parseDigits(s: string, maxDigits: number): number {
  const n = s.length;
  if (n === 0 || n > maxDigits) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** True for a hexadecimal digit (RFC 5234 `HEXDIG`, either case). */
export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * True when `buf[a, b)` holds a NUL octet that is not the second octet of a `quoted-pair`
 * (RFC 3261 §25.1: `"\" %x00-09 ...`, RFC 4475 §3.1.1.2 has one in a display name). No other
 * rule of the header section produces a NUL (a URI carries one only escaped, `%00`: RFC 4475
 * §3.1.1.4); a raw NUL is how a hostile peer cuts a value short for C parsers, so both parser
 * tiers refuse it.
 */
export function hasBareNul(buf: Uint8Array, a: number, b: number): boolean {
  for (let i = buf.indexOf(0, a); i >= 0 && i < b; i = buf.indexOf(0, i + 1)) {
    let backslashes = 0;
    while (i - backslashes - 1 >= a && buf[i - backslashes - 1] === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return true;
  }
  return false;
}
