import type { SipRequest, ViaValue } from '../sip/message';
import { withReceived } from './header-param';

/** Compare a Via sent-by host (IPv6 references keep their brackets) with a socket address. */
function sentByIs(host: string, address: string): boolean {
  if (host.charCodeAt(0) === 91 /* [ */) {
    return host.length === address.length + 2 && host.slice(1, -1).toLowerCase() === address.toLowerCase();
  }
  return host === address;
}

/**
 * What a server transport does to the top Via of every request it receives:
 * RFC 3261 §18.2.1 adds `received=<source address>` when the sent-by host differs from it, and
 * RFC 3581 §4 fills a value-less `rport` with the source port (and then always adds `received`).
 * Copied into the response, these route the reply back through the NAT a phone sits behind.
 *
 * The returned request shares everything with `request` except `via`: it is `request` itself when
 * nothing needs to change (the common case costs no allocation), otherwise an object whose
 * prototype is `request` with an own `via` whose top value (and its `raw`) carries the parameters;
 * `header()`/`headerAll()` and `headers` still show the lines as received.
 *
 * @example
 * ```ts
 * // Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;rport   from 203.0.113.7:40000
 * stampReceived(request, '203.0.113.7', 40000).via[0].raw;
 * // 'SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;rport=40000;received=203.0.113.7'
 * ```
 */
export function stampReceived(request: SipRequest, address: string, port: number): SipRequest {
  const top = request.via[0];
  if (top === undefined) return request;
  const rport = top.rport === true ? port : top.rport;
  if (rport === top.rport && (top.received === undefined ? rport === undefined && sentByIs(top.host, address) : top.received === address)) {
    return request;
  }
  const stamped: ViaValue = { ...top, raw: withReceived(top.raw, address, port), received: address, rport };
  const via = request.via.slice();
  via[0] = stamped;
  return Object.create(request, {
    via: { value: via, enumerable: true },
    header: { value: (name: string) => request.header(name) },
    headerAll: { value: (name: string) => request.headerAll(name) },
  }) as SipRequest;
}
