import type { Endpoint } from '../ports/transport';

/**
 * The socket description `proto:ip:port` of a local endpoint (OpenSIPS socket syntax).
 */
export function formatSocket(local: Endpoint): string {
  const host = local.address.includes(':') ? `[${local.address}]` : local.address;
  return `${local.protocol}:${host}:${local.port}`;
}

/**
 * The header OpenSIPS `add_sock_hdr(hdr_name)` adds: the socket the request was received on,
 * for a replicated registrar behind this proxy to store (its `socketHeader` save flag with
 * `sockHdrName`). Add it when forwarding the REGISTER, e.g. as an extra header of
 * `serializeRequest`.
 */
export function addSockHdr(hdrName: string, local: Endpoint): readonly [string, string] {
  return [hdrName, formatSocket(local)];
}
