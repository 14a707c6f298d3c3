import type { CSeqValue, NameAddrValue } from './message';
import type { StartLine } from './message-parts';
import type { ParseResult, ResolvedParseOptions } from './parse-result';
import { DIGIT_CHARS, TOKEN_CHARS, allBytesIn, allInTable, hasBareNul } from './chars';
import { ByteText } from './byte-text';
import { WordTable } from './word-table';
import { assembleMessage, rejectWith } from './assemble-message';
import { ScannedHeaderLines } from './header-lines';
import { LINE_STRIDE, LineFrame, frameLines, isWspByte } from './frame-lines';
import { MessageParts, appended } from './message-parts';
import { HeaderId } from './headers/known-headers';
import { isCallIdAt } from './headers/call-id';
import { MAX_DELTA_SECONDS } from './headers/delta-seconds';
import { parseViaIn } from './headers/via';
import { parseNameAddrIn } from './name-addr';
import { isValidUriText } from './uri';

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COMMA = 0x2c;

/** Reason-Phrase octets (RFC 3261 §25.1: reserved, unreserved, escaped, UTF-8, SP, HTAB). */
const REASON_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(1);
  for (let c = 0; c < 0x20; c++) t[c] = 0;
  t[HT] = 1;
  for (const c of '"<>\\[]{}|^`#') t[c.charCodeAt(0)] = 0;
  t[0x7f] = 0;
  return t;
})();

/** Methods of RFC 3261 §27.4 and the extensions a registrar meets; reused instead of copied. */
const METHOD_NAMES: readonly string[] = [
  'REGISTER', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'PRACK', 'UPDATE', 'REFER',
];

const METHODS = new WordTable(METHOD_NAMES);

/**
 * Option tags (RFC 3261 §19.2, RFC 3327, RFC 5626, RFC 5627, RFC 3262 ...) and methods as
 * Supported, Require and Allow usually spell them; reused instead of copied.
 */
const COMMON_TOKENS = new WordTable([
  ...METHOD_NAMES, 'path', 'gruu', 'outbound', '100rel', 'timer', 'replaces', 'norefersub', 'tdialog',
  'histinfo', 'join', 'precondition', 'from-change', 'eventlist', 'answermode', 'sec-agree', 'ice',
]);

function isTokenByte(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

/** True when `buf[a, b)` equals the ASCII string `s`. */
function bytesEqual(buf: Uint8Array, a: number, b: number, s: string): boolean {
  if (b - a !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[a + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * The last string read at one place of the messages, reused while the datagrams repeat its text
 * (the phones of a deployment send one User-Agent, RFC 3261 §20.41): one byte comparison
 * instead of a copy.
 */
class RecentText {
  #last = '';

  /** The last string when `buf[a, b)` holds its text. */
  find(buf: Uint8Array, a: number, b: number): string | undefined {
    return bytesEqual(buf, a, b, this.#last) ? this.#last : undefined;
  }

  /** Remembers `s`, an owned string read from `t`; only ASCII text compares byte for character. */
  keep(t: ByteText, s: string): string {
    if (t.ascii) this.#last = s;
    return s;
  }
}

/** The word of `common` equal to `buf[a, b)`, else an owned copy of the bytes. */
function internedText(t: ByteText, a: number, b: number, common: WordTable): string {
  return common.find(t.buf, a, b) ?? t.copy(a, b);
}

/** `buf[a, b)` as 1*DIGIT of at most `maxDigits` digits, or -1. */
function digitsAt(buf: Uint8Array, a: number, b: number, maxDigits: number): number {
  if (a === b || b - a > maxDigits) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** "SIP/2.0" at `buf[i]`. */
function isVersionAt(buf: Uint8Array, i: number): boolean {
  return (
    buf[i] === 0x53 && buf[i + 1] === 0x49 && buf[i + 2] === 0x50 && buf[i + 3] === 0x2f &&
    buf[i + 4] === 0x32 && buf[i + 5] === 0x2e && buf[i + 6] === 0x30
  );
}

/**
 * Parses a well-formed Request-Line or Status-Line (RFC 3261 §7.1, §7.2); undefined = decline.
 * A Request-Line equal to the scanner's last one is not read again (see {@link SipScanner}).
 */
function scanStartLine(s: SipScanner, t: ByteText, a: number, b: number): StartLine | undefined {
  const buf = t.buf;
  if (b - a >= 12 && isVersionAt(buf, a) && buf[a + 7] === SP) {
    let status = 0;
    for (let i = a + 8; i < a + 11; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) return undefined;
      status = status * 10 + d;
    }
    if (status < 100 || status > 699 || buf[a + 11] !== SP) return undefined;
    for (let i = a + 12; i < b; i++) if (REASON_CHARS[buf[i]] === 0) return undefined;
    return { kind: 'response', status, reason: t.text(a + 12, b) };
  }
  if (sameBytes(buf, a, b, s.lastRequestLine)) return s.lastRequest;
  let i = a;
  while (i < b && isTokenByte(buf[i])) i++;
  if (i === a || buf[i] !== SP) return undefined;
  const methodEnd = i;
  const uriStart = ++i;
  while (i < b && buf[i] > SP && buf[i] < 0x7f) i++;
  if (i === uriStart || buf[i] !== SP || b - i !== 8 || !isVersionAt(buf, i + 1)) return undefined;
  const uri = t.copy(uriStart, i);
  if (!isValidUriText(uri)) return undefined;
  const request: StartLine = { kind: 'request', method: internedText(t, a, methodEnd, METHODS), uri };
  s.lastRequestLine = Uint8Array.prototype.slice.call(buf, a, b);
  s.lastRequest = request;
  return request;
}

/**
 * Splits `buf[a, b)` into comma-separated elements as {@link splitHeaderValues} does on the
 * text (RFC 3261 §7.3.1: commas inside quotes or `<>` do not separate; elements trimmed, none
 * empty), pushing `[start, end)` pairs to `out`; false on an unbalanced quote or `<`, or an
 * empty element.
 */
function splitRanges(buf: Uint8Array, a: number, b: number, out: number[]): boolean {
  let start = a;
  let inQuote = false;
  let inAngle = false;
  for (let i = a; i <= b; i++) {
    const c = i < b ? buf[i] : COMMA;
    if (inQuote) {
      if (i === b) return false;
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (inAngle) {
      if (i === b) return false;
      if (c === 0x3e) inAngle = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c) {
      inAngle = true;
    } else if (c === COMMA) {
      let x = start;
      let y = i;
      while (x < y && isWspByte(buf[x])) x++;
      while (y > x && isWspByte(buf[y - 1])) y--;
      if (x === y) return false;
      out.push(x, y);
      start = i + 1;
    }
  }
  return true;
}

/** True when `buf[a, b)` holds a comma: the usual header value is one element, not worth splitting. */
function hasComma(buf: Uint8Array, a: number, b: number): boolean {
  const comma = buf.indexOf(COMMA, a);
  return comma >= 0 && comma < b;
}

/** The element ranges of a list header in `buf[a, b)` that {@link hasComma} (see {@link splitRanges}); undefined on a split error. */
function listRanges(buf: Uint8Array, a: number, b: number): number[] | undefined {
  const out: number[] = [];
  return splitRanges(buf, a, b, out) ? out : undefined;
}

/**
 * How much of a parsed name-addr must be owned strings: `shared` values are cut from the header
 * text (From, To, Route ...); a `kept` value's URI and long parameter values are copied from the
 * bytes (Contact: a store keeps them); an `owned` value's whole text is copied (Path, kept as is).
 */
const Keep = { shared: 0, kept: 1, owned: 2 } as const;
type Keep = (typeof Keep)[keyof typeof Keep];

/**
 * Parses every element of a name-addr list in `buf[a, b)` into `out`; false = decline. An
 * element whose URI is the text of `knownUri` (already validated) shares that string.
 */
function addNameAddrs(
  t: ByteText, a: number, b: number, list: NameAddrValue[] | undefined, requireAngle: boolean, keep: Keep, knownUri?: string,
): NameAddrValue[] | undefined {
  if (!hasComma(t.buf, a, b)) {
    const na = nameAddrAt(t, a, b, requireAngle, keep, knownUri);
    return na === undefined ? undefined : appended(list, na);
  }
  const ranges = listRanges(t.buf, a, b);
  if (ranges === undefined) return undefined;
  for (let k = 0; k < ranges.length; k += 2) {
    const na = nameAddrAt(t, ranges[k], ranges[k + 1], requireAngle, keep, knownUri);
    if (na === undefined) return undefined;
    list = appended(list, na);
  }
  return list;
}

/** Parses the one name-addr element `buf[x, y)` (see {@link addNameAddrs}); undefined = decline. */
function nameAddrAt(t: ByteText, x: number, y: number, requireAngle: boolean, keep: Keep, knownUri: string | undefined): NameAddrValue | undefined {
  if (keep === Keep.owned) {
    const raw = t.copy(x, y);
    return parseNameAddrIn(raw, 0, raw.length, requireAngle, undefined, x, knownUri);
  }
  const s = t.region(x, y);
  return parseNameAddrIn(s, t.regionStart, t.regionEnd, requireAngle, keep === Keep.kept ? t : undefined, t.regionBase, knownUri);
}

/**
 * Reads a From or To value (RFC 3261 §20.20, §20.39) in `buf[a, b)` into `p`: its first element
 * kept, every element counted (more than one is rejected later); false = decline. A REGISTER's
 * From and To usually hold the same URI (RFC 3261 §10.2): the second reuses the first's, checked once.
 */
function takeFromTo(p: MessageParts, isFrom: boolean, t: ByteText, a: number, b: number): boolean {
  const knownUri = isFrom ? p.to?.uri : p.from?.uri;
  if (!hasComma(t.buf, a, b)) {
    const na = nameAddrAt(t, a, b, false, Keep.shared, knownUri);
    if (na === undefined) return false;
    if (isFrom) p.addFrom(na);
    else p.addTo(na);
    return true;
  }
  const list = addNameAddrs(t, a, b, undefined, false, Keep.shared, knownUri);
  if (list === undefined) return false;
  for (const na of list) if (isFrom) p.addFrom(na);
  else p.addTo(na);
  return true;
}

/** Parses the one Via element `buf[x, y)` into `out`; false = decline. */
function pushVia(p: MessageParts, t: ByteText, x: number, y: number): boolean {
  const s = t.region(x, y);
  const via = parseViaIn(s, t.regionStart, t.regionEnd);
  if (via === undefined) return false;
  p.via = appended(p.via, via);
  return true;
}

/** `qvalue` (RFC 3261 §25.1): "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ]. */
function isQValue(v: string): boolean {
  const n = v.length;
  const c0 = v.charCodeAt(0);
  if ((c0 !== 0x30 && c0 !== 0x31) || n > 5) return false;
  if (n === 1) return true;
  if (v.charCodeAt(1) !== 0x2e) return false;
  for (let i = 2; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c0 === 0x31 ? c !== 0x30 : c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * True when a Contact's `q` and `expires` have their own syntax (RFC 3261 §20.10, §25.1
 * `c-p-q`, `c-p-expires`); otherwise the scanner declines and the grammar decides.
 */
function contactParamsPlain(params: Readonly<Record<string, string | null>>): boolean {
  const q = params.q;
  if (q != null && !isQValue(q)) return false;
  const expires = params.expires;
  return expires == null || (expires.length > 0 && allInTable(DIGIT_CHARS, expires));
}

/**
 * The tokens of a token-list header in `buf[a, b)`, as {@link parseTokenList} reads them
 * (Supported, Require, Proxy-Require, Allow: RFC 3261 §20.37, §20.32, §20.29, §20.5), appended
 * to `list`, or a new list of their exact number; undefined = decline. `scratch` holds them
 * while the list is read.
 */
function addTokens(t: ByteText, a: number, b: number, list: string[] | undefined, scratch: string[]): string[] | undefined {
  const buf = t.buf;
  let k = 0;
  let start = a;
  while (a < b && start <= b) {
    let comma = buf.indexOf(COMMA, start);
    if (comma < 0 || comma > b) comma = b;
    let x = start;
    let y = comma;
    while (x < y && isWspByte(buf[x])) x++;
    while (y > x && isWspByte(buf[y - 1])) y--;
    if (!allBytesIn(TOKEN_CHARS, buf, x, y)) return undefined;
    scratch[k++] = internedText(t, x, y, COMMON_TOKENS);
    start = comma + 1;
  }
  if (list === undefined) return scratch.slice(0, k);
  for (let i = 0; i < k; i++) list.push(scratch[i]);
  return list;
}

/** True when `buf[a, b)` holds the bytes of `bytes`. */
function sameBytes(buf: Uint8Array, a: number, b: number, bytes: Uint8Array): boolean {
  if (b - a !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[a + i] !== bytes[i]) return false;
  return true;
}

/**
 * The last list of one token-list header the scanner read, and its tokens as written: the user
 * agents of a deployment send the same Allow and Supported lists in every REGISTER (RFC 3261
 * §20.5, §20.37).
 */
class RecentTokens {
  #bytes: Uint8Array = new Uint8Array(0);
  #tokens: readonly string[] = [];

  /** The tokens of the list in `buf[a, b)` (a new array; see {@link addTokens}), from the last list when it is the same text; undefined = decline. */
  read(t: ByteText, a: number, b: number, scratch: string[]): string[] | undefined {
    if (sameBytes(t.buf, a, b, this.#bytes)) return this.#tokens.slice();
    const tokens = addTokens(t, a, b, undefined, scratch);
    if (tokens === undefined) return undefined;
    this.#bytes = Uint8Array.prototype.slice.call(t.buf, a, b);
    this.#tokens = tokens.slice();
    return tokens;
  }
}

/** CSeq `1*DIGIT LWS Method` (RFC 3261 §20.16) in `buf[a, b)`; the method string is reused when it equals `method`. */
function scanCSeq(t: ByteText, a: number, b: number, method: string | undefined): CSeqValue | undefined {
  const buf = t.buf;
  let i = a;
  let seq = 0;
  for (; i < b; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
  }
  if (i === a || i - a > 10 || i === b || !isWspByte(buf[i])) return undefined;
  while (i < b && isWspByte(buf[i])) i++;
  if (!allBytesIn(TOKEN_CHARS, buf, i, b)) return undefined;
  return { seq, method: method !== undefined && bytesEqual(buf, i, b, method) ? method : internedText(t, i, b, METHODS) };
}

/** Interprets the header value `t.buf[a, b)` of known header `id`; false = "not sure, let the grammar decide". */
function takeHeader(s: SipScanner, p: MessageParts, id: number, t: ByteText, a: number, b: number): boolean {
  const buf = t.buf;
  switch (id) {
    case HeaderId.via: {
      if (!hasComma(buf, a, b)) return pushVia(p, t, a, b);
      const ranges = listRanges(buf, a, b);
      if (ranges === undefined) return false;
      for (let k = 0; k < ranges.length; k += 2) if (!pushVia(p, t, ranges[k], ranges[k + 1])) return false;
      return true;
    }
    case HeaderId.from:
      return takeFromTo(p, true, t, a, b);
    case HeaderId.to:
      return takeFromTo(p, false, t, a, b);
    case HeaderId.callId:
      if (!isCallIdAt(buf, a, b)) return false;
      p.addCallId(t.copy(a, b));
      return true;
    case HeaderId.cseq: {
      const cseq = scanCSeq(t, a, b, p.start.kind === 'request' ? p.start.method : undefined);
      if (cseq === undefined) return false;
      p.addCSeq(cseq);
      return true;
    }
    case HeaderId.contact: {
      if (b - a === 1 && buf[a] === 0x2a) {
        p.contactStars++;
        return true;
      }
      const before = p.contacts === undefined ? 0 : p.contacts.length;
      const contacts = addNameAddrs(t, a, b, p.contacts, false, Keep.kept);
      if (contacts === undefined) return false;
      p.contacts = contacts;
      for (let i = before; i < contacts.length; i++) if (!contactParamsPlain(contacts[i].params)) return false;
      return true;
    }
    case HeaderId.path:
      return (p.path = addNameAddrs(t, a, b, p.path, true, Keep.owned)) !== undefined;
    case HeaderId.route:
      return (p.route = addNameAddrs(t, a, b, p.route, true, Keep.shared)) !== undefined;
    case HeaderId.recordRoute:
      return (p.recordRoute = addNameAddrs(t, a, b, p.recordRoute, true, Keep.shared)) !== undefined;
    case HeaderId.supported:
      p.supported = p.supported === undefined ? s.supported.read(t, a, b, s.tokens) : addTokens(t, a, b, p.supported, s.tokens);
      return p.supported !== undefined;
    case HeaderId.require:
      return (p.require = addTokens(t, a, b, p.require, s.tokens)) !== undefined;
    case HeaderId.proxyRequire:
      return (p.proxyRequire = addTokens(t, a, b, p.proxyRequire, s.tokens)) !== undefined;
    case HeaderId.allow:
      p.allow = p.allow === undefined ? s.allow.read(t, a, b, s.tokens) : addTokens(t, a, b, p.allow, s.tokens);
      return p.allow !== undefined;
    case HeaderId.expires: {
      const v = digitsAt(buf, a, b, 10);
      p.addExpires(v < 0 || v > MAX_DELTA_SECONDS ? undefined : v);
      return true;
    }
    case HeaderId.maxForwards: {
      if (a === b) return false;
      let v = 0;
      for (let i = a; i < b; i++) {
        const d = buf[i] - 0x30;
        if (d < 0 || d > 9) return false;
        v = v * 10 + d;
      }
      p.addMaxForwards(v > 255 ? -1 : v);
      return true;
    }
    case HeaderId.userAgent:
      if (p.userAgent === undefined) p.userAgent = s.userAgent.find(buf, a, b) ?? s.userAgent.keep(t, t.copy(a, b));
      return true;
    case HeaderId.featureCaps: {
      const ranges: number[] = [];
      if (!splitRanges(buf, a, b, ranges)) return false;
      const caps = (p.featureCaps ??= []);
      for (let k = 0; k < ranges.length; k += 2) caps.push(t.copy(ranges[k], ranges[k + 1]));
      return true;
    }
    default:
      return true;
  }
}

/**
 * What the scanner reuses from one message to the next, for speed: a registrar's REGISTERs
 * repeat one Request-Line (RFC 3261 §10.2: the registrar's domain), and a deployment's phones one
 * User-Agent, Allow and Supported list (§20.41, §20.5, §20.37), each recognised by one byte
 * comparison instead of being read again; and the scratch of the message being read. A transport
 * owns one; `parseSipMessage` without one uses a scanner of its module.
 */
export class SipScanner {
  /** The last Request-Line read (immutable, so shared between messages). @internal */
  lastRequestLine: Uint8Array = new Uint8Array(0);
  /** What was read of {@link lastRequestLine}. @internal */
  lastRequest: StartLine | undefined;
  /** @internal */
  readonly userAgent = new RecentText();
  /** @internal */
  readonly allow = new RecentTokens();
  /** @internal */
  readonly supported = new RecentTokens();
  /** The tokens of the list being read (see {@link addTokens}); copied out at their number. @internal */
  readonly tokens: string[] = [];
  /** The parts of the message being scanned: one object, emptied per message (the message model copies them out). @internal */
  parts: MessageParts | undefined;
  /** The header lines of the message being scanned, framed. @internal */
  readonly frame = new LineFrame();
}

/** The scanner of callers that bring none. */
const sharedScanner = new SipScanner();

/**
 * The fast tier of {@link parseSipMessage}: a hand-written scanner over the datagram bytes
 * (RFC 3261 §7). It frames the message (CRLF or bare LF line ends, header folding §7.3.1,
 * compact names §7.3.3, Content-Length §18.3 / §20.14), copies the header section out as one
 * string, and parses the headers a registrar needs in place in it. It notes where the
 * credentials lines are (`Authorization`, `Proxy-Authorization`), which `header()` and
 * `headerAll()` then copy out alone; the other header lines are only framed, and the message
 * model frames them again and copies names and values out when `headers`, `header()` or
 * `headerAll()` is first read for them.
 *
 * The strings a store keeps (Contact URIs and parameter values, Path values, Call-ID,
 * User-Agent, Allow methods, Feature-Caps, header lines read by name) are owned copies
 * (`latin1Slice`, or UTF-8 decoding when the message holds non-ASCII octets); the others
 * (Request-URI, Via, From, To, Route ...) are substrings of the header section string, which
 * pins only that string, never the datagram.
 *
 * @param s - what is reused between messages (see {@link SipScanner}); @defaultValue the module's
 * @returns the parse result when the scanner is sure (a message, or a rejection on missing
 *   mandatory headers, a CSeq method mismatch, a Content-Length beyond the datagram ...), or
 *   `undefined` when it declines anything unusual so that the SIP.js grammar decides.
 */
export function scanSipMessage(input: Uint8Array, options: ResolvedParseOptions, s: SipScanner = sharedScanner): ParseResult | undefined {
  const t = new ByteText(input);
  const buf = t.buf;
  const n = buf.length;
  let pos = 0;
  while (pos < n && (buf[pos] === CR || buf[pos] === LF)) pos++;
  const lf = buf.indexOf(LF, pos);
  if (lf < 0) return undefined;
  const frame = s.frame;
  if (!frameLines(buf, lf + 1, frame)) return undefined;
  const unfolded = frame.unfolded;
  frame.unfolded = undefined;
  const headEnd = frame.headEnd;
  const count = frame.count;
  t.useHead(pos, headEnd);
  const start = scanStartLine(s, t, pos, lf > pos && buf[lf - 1] === CR ? lf - 1 : lf);
  if (start === undefined) return undefined;
  const index = frame.index;
  const lines = new ScannedHeaderLines(t, lf + 1);
  if (hasBareNul(buf, pos, headEnd)) return rejectWith('nul-in-header', lines.headers(), lines.keys());
  const p = s.parts === undefined ? (s.parts = new MessageParts(start, lines)) : s.parts.reset(start, lines);
  let contentLength = -1;
  let contentLengths = 0;
  for (let j = 0; j < count; j += LINE_STRIDE) {
    const code = index[j];
    if (code < 0) continue;
    let vt = t;
    let va = index[j + 3];
    if (va < 0) {
      vt = unfolded![-1 - va];
      va = 0;
    }
    const vb = index[j + 4];
    const id = code & 0xff;
    if (id === HeaderId.contentLength) {
      contentLengths++;
      contentLength = digitsAt(vt.buf, va, vb, 10);
      if (contentLength < 0) return undefined;
    } else if (id === HeaderId.authorization || id === HeaderId.proxyAuthorization) lines.note(id, vt, va, vb);
    else if (!takeHeader(s, p, id, vt, va, vb)) return undefined;
  }
  const bodyStart = headEnd;
  if (contentLengths > 1) return rejectWith('multiple-content-length', lines.headers(), lines.keys());
  let bodyEnd = n;
  if (contentLengths === 1) {
    if (bodyStart + contentLength > n) return rejectWith('content-length-exceeds-body', lines.headers(), lines.keys());
    bodyEnd = bodyStart + contentLength;
  }
  if (bodyEnd > bodyStart) p.body = Uint8Array.prototype.slice.call(buf, bodyStart, bodyEnd);
  return assembleMessage(p, options, 'scanner');
}
