import type { Endpoint } from '../ports/transport';
import { unbracket } from '../sip/socket-address';

/** `proto:host[:port]`, the host an IPv6 reference in brackets or anything without a colon. */
const SOCKET = /^([A-Za-z]+):(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/**
 * The local socket a `sock_hdr_name` header names (OpenSIPS registrar `get_sock_hdr()` in save.c):
 * its `proto:host[:port]` value (the port defaults to 5061 for TLS, else 5060, as OpenSIPS's
 * `set_sip_defaults`) is looked up among `locals`, the sockets this server listens on
 * (`grep_sock_info`). Undefined for a malformed value or a socket that is not local: OpenSIPS then
 * ignores the header and keeps the socket the REGISTER was received on.
 */
export function localSocketNamed(value: string, locals: readonly Endpoint[]): Endpoint | undefined {
  const m = SOCKET.exec(value.trim());
  if (m === null) return undefined;
  const protocol = m[1].toLowerCase();
  const address = unbracket(m[2]).toLowerCase();
  const port = m[3] === undefined ? (protocol === 'tls' ? 5061 : 5060) : Number(m[3]);
  return locals.find((l) => l.protocol === protocol && l.port === port && l.address.toLowerCase() === address);
}
