import { uriParts } from '../../registrar/aor';

const INVALID = '.invalid';

/** True for a host name in the `.invalid` domain (RFC 6761 §6.4), which no resolver answers: no DNS query is worth making. */
export function isInvalidDomain(host: string): boolean {
  const end = host.endsWith('.') ? host.length - 1 : host.length;
  return end > INVALID.length && host.slice(end - INVALID.length, end).toLowerCase() === INVALID;
}

/**
 * True when the host of `uri` is in the `.invalid` domain ({@link isInvalidDomain}): the Contact
 * of a WebSocket client (RFC 7118 §5), reachable only over the connection it registered or
 * subscribed on.
 */
export function hasInvalidHost(uri: string): boolean {
  const host = uriParts(uri)?.host;
  return host !== undefined && isInvalidDomain(host);
}
