/** True when `s[a, b)` starts with `pn-`, any case. */
function isPnName(s: string, a: number, b: number): boolean {
  return b - a > 3 && (s.charCodeAt(a) | 0x20) === 0x70 && (s.charCodeAt(a + 1) | 0x20) === 0x6e && s.charCodeAt(a + 2) === 0x2d;
}

function listed(s: string, a: number, b: number, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  const name = s.slice(a, b).toLowerCase();
  return names.includes(name);
}

/**
 * `uri` without its RFC 8599 URI parameters (every `pn-*`) and without the parameters in `also`
 * (lower-case names, e.g. custom `ctMatchParams`), the rest kept byte for byte: the Request-URI of
 * a lookup target and the Contact a pushed device is reached at carry no push coordinates
 * (OpenSIPS `pn_ct_match_params`: "stripped from the resulting Request and Contact URI").
 * Returns `uri` itself when there is nothing to strip.
 */
export function stripPnParams(uri: string, also: readonly string[] = []): string {
  // '@' cannot appear unescaped in URI parameters or headers, so parameters start after the last one;
  // '?' cannot appear in them either, so the first '?' after it starts the headers.
  const at = uri.lastIndexOf('@');
  const q = uri.indexOf('?', at + 1);
  const end = q < 0 ? uri.length : q;
  let i = uri.indexOf(';', at + 1);
  if (i < 0 || i >= end) return uri;
  let out = uri.slice(0, i);
  let changed = false;
  while (i < end) {
    let next = uri.indexOf(';', i + 1);
    if (next < 0 || next > end) next = end;
    let nameEnd = uri.indexOf('=', i + 1);
    if (nameEnd < 0 || nameEnd > next) nameEnd = next;
    if (isPnName(uri, i + 1, nameEnd) || listed(uri, i + 1, nameEnd, also)) changed = true;
    else out += uri.slice(i, next);
    i = next;
  }
  return changed ? out + uri.slice(end) : uri;
}
