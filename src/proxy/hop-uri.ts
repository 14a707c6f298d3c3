import type { ForwardTarget } from './stateless-proxy';

/**
 * The URI a forwarded request is sent towards (RFC 3261 §16.6 steps 7 and 10): the target's
 * `destination`, else its first route (a loose-routing Path hop, `<>` removed), else its URI.
 */
export function hopUriOf(target: ForwardTarget): string {
  const hop = target.destination ?? target.route?.[0] ?? target.uri;
  const open = hop.indexOf('<');
  if (open < 0) return hop;
  const close = hop.indexOf('>', open);
  return hop.slice(open + 1, close < 0 ? hop.length : close);
}
