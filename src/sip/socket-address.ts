import type { Endpoint } from '../ports/transport';

/** An address as a SIP host: IPv6 addresses get their brackets (RFC 3261 §25.1 IPv6reference). */
export function bracketHost(address: string): string {
  return address.includes(':') && address.charCodeAt(0) !== 91 /* [ */ ? `[${address}]` : address;
}

/** Remove the brackets of an IPv6 reference (`[::1]` → `::1`); other hosts are returned unchanged. */
export function unbracket(host: string): string {
  return host.charCodeAt(0) === 91 /* [ */ && host.charCodeAt(host.length - 1) === 93 /* ] */ ? host.slice(1, -1) : host;
}

/**
 * An endpoint as a socket description `proto:host:port` (IPv6 in brackets): the OpenSIPS socket
 * syntax, used for listen addresses, `Binding.socket` and the `add_sock_hdr` header.
 */
export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.protocol}:${bracketHost(endpoint.address)}:${endpoint.port}`;
}
