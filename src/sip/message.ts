/**
 * The read-only SIP message model that the rest of sipreg works on (RFC 3261 §7).
 *
 * Both tiers of {@link parseSipMessage} produce exactly this shape: the fast scanner for the
 * common case and the SIP.js grammar as the fallback and strict reference. No string here keeps
 * the datagram alive. The ones a store keeps keep at most their own header value alive (the
 * scanner copies them out on their own): Contact URIs and parameter values, Path values,
 * `callId`, `userAgent`, `allow`, `featureCaps`, and the lines of `headers`, `header()` and
 * `headerAll()`. The others (Request-URI, Via, From, To, Route ...) may be substrings of one
 * string of the message's header section, so keeping one of them keeps that string (a few
 * hundred bytes) alive: copy it first to keep it for long.
 *
 * Header names in `headers` are as on the wire; lookups by name are case-insensitive and accept
 * the compact forms of RFC 3261 §7.3.3 (`m` = Contact, `v` = Via, `i` = Call-ID ...).
 * @packageDocumentation
 */

/** One header field line as received (RFC 3261 §7.3). Multi-value lines are not split here. */
export interface SipHeader {
  /** The name as on the wire (compact forms are kept as sent). */
  readonly name: string;
  /** The value with leading/trailing white space removed and line folding replaced by one space. */
  readonly value: string;
}

/** A parsed `Via` value (RFC 3261 §20.42, §18.2.2). */
export interface ViaValue {
  /** The whole value, as received, to be copied into responses. */
  readonly raw: string;
  /** Transport token upper-cased: `UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP` ... */
  readonly transport: string;
  /** sent-by host as written (IPv6 references keep their brackets). */
  readonly host: string;
  /** sent-by port, when present. */
  readonly port?: number;
  /** The `branch` parameter, when present. */
  readonly branch?: string;
  /** The `received` parameter, when present. */
  readonly received?: string;
  /** `rport`: absent → undefined; present without value → true; with a value → that number. */
  readonly rport?: number | true;
}

/** A parsed name-addr / addr-spec header value: From, To, Contact, Path, Route (RFC 3261 §20.10). */
export interface NameAddrValue {
  /** The whole value as received (one element of a comma-separated list). */
  readonly raw: string;
  /** Display name without quotes and escapes, when present. */
  readonly displayName?: string;
  /** The URI, as written between `<` and `>` (or the bare addr-spec). */
  readonly uri: string;
  /**
   * Header parameters (after the URI, outside `<>`), names lower-cased, values as written
   * (quotes kept, e.g. `+sip.instance="<urn:uuid:...>"`); a parameter without value maps to `null`.
   */
  readonly params: Readonly<Record<string, string | null>>;
}

/** The `CSeq` header (RFC 3261 §20.16). */
export interface CSeqValue {
  readonly seq: number;
  readonly method: string;
}

/** Fields common to requests and responses. */
export interface SipMessageBase {
  /** Every header field line in order. */
  readonly headers: readonly SipHeader[];
  /** All `Via` values, top first. */
  readonly via: readonly ViaValue[];
  readonly from: NameAddrValue;
  readonly to: NameAddrValue;
  readonly callId: string;
  readonly cseq: CSeqValue;
  /** `Contact` values in order; `'*'` for the wildcard (RFC 3261 §10.2.2); empty when absent. */
  readonly contacts: readonly NameAddrValue[] | '*';
  /** The `Expires` header as a number of seconds, when present and valid. */
  readonly expires?: number;
  /** `Path` values in order, top first (RFC 3327). */
  readonly path: readonly NameAddrValue[];
  /** `Route` values in order. */
  readonly route: readonly NameAddrValue[];
  /** `Record-Route` values in order. */
  readonly recordRoute: readonly NameAddrValue[];
  /** Option tags of `Supported`, lower-cased. */
  readonly supported: readonly string[];
  /** Option tags of `Require`, lower-cased. */
  readonly require: readonly string[];
  /** Option tags of `Proxy-Require`, lower-cased. */
  readonly proxyRequire: readonly string[];
  /** Methods of `Allow`, upper-cased; undefined when the header is absent. */
  readonly allow?: readonly string[];
  readonly userAgent?: string;
  /** `Feature-Caps` values (RFC 6809), as received. */
  readonly featureCaps: readonly string[];
  /** `Max-Forwards`, when present. */
  readonly maxForwards?: number;
  /** The body bytes (empty when none). */
  readonly body: Uint8Array;
  /** First value of a header by name (case-insensitive, compact forms accepted). */
  header(name: string): string | undefined;
  /** Every value of a header by name, one entry per header line. */
  headerAll(name: string): string[];
}

/** A SIP request (RFC 3261 §7.1). */
export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  /** The method as received (case-sensitive per RFC 3261 §7.1). */
  readonly method: string;
  /** The Request-URI as received. */
  readonly uri: string;
}

/** A SIP response (RFC 3261 §7.2). */
export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

/** Either kind of message. */
export type SipMessage = SipRequest | SipResponse;
