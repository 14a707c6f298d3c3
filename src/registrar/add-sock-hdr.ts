import type { Endpoint } from '../ports/transport';
import { formatEndpoint } from '../sip/socket-address';


/**
 * The header OpenSIPS `add_sock_hdr(hdr_name)` adds: the socket the request was received on,
 * for a replicated registrar behind this proxy to store (its `socketHeader` save flag with
 * `sockHdrName`). Add it when forwarding the REGISTER, e.g. as an extra header of
 * `serializeRequest`.
 */
export function addSockHdr(hdrName: string, local: Endpoint): readonly [string, string] {
  return [hdrName, formatEndpoint(local)];
}
