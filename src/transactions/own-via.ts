import type { TransportProtocol } from '../ports/transport';
import { bracketHost } from '../sip/socket-address';

/**
 * The Via a component puts on top of a request it sends or forwards (RFC 3261 §8.1.1.7, §16.6
 * step 8): the transport of the hop, the sent-by `host:port` where the response is expected
 * (§18.1.1), the transaction's `branch`, and an empty `rport` asking for the source port back
 * (RFC 3581 §3) unless `rport` is false (the sent-by port is where responses must go).
 */
export function ownVia(protocol: TransportProtocol, host: string, port: number, branch: string, rport = true): string {
  return `SIP/2.0/${protocol.toUpperCase()} ${bracketHost(host)}:${port};branch=${branch}${rport ? ';rport' : ''}`;
}
