import type { CSeqValue, NameAddrValue, SipHeader, SipRequest, ViaValue } from '../sip/message';
import { withReceived } from './header-param';
import { canonicalHeaderName } from '../sip/headers/header-names';
import { splitHeaderValues } from '../sip/headers/split-values';

/** Compare a Via sent-by host (IPv6 references keep their brackets) with a socket address. */
function sentByIs(host: string, address: string): boolean {
  if (host.charCodeAt(0) === 91 /* [ */) {
    return host.length === address.length + 2 && host.slice(1, -1).toLowerCase() === address.toLowerCase();
  }
  return host === address;
}

/** `lines` with the first value of the first Via line replaced by `topVia`. */
function stampedLines(lines: readonly SipHeader[], topVia: string): readonly SipHeader[] {
  const at = lines.findIndex((h) => canonicalHeaderName(h.name) === 'via');
  if (at < 0) return lines;
  const line = lines[at];
  const rest = (splitHeaderValues(line.value) ?? [line.value]).slice(1);
  const out = lines.slice();
  out[at] = { ...line, value: [topVia, ...rest].join(', ') };
  return out;
}

/**
 * A received request with a stamped top Via: the eagerly parsed fields copied from the parsed
 * request (one fixed object shape, so hot-path readers stay monomorphic); the lazily built ones
 * (`headers`, `route`, `recordRoute`, `featureCaps`, `body`) and header lookups delegated to it.
 */
class StampedRequest implements SipRequest {
  readonly kind = 'request' as const;
  readonly method: string;
  readonly uri: string;
  readonly via: readonly ViaValue[];
  readonly from: NameAddrValue;
  readonly to: NameAddrValue;
  readonly callId: string;
  readonly cseq: CSeqValue;
  readonly contacts: readonly NameAddrValue[] | '*';
  readonly expires: number | undefined;
  readonly path: readonly NameAddrValue[];
  readonly supported: readonly string[];
  readonly require: readonly string[];
  readonly proxyRequire: readonly string[];
  readonly allow: readonly string[] | undefined;
  readonly userAgent: string | undefined;
  readonly maxForwards: number | undefined;
  readonly #original: SipRequest;
  #headers: readonly SipHeader[] | undefined;

  constructor(original: SipRequest, via: readonly ViaValue[]) {
    this.#original = original;
    this.method = original.method;
    this.uri = original.uri;
    this.via = via;
    this.from = original.from;
    this.to = original.to;
    this.callId = original.callId;
    this.cseq = original.cseq;
    this.contacts = original.contacts;
    this.expires = original.expires;
    this.path = original.path;
    this.supported = original.supported;
    this.require = original.require;
    this.proxyRequire = original.proxyRequire;
    this.allow = original.allow;
    this.userAgent = original.userAgent;
    this.maxForwards = original.maxForwards;
  }

  /**
   * The header lines with the stamped top Via in place of the received one, built on first read
   * (a proxy forwards them: the next hop's responses come back to `received`/`rport`, RFC 3261
   * §16.6 step 8, §18.2.2).
   */
  get headers(): readonly SipHeader[] {
    return (this.#headers ??= stampedLines(this.#original.headers, this.via[0].raw));
  }

  // The parser builds these on first read: pass the reads through rather than forcing them here.

  get route(): readonly NameAddrValue[] {
    return this.#original.route;
  }

  get recordRoute(): readonly NameAddrValue[] {
    return this.#original.recordRoute;
  }

  get featureCaps(): readonly string[] {
    return this.#original.featureCaps;
  }

  get body(): Uint8Array {
    return this.#original.body;
  }

  header(name: string): string | undefined {
    return this.#original.header(name);
  }

  headerAll(name: string): string[] {
    return this.#original.headerAll(name);
  }
}

/**
 * What a server transport does to the top Via of every request it receives:
 * RFC 3261 §18.2.1 adds `received=<source address>` when the sent-by host differs from it, and
 * RFC 3581 §4 fills a value-less `rport` with the source port (and then always adds `received`).
 * Copied into the response, these route the reply back through the NAT a phone sits behind.
 *
 * Returns `request` itself when nothing needs to change (no allocation), otherwise a copy whose
 * `via` has the stamped top value (its `raw` carries the parameters); `headers`, `header()` and
 * `headerAll()` still show the lines as received.
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
  const stamped: ViaValue = {
    raw: withReceived(top.raw, address, port),
    transport: top.transport,
    host: top.host,
    port: top.port,
    branch: top.branch,
    received: address,
    rport,
  };
  const via = request.via.slice();
  via[0] = stamped;
  return new StampedRequest(request, via);
}
