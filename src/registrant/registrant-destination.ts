import { isIP } from 'node:net';
import type { Endpoint, TransportProtocol } from '../ports/transport';
import { parseUri } from '../sip/uri';

/** The default ports of RFC 3261 §19.1.2: 5061 for TLS (and `sips:`), 5060 otherwise. */
const defaultPort = (protocol: TransportProtocol): number => (protocol === 'tls' ? 5061 : 5060);

/**
 * Where a REGISTER for `uriText` (the outbound proxy, else the registrar) is sent: the URI's
 * host (resolved with `resolveHost` when it is a name), its port or the default, and its
 * `transport` parameter (UDP when absent; TLS for `sips:`). This is RFC 3263 without its
 * NAPTR and SRV steps: an A/AAAA lookup of the host.
 * @throws Error when the URI does not parse or the host does not resolve.
 */
export async function registrantDestination(uriText: string, resolveHost: (host: string) => Promise<string>): Promise<Endpoint> {
  const uri = parseUri(uriText);
  if (uri === undefined || uri.scheme === 'tel') throw new Error(`"${uriText}" is not a sip: or sips: URI`);
  const transport = uri.params.transport?.toLowerCase();
  const protocol: TransportProtocol = transport === 'tcp' || transport === 'tls' || transport === 'udp'
    ? transport
    : uri.scheme === 'sips' ? 'tls' : 'udp';
  const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  const address = isIP(host) !== 0 ? host : await resolveHost(host);
  return { protocol, address, port: uri.port ?? defaultPort(protocol) };
}
