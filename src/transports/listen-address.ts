import { isIP } from 'node:net';
import { ConfigError } from '../errors/sdk-error';
import type { Endpoint } from '../ports/transport';

/**
 * Protocols the Node transport can listen on (RFC 3261 §18: UDP and TCP are mandatory; TLS per
 * §26.3.1; WebSocket and secure WebSocket per RFC 7118).
 */
export type NodeListenProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** A parsed `listen` entry: an {@link Endpoint} restricted to the protocols the Node transport serves. */
export interface ListenAddress extends Endpoint {
  readonly protocol: NodeListenProtocol;
}

/** The default SIP port for UDP and TCP (RFC 3261 §19.1.2). */
export const DEFAULT_SIP_PORT = 5060;

/** The default SIP port for TLS (RFC 3261 §19.1.2). */
export const DEFAULT_SIPS_PORT = 5061;

/** The default port of `protocol`: 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2); HTTP's 80 and 443 for ws and wss (RFC 6455 §3). */
export function defaultSipPort(protocol: string): number {
  if (protocol === 'ws') return 80;
  if (protocol === 'wss') return 443;
  return protocol === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT;
}

const LISTEN_PROTOCOLS: ReadonlySet<string> = new Set<NodeListenProtocol>(['udp', 'tcp', 'tls', 'ws', 'wss']);

/**
 * Parse a listen specification `proto:ip[:port]`, the socket notation OpenSIPS uses
 * (`udp:127.0.0.1:5060`, `tcp:[::1]:5060`, `tls:10.0.0.1`). The host must be an IP literal (IPv6 in
 * brackets); the port defaults to 5060, 5061 for TLS (RFC 3261 §19.1.2), and `0` asks for an
 * ephemeral port.
 *
 * @example
 * ```ts
 * parseListenAddress('udp:[::1]:0'); // { protocol: 'udp', address: '::1', port: 0 }
 * ```
 * @throws {@link ConfigError} when the specification is malformed.
 */
export function parseListenAddress(spec: string): ListenAddress {
  const colon = spec.indexOf(':');
  const protocol = spec.slice(0, colon).toLowerCase();
  if (colon < 0 || !LISTEN_PROTOCOLS.has(protocol)) {
    throw new ConfigError(`listen address "${spec}": expected <proto>:<ip>[:<port>] with proto udp, tcp, tls, ws or wss`);
  }
  const rest = spec.slice(colon + 1);
  let address: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    address = close < 0 ? '' : rest.slice(1, close);
    const tail = close < 0 ? '' : rest.slice(close + 1);
    if (tail !== '' && !tail.startsWith(':')) address = '';
    portText = tail === '' ? undefined : tail.slice(1);
    if (isIP(address) !== 6) address = '';
  } else {
    const portColon = rest.indexOf(':');
    address = portColon < 0 ? rest : rest.slice(0, portColon);
    portText = portColon < 0 ? undefined : rest.slice(portColon + 1);
    if (isIP(address) !== 4) address = '';
  }
  if (address === '') {
    throw new ConfigError(`listen address "${spec}": the host must be an IPv4 literal or a bracketed IPv6 literal`);
  }
  const port = portText === undefined ? defaultSipPort(protocol) : Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`listen address "${spec}": the port must be an integer in 0..65535`);
  }
  return { protocol: protocol as NodeListenProtocol, address, port };
}

export { formatEndpoint } from '../sip/socket-address';
