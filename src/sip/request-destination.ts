import { isIP } from 'node:net';
import { lookup, resolveSrv } from 'node:dns/promises';
import type { Endpoint, TransportProtocol } from '../ports/transport';
import { parseUri } from './uri';
import { isInvalidDomain } from '../features/outbound/invalid-host';

/** One DNS SRV record (RFC 2782), as `dns.promises.resolveSrv` returns it. */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** The DNS lookups a request's destination needs. */
export interface SipResolver {
  /** A host name to an IP address (A/AAAA). */
  readonly resolveHost: (host: string) => Promise<string>;
  /**
   * Every address of a host name (all its A/AAAA records), for comparisons that must match any of
   * them (OpenSIPS `remove()` by next hop). Without it, the one address of {@link resolveHost}.
   */
  readonly resolveAddresses?: (host: string) => Promise<readonly string[]>;
  /** SRV records of a name such as `_sip._udp.example.com`; rejects or is empty when there are none. */
  readonly resolveSrv: (name: string) => Promise<readonly SrvRecord[]>;
  /** A random number in [0, 1) for the weighted choice among SRV records. */
  readonly random: () => number;
}

/** The system's DNS: `dns.lookup` for addresses, `dns.resolveSrv`, and `Math.random`. */
export const systemResolver: SipResolver = Object.freeze({
  resolveHost: async (host: string): Promise<string> => (await lookup(host)).address,
  resolveAddresses: async (host: string): Promise<readonly string[]> => (await lookup(host, { all: true })).map((a) => a.address),
  resolveSrv,
  random: Math.random,
});

/** The default ports of RFC 3261 §19.1.2: 5061 for TLS (and `sips:`), 5060 otherwise. */
const defaultPort = (protocol: TransportProtocol): number => (protocol === 'tls' ? 5061 : 5060);

/**
 * One SRV target (RFC 2782): among the records of the lowest priority, a weighted random choice
 * (records of weight 0 only when all are 0).
 */
export function pickSrv(records: readonly SrvRecord[], random: number): SrvRecord | undefined {
  if (records.length === 0) return undefined;
  const priority = Math.min(...records.map((r) => r.priority));
  const group = records.filter((r) => r.priority === priority);
  const total = group.reduce((sum, r) => sum + r.weight, 0);
  if (total === 0) return group[Math.floor(random * group.length)];
  let left = random * total;
  for (const r of group) {
    if (r.weight === 0) continue;
    left -= r.weight;
    if (left < 0) return r;
  }
  return group.filter((r) => r.weight > 0).at(-1);
}

/**
 * A destination reached over `protocol`: for TLS with a host name, `serverName` is that name, the
 * identity the server's certificate must show (RFC 5922 §7.2: the domain of the URI, not the SRV
 * target's).
 */
export function endpointFor(protocol: TransportProtocol, address: string, port: number, host: string): Endpoint {
  return protocol === 'tls' && isIP(host) === 0 ? { protocol, address, port, serverName: host } : { protocol, address, port };
}

/**
 * Where a request for `uriText` (an outbound proxy, a registrar, a remote target) is sent, after RFC 3263
 * §4 without its NAPTR step: the transport from the URI's `transport` parameter (UDP when absent,
 * TLS for `sips:`); an IP address or an explicit port is used as is; otherwise the SRV records of
 * `_sip._udp.host` (`_sip._tcp`, `_sips._tcp` for TLS) choose host and port (§4.2, RFC 2782), and with
 * none the host's address on the default port (5061 for TLS, §4.2 last paragraph). A TLS
 * destination named by a host carries it as `serverName` ({@link endpointFor}).
 * @throws Error when the URI does not parse, names `transport=ws`/`wss` (a server does not dial a
 *   WebSocket client, RFC 7118 §5: it is reached over its own connection), has a `.invalid` host
 *   (RFC 6761 §6.4: not asked of DNS), or the host does not resolve.
 */
export async function requestDestination(uriText: string, resolver: SipResolver): Promise<Endpoint> {
  const uri = parseUri(uriText);
  if (uri === undefined || uri.scheme === 'tel') throw new Error(`"${uriText}" is not a sip: or sips: URI`);
  const transport = uri.params.transport?.toLowerCase();
  if (transport === 'ws' || transport === 'wss') throw new Error(`"${uriText}" is a WebSocket client's: reached only over its own connection (RFC 7118 §5), never dialled`);
  const protocol: TransportProtocol = transport === 'tcp' || transport === 'tls' || transport === 'udp'
    ? transport
    : uri.scheme === 'sips' ? 'tls' : 'udp';
  const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  if (isIP(host) !== 0) return { protocol, address: host, port: uri.port ?? defaultPort(protocol) };
  if (isInvalidDomain(host)) throw new Error(`"${uriText}" has a .invalid host, which resolves nowhere (RFC 6761 §6.4)`);
  if (uri.port === undefined) {
    const service = protocol === 'tls' ? `_sips._tcp.${host}` : `_sip._${protocol}.${host}`;
    const target = pickSrv(await resolver.resolveSrv(service).catch(() => []), resolver.random());
    if (target !== undefined) return endpointFor(protocol, await resolver.resolveHost(target.name), target.port, host);
  }
  return endpointFor(protocol, await resolver.resolveHost(host), uri.port ?? defaultPort(protocol), host);
}
