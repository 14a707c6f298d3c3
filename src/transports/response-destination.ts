import type { SipRequest } from '../sip/message';
import type { Endpoint, Source } from '../ports/transport';
import { DEFAULT_SIP_PORT, defaultSipPort } from './listen-address';
import { headerParam } from './header-param';
import { unbracket } from '../sip/socket-address';

/** Options of {@link responseDestination}. */
export interface ResponseDestinationOptions {
  /**
   * Send UDP responses to the top Via's `maddr` (RFC 3261 §18.2.2 allows it). Off, as in Kamailio
   * and OpenSIPS: any sender could name a third party there and have it sent the responses.
   * @defaultValue false
   */
  readonly viaMaddr?: boolean;
}

/**
 * Where a response to `request` (received from `source`) goes, per RFC 3261 §18.2.2 and RFC 3581 §4.
 * For a reliable transport this is the fallback used when the request's connection has closed.
 *
 * 1. UDP with `maddr` in the top Via and {@link ResponseDestinationOptions.viaMaddr}: the `maddr`
 *    address, sent-by port (default 5060). Without the option `maddr` is ignored.
 * 2. Otherwise the `received` address, which {@link stampReceived} set whenever the sent-by host is
 *    not the source address, so the source address is used when it is absent (no DNS lookup).
 * 3. Port: the source port when the request carried `rport` (RFC 3581 §4), else the sent-by port,
 *    else 5060.
 *
 * @example
 * ```ts
 * // Via: SIP/2.0/UDP 10.0.0.2:5062;rport;branch=z9hG4bK1   received from 203.0.113.7:40000
 * responseDestination(request, source); // { protocol: 'udp', address: '203.0.113.7', port: 40000 }
 * ```
 */
export function responseDestination(request: SipRequest, source: Source, options: ResponseDestinationOptions = {}): Endpoint {
  const top = request.via[0];
  if (top === undefined) return { protocol: source.protocol, address: source.address, port: source.port };
  if (source.protocol === 'udp' && options.viaMaddr === true) {
    const maddr = headerParam(top.raw, 'maddr');
    if (maddr) return { protocol: 'udp', address: unbracket(maddr), port: top.port ?? DEFAULT_SIP_PORT };
  }
  return {
    protocol: source.protocol,
    address: top.received ?? source.address,
    port: top.rport !== undefined ? source.port : (top.port ?? defaultSipPort(source.protocol)),
  };
}
