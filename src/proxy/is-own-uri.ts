import type { Endpoint } from '../ports/transport';
import { addrSpecOf } from '../sip/name-addr';
import { unbracket } from '../sip/socket-address';
import { parseUri } from '../sip/uri';

/**
 * Whether a URI (or name-addr) names this proxy (RFC 3261 §16.4): its host and port are one of
 * the local sockets (port 5060 when absent, 5061 for `sips:` or `transport=tls`), or its host is
 * one of `domains` (the registrar's served domains) without a port.
 */
export function isOwnUri(uri: string, locals: readonly Endpoint[], domains: readonly string[]): boolean {
  const u = parseUri(addrSpecOf(uri));
  if (u === undefined || u.scheme === 'tel') return false;
  const host = unbracket(u.host).toLowerCase();
  if (u.port === undefined && domains.includes(host)) return true;
  const tls = u.scheme === 'sips' || u.params.transport?.toLowerCase() === 'tls';
  const port = u.port ?? (tls ? 5061 : 5060);
  return locals.some((l) => l.port === port && unbracket(l.address).toLowerCase() === host);
}
