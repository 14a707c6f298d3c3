import type {
  CSeqValue,
  NameAddrValue,
  SipHeader,
  SipMessage,
  SipMessageBase,
  SipRequest,
  SipResponse,
  ViaValue,
} from './message';
import type { MessageParts } from './message-parts';
import type { HeaderLines } from './header-lines';
import { canonicalHeaderName } from './headers/header-names';

/** The one empty list that every message without a given list header shares (never written to). */
const NONE: readonly never[] = Object.freeze([]);

/** True when `s` has a character in `lo..hi` (an ASCII letter range). */
function hasCharIn(s: string, lo: number, hi: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= lo && c <= hi) return true;
  }
  return false;
}

/** Lower-cases option tags in place, leaving already lower-case ones (the usual case) as they are. */
function lowerAll(xs: string[]): string[] {
  for (let i = 0; i < xs.length; i++) if (hasCharIn(xs[i], 0x41, 0x5a)) xs[i] = xs[i].toLowerCase();
  return xs;
}

/** Upper-cases methods in place, leaving already upper-case ones (the usual case) as they are. */
function upperAll(xs: string[]): string[] {
  for (let i = 0; i < xs.length; i++) if (hasCharIn(xs[i], 0x61, 0x7a)) xs[i] = xs[i].toUpperCase();
  return xs;
}

/**
 * The fields and header lookups shared by requests and responses (RFC 3261 §7). The fields a
 * registrar reads are set at construction; the full header list is materialised from the
 * parser's {@link HeaderLines} on the first read of `headers`, `header()` or `headerAll()`, and
 * kept, except for the lines the parser noted (the credentials, {@link HeaderLines.noted}),
 * which `header()` and `headerAll()` answer without it.
 */
abstract class ParsedMessageBase implements SipMessageBase {
  readonly via: readonly ViaValue[];
  readonly from: NameAddrValue;
  readonly to: NameAddrValue;
  readonly callId: string;
  readonly cseq: CSeqValue;
  readonly contacts: readonly NameAddrValue[] | '*';
  readonly expires?: number;
  readonly path: readonly NameAddrValue[];
  readonly route: readonly NameAddrValue[];
  readonly recordRoute: readonly NameAddrValue[];
  readonly supported: readonly string[];
  readonly require: readonly string[];
  readonly proxyRequire: readonly string[];
  readonly allow?: readonly string[];
  readonly userAgent?: string;
  readonly featureCaps: readonly string[];
  readonly maxForwards?: number;
  #body: Uint8Array | undefined;
  readonly #lines: HeaderLines;
  #headers: readonly SipHeader[] | undefined;
  #keys: readonly string[] | undefined;

  constructor(p: MessageParts) {
    this.#lines = p.lines;
    this.via = p.via!;
    this.from = p.from!;
    this.to = p.to!;
    this.callId = p.callId!;
    this.cseq = p.cseq!;
    this.contacts = p.contactStars > 0 ? '*' : p.contacts ?? NONE;
    if (p.expires !== undefined) this.expires = p.expires;
    this.path = p.path ?? NONE;
    this.route = p.route ?? NONE;
    this.recordRoute = p.recordRoute ?? NONE;
    this.supported = p.supported === undefined ? NONE : lowerAll(p.supported);
    this.require = p.require === undefined ? NONE : lowerAll(p.require);
    this.proxyRequire = p.proxyRequire === undefined ? NONE : lowerAll(p.proxyRequire);
    if (p.allow !== undefined) this.allow = upperAll(p.allow);
    if (p.userAgent !== undefined) this.userAgent = p.userAgent;
    this.featureCaps = p.featureCaps ?? NONE;
    if (p.maxForwards >= 0) this.maxForwards = p.maxForwards;
    this.#body = p.body;
  }

  /** Every header field line in order (materialised on first read). */
  get headers(): readonly SipHeader[] {
    return (this.#headers ??= this.#lines.headers());
  }

  /** The body bytes (empty when none). */
  get body(): Uint8Array {
    return (this.#body ??= new Uint8Array(0));
  }

  #keyList(): readonly string[] {
    return (this.#keys ??= this.#lines.keys());
  }

  header(name: string): string | undefined {
    const key = canonicalHeaderName(name);
    if (this.#keys === undefined) {
      const noted = this.#lines.noted(key);
      if (noted !== undefined) return noted[0];
    }
    const i = this.#keyList().indexOf(key);
    if (i < 0) return undefined;
    return this.#headers === undefined ? this.#lines.value(i) : this.#headers[i].value;
  }

  headerAll(name: string): string[] {
    const key = canonicalHeaderName(name);
    if (this.#keys === undefined) {
      const noted = this.#lines.noted(key);
      if (noted !== undefined) return noted;
    }
    const keys = this.#keyList();
    const out: string[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out.push(this.#headers === undefined ? this.#lines.value(i) : this.#headers[i].value);
    return out;
  }
}

class ParsedRequest extends ParsedMessageBase implements SipRequest {
  readonly kind = 'request' as const;
  readonly method: string;
  readonly uri: string;
  constructor(p: MessageParts, method: string, uri: string) {
    super(p);
    this.method = method;
    this.uri = uri;
  }
}

class ParsedResponse extends ParsedMessageBase implements SipResponse {
  readonly kind = 'response' as const;
  readonly status: number;
  readonly reason: string;
  constructor(p: MessageParts, status: number, reason: string) {
    super(p);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * Builds the read-only {@link SipMessage} (RFC 3261 §7) from checked parts. Takes ownership of
 * the arrays in `parts`. Callers validate first (see {@link assembleMessage}): From, To, Call-ID
 * CSeq and a Via are present.
 */
export function createSipMessage(parts: MessageParts): SipMessage {
  const s = parts.start;
  return s.kind === 'request' ? new ParsedRequest(parts, s.method, s.uri) : new ParsedResponse(parts, s.status, s.reason);
}
