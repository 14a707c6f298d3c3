import type { CSeqValue, NameAddrValue, ViaValue } from './message';
import type { HeaderLines } from './header-lines';

/** The start line of a message (RFC 3261 §7.1 Request-Line, §7.2 Status-Line). */
export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

/**
 * What a parser tier collected from one message, before the checks of RFC 3261 §8.2.2 and the
 * assembly into a {@link SipMessage}. Single-valued fields are arrays so that duplicates can be
 * detected (RFC 4475 §3.3.8).
 */
export interface MessageParts {
  readonly start: StartLine;
  /** Every header line, materialised only when the message model is asked for them. */
  readonly lines: HeaderLines;
  readonly via: ViaValue[];
  readonly from: NameAddrValue[];
  readonly to: NameAddrValue[];
  readonly callId: string[];
  readonly cseq: CSeqValue[];
  readonly contacts: NameAddrValue[];
  /** Number of `Contact: *` header lines. */
  contactStars: number;
  /** Expires values as delta-seconds (RFC 3261 §20.19); undefined for one that is not valid. */
  readonly expires: (number | undefined)[];
  readonly path: NameAddrValue[];
  readonly route: NameAddrValue[];
  readonly recordRoute: NameAddrValue[];
  /** Option tags as written. */
  readonly supported: string[];
  readonly require: string[];
  readonly proxyRequire: string[];
  /** Methods as written; undefined while no Allow header was seen. */
  allow: string[] | undefined;
  readonly featureCaps: string[];
  /** The first User-Agent value (RFC 3261 §20.41). */
  userAgent: string | undefined;
  /** Max-Forwards values (RFC 3261 §20.22: 0..255); -1 for a number out of that range. */
  readonly maxForwards: number[];
  /** The body; undefined when empty. */
  body: Uint8Array | undefined;
}

/** Empty {@link MessageParts} for a message that starts with `start`. */
export function newMessageParts(start: StartLine, lines: HeaderLines): MessageParts {
  return {
    start,
    lines,
    via: [],
    from: [],
    to: [],
    callId: [],
    cseq: [],
    contacts: [],
    contactStars: 0,
    expires: [],
    path: [],
    route: [],
    recordRoute: [],
    supported: [],
    require: [],
    proxyRequire: [],
    allow: undefined,
    featureCaps: [],
    userAgent: undefined,
    maxForwards: [],
    body: undefined,
  };
}
