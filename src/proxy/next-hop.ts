import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Endpoint, TransportProtocol } from '../ports/transport';
import { addrSpecOf } from '../sip/name-addr';
import { parseUri } from '../sip/uri';
import { unbracket } from '../sip/socket-address';
import { isInvalidDomain } from '../features/outbound/invalid-host';
import { endpointFor } from '../sip/request-destination';
import { hopUriOf } from './hop-uri';
import type { ForwardTarget } from './stateless-proxy';

const PROTOCOLS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss', 'sctp']);

/**
 * The endpoint a request for `uri` goes to (RFC 3263 §4 without NAPTR/SRV): the `maddr` or
 * host, the port (5060, or 5061 for TLS), the `transport` parameter (UDP by default, TLS for
 * `sips:`), and for TLS to a host name that name to verify the certificate against (RFC 5922 §7.2).
 * Host names are resolved with the system resolver; a `.invalid` one (a WebSocket client's
 * Contact, RFC 7118 §5) is not asked about. `undefined` when unusable.
 */
export async function nextHopOf(uri: string): Promise<Endpoint | undefined> {
  const u = parseUri(addrSpecOf(uri));
  if (u === undefined || u.scheme === 'tel') return undefined;
  const param = u.params.transport?.toLowerCase();
  const protocol = (param !== undefined && PROTOCOLS.has(param) ? param : u.scheme === 'sips' ? 'tls' : 'udp') as TransportProtocol;
  const hostParam = u.params.maddr ?? u.host;
  const host = unbracket(hostParam);
  let address = host;
  if (isIP(host) === 0) {
    if (isInvalidDomain(host)) return undefined;
    try {
      address = (await dnsLookup(host)).address;
    } catch {
      return undefined;
    }
  }
  return endpointFor(protocol, address, u.port ?? (protocol === 'tls' ? 5061 : 5060), host);
}

/**
 * The endpoint a request forwarded to `target` goes to: {@link nextHopOf} its hop URI
 * ({@link hopUriOf}), a TLS one verified against the target's `serverName` when it has one
 * (RFC 5922 §7.2), instead of the URI's host.
 */
export async function nextHopOfTarget(target: ForwardTarget): Promise<Endpoint | undefined> {
  const hop = await nextHopOf(hopUriOf(target));
  return hop?.protocol === 'tls' && target.serverName !== undefined ? { ...hop, serverName: target.serverName } : hop;
}
