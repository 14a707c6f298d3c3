import { TOKEN_CHARS, allInTable, skipWsp, trimWspEnd } from '../chars';

/**
 * Parses a comma-separated list of tokens, as in Supported, Require, Proxy-Require
 * (RFC 3261 §20.37, §20.32, §20.29: `option-tag`) and Allow (§20.5: `Method`). An empty value
 * is an empty list (RFC 3261 §20.37 allows `Supported:` with no tags).
 *
 * @returns the tokens as written, or `undefined` when an element is not a token.
 */
export function parseTokenList(value: string): string[] | undefined {
  const out: string[] = [];
  const n = value.length;
  let start = skipWsp(value, 0);
  if (start === n) return out;
  while (start <= n) {
    let comma = value.indexOf(',', start);
    if (comma < 0) comma = n;
    const a = skipWsp(value, start, comma);
    const b = trimWspEnd(value, a, comma);
    if (!allInTable(TOKEN_CHARS, value, a, b)) return undefined;
    out.push(value.slice(a, b));
    start = comma + 1;
  }
  return out;
}
