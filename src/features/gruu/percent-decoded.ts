/**
 * `s` with its `%HH` escapes resolved as UTF-8 (RFC 3261 §19.1.2, §19.1.4), or `undefined` when
 * they do not decode. Text without `%` comes back as is.
 */
export function percentDecoded(s: string): string | undefined {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
