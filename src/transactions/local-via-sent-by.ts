import type { Endpoint, TransportProtocol } from '../ports/transport';

/**
 * The local socket a request over `protocol` leaves from, named in its Via sent-by (RFC 3261
 * §18.1.1): `local` when one is forced (OpenSIPS `forced_socket`), else the first of the
 * transport's `endpoints` of that protocol, else its first endpoint. Undefined when it has none.
 */
export function localViaSentBy(endpoints: readonly Endpoint[], protocol: TransportProtocol, local?: Endpoint): Endpoint | undefined {
  return local ?? endpoints.find((e) => e.protocol === protocol) ?? endpoints[0];
}
