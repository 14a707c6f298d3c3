import type { CSeqValue, NameAddrValue, ViaValue } from './message';
import type { HeaderLines } from './header-lines';

/** The start line of a message (RFC 3261 §7.1 Request-Line, §7.2 Status-Line). */
export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

/** `list` with `v` appended; a list is created with its first value (an empty array grows to 17 slots on its first push). */
export function appended<T>(list: T[] | undefined, v: T): T[] {
  if (list === undefined) return [v];
  list.push(v);
  return list;
}

/**
 * What a parser tier collected from one message, before the checks of RFC 3261 §8.2.2 and the
 * assembly into a {@link SipMessage}. A single-valued header keeps its first value and counts
 * its values, so that duplicates can be detected (RFC 4475 §3.3.8); a list stays undefined
 * until its header is met, so a message allocates only the lists it has.
 */
export class MessageParts {
  start!: StartLine;
  /** Every header line, materialised only when the message model is asked for them. */
  lines!: HeaderLines;
  via!: ViaValue[] | undefined;
  from!: NameAddrValue | undefined;
  fromCount!: number;
  to!: NameAddrValue | undefined;
  toCount!: number;
  callId!: string | undefined;
  callIdCount!: number;
  cseq!: CSeqValue | undefined;
  cseqCount!: number;
  contacts!: NameAddrValue[] | undefined;
  /** Number of `Contact: *` header lines. */
  contactStars!: number;
  /** The first Expires value as delta-seconds (RFC 3261 §20.19); undefined when it is not valid. */
  expires!: number | undefined;
  expiresCount!: number;
  path!: NameAddrValue[] | undefined;
  route!: NameAddrValue[] | undefined;
  recordRoute!: NameAddrValue[] | undefined;
  /** Option tags as written. */
  supported!: string[] | undefined;
  require!: string[] | undefined;
  proxyRequire!: string[] | undefined;
  /** Methods as written; undefined while no Allow header was seen. */
  allow!: string[] | undefined;
  featureCaps!: string[] | undefined;
  /** The first User-Agent value (RFC 3261 §20.41). */
  userAgent!: string | undefined;
  /** The first Max-Forwards value (RFC 3261 §20.22: 0..255); -1 for a number out of that range. */
  maxForwards!: number;
  maxForwardsCount!: number;
  /** The body; undefined when empty. */
  body!: Uint8Array | undefined;

  constructor(start: StartLine, lines: HeaderLines) {
    this.reset(start, lines);
  }

  /** Empties the parts for the next message, which starts with `start` (the scanner reuses one). */
  reset(start: StartLine, lines: HeaderLines): this {
    this.start = start;
    this.lines = lines;
    this.via = undefined;
    this.from = undefined;
    this.fromCount = 0;
    this.to = undefined;
    this.toCount = 0;
    this.callId = undefined;
    this.callIdCount = 0;
    this.cseq = undefined;
    this.cseqCount = 0;
    this.contacts = undefined;
    this.contactStars = 0;
    this.expires = undefined;
    this.expiresCount = 0;
    this.path = undefined;
    this.route = undefined;
    this.recordRoute = undefined;
    this.supported = undefined;
    this.require = undefined;
    this.proxyRequire = undefined;
    this.allow = undefined;
    this.featureCaps = undefined;
    this.userAgent = undefined;
    this.maxForwards = -1;
    this.maxForwardsCount = 0;
    this.body = undefined;
    return this;
  }

  /** Counts one From value and keeps the first (RFC 3261 §20.20). */
  addFrom(v: NameAddrValue): void {
    if (this.fromCount++ === 0) this.from = v;
  }

  /** Counts one To value and keeps the first (RFC 3261 §20.39). */
  addTo(v: NameAddrValue): void {
    if (this.toCount++ === 0) this.to = v;
  }

  /** Counts one Call-ID value and keeps the first (RFC 3261 §20.8). */
  addCallId(v: string): void {
    if (this.callIdCount++ === 0) this.callId = v;
  }

  /** Counts one CSeq value and keeps the first (RFC 3261 §20.16). */
  addCSeq(v: CSeqValue): void {
    if (this.cseqCount++ === 0) this.cseq = v;
  }

  /** Counts one Expires value and keeps the first (RFC 3261 §20.19); undefined = not valid. */
  addExpires(v: number | undefined): void {
    if (this.expiresCount++ === 0) this.expires = v;
  }

  /** Counts one Max-Forwards value and keeps the first (RFC 3261 §20.22); -1 = out of range. */
  addMaxForwards(v: number): void {
    if (this.maxForwardsCount++ === 0) this.maxForwards = v;
  }
}
