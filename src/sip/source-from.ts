import { ConfigError } from '../errors/sdk-error';
import type { Source, TransportProtocol } from '../ports/transport';
import { unbracket } from './socket-address';

/**
 * An address and port as Node.js reports them: the `rinfo` of a `dgram` message, what
 * `socket.address()` returns, or `{ address: socket.remoteAddress, port: socket.remotePort }`
 * of a TCP socket. Other fields (`family`, `size`) are ignored.
 */
export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

/** Options of {@link sourceFrom}. */
export interface SourceFromOptions {
  /** The transport the request came over, for both ends. @defaultValue 'udp' */
  readonly protocol?: TransportProtocol;
  /** The connection it came over (TCP/TLS/WS): the RFC 5626 flow token of its bindings. @defaultValue none */
  readonly connectionId?: string;
}

const PROTOCOLS: ReadonlySet<string> = new Set<TransportProtocol>(['udp', 'tcp', 'tls', 'ws', 'wss', 'sctp']);

function checked(what: string, a: SocketAddress): { address: string; port: number } {
  if (typeof a?.address !== 'string' || a.address === '') throw new ConfigError(`sourceFrom(): ${what}.address must be an IP address or host name, got ${String(a?.address)}`);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new ConfigError(`sourceFrom(): ${what}.port must be an integer 0-65535, got ${String(a.port)}`);
  return { address: unbracket(a.address), port: a.port };
}

/**
 * The {@link Source} of a request (`SaveOptions.source`, the transports' request handlers) from
 * the addresses a Node.js socket reports, so a host need not spell the object out:
 * `sourceFrom(rinfo, socket.address())` in a `dgram` `'message'` handler. Both ends take
 * `options.protocol` (UDP by default); IPv6 brackets are removed.
 * @throws ConfigError for an unknown protocol, an empty address or a port outside 0-65535
 *   (a JavaScript caller passing what TypeScript would refuse).
 */
export function sourceFrom(remote: SocketAddress, local: SocketAddress, options: SourceFromOptions = {}): Source {
  const protocol = options.protocol ?? 'udp';
  if (!PROTOCOLS.has(protocol)) throw new ConfigError(`sourceFrom(): protocol must be one of ${[...PROTOCOLS].join(', ')}, got '${String(protocol)}'`);
  const from = checked('remote', remote);
  const source = { protocol, ...from, local: { protocol, ...checked('local', local) } };
  return options.connectionId === undefined ? source : { ...source, connectionId: options.connectionId };
}
