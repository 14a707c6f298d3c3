import { Buffer, isAscii } from 'node:buffer';
import type { NameAddrValue, SipHeader } from './message';
import type { MessageParts, StartLine } from './message-parts';
import type { ParseResult, ResolvedParseOptions } from './parse-result';
import { DIGIT_CHARS, TOKEN_CHARS, allInTable, parseDigits } from './chars';
import { assembleMessage, rejectWith } from './assemble-message';
import { newMessageParts } from './message-parts';
import { canonicalHeaderName } from './headers/header-names';
import { isValidCallId } from './headers/call-id';
import { parseCSeq } from './headers/cseq';
import { splitHeaderValues } from './headers/split-values';
import { parseTokenList } from './headers/token-list';
import { parseVia } from './headers/via';
import { parseNameAddr } from './name-addr';
import { isValidUriText } from './uri';

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;

/** `Buffer.prototype.latin1Slice`: a one-byte-per-character owned copy, without argument coercion. */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Reason-Phrase octets (RFC 3261 §25.1: reserved, unreserved, escaped, UTF-8, SP, HTAB). */
const REASON_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(1);
  for (let c = 0; c < 0x20; c++) t[c] = 0;
  t[HT] = 1;
  for (const c of '"<>\\[]{}|^`#') t[c.charCodeAt(0)] = 0;
  t[0x7f] = 0;
  return t;
})();

/** Copies bytes out of the datagram as owned strings (never V8 sliced strings of a larger one). */
class ByteText {
  readonly buf: Latin1Buffer;
  readonly ascii: boolean;
  constructor(input: Uint8Array) {
    this.buf = (Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as Latin1Buffer;
    this.ascii = isAscii(this.buf);
  }
  text(a: number, b: number): string {
    return this.ascii ? this.buf.latin1Slice(a, b) : this.buf.toString('utf8', a, b);
  }
}

/**
 * Header names as most user agents spell them, with their {@link canonicalHeaderName}; a
 * byte-exact match reuses these strings instead of copying the name out of the datagram.
 */
const COMMON_NAMES: readonly (readonly [string, string])[] = [
  ['Via', 'via'], ['v', 'via'], ['From', 'from'], ['f', 'from'], ['To', 'to'], ['t', 'to'],
  ['Call-ID', 'call-id'], ['i', 'call-id'], ['CSeq', 'cseq'], ['Contact', 'contact'], ['m', 'contact'],
  ['Max-Forwards', 'max-forwards'], ['Expires', 'expires'], ['Content-Length', 'content-length'],
  ['l', 'content-length'], ['Supported', 'supported'], ['k', 'supported'], ['Require', 'require'],
  ['User-Agent', 'user-agent'], ['Allow', 'allow'], ['Path', 'path'], ['Route', 'route'],
  ['Record-Route', 'record-route'], ['Authorization', 'authorization'], ['Content-Type', 'content-type'],
  ['c', 'content-type'], ['Feature-Caps', 'feature-caps'], ['Call-Id', 'call-id'],
];

/** Index in {@link COMMON_NAMES} of the name in `buf[a, b)`, or -1. */
function commonName(buf: Uint8Array, a: number, b: number): number {
  const len = b - a;
  outer: for (let k = 0; k < COMMON_NAMES.length; k++) {
    const name = COMMON_NAMES[k][0];
    if (name.length !== len) continue;
    for (let i = 0; i < len; i++) if (buf[a + i] !== name.charCodeAt(i)) continue outer;
    return k;
  }
  return -1;
}

function isTokenByte(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

/** "SIP/2.0" at `buf[i]`. */
function isVersionAt(buf: Uint8Array, i: number): boolean {
  return (
    buf[i] === 0x53 && buf[i + 1] === 0x49 && buf[i + 2] === 0x50 && buf[i + 3] === 0x2f &&
    buf[i + 4] === 0x32 && buf[i + 5] === 0x2e && buf[i + 6] === 0x30
  );
}

/** Parses a well-formed Request-Line or Status-Line (RFC 3261 §7.1, §7.2); undefined = decline. */
function scanStartLine(t: ByteText, a: number, b: number): StartLine | undefined {
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
  let i = a;
  while (i < b && isTokenByte(buf[i])) i++;
  if (i === a || buf[i] !== SP) return undefined;
  const methodEnd = i;
  const uriStart = ++i;
  while (i < b && buf[i] > SP && buf[i] < 0x7f) i++;
  if (i === uriStart || buf[i] !== SP || b - i !== 8 || !isVersionAt(buf, i + 1)) return undefined;
  const uri = t.text(uriStart, i);
  if (!isValidUriText(uri)) return undefined;
  return { kind: 'request', method: t.text(a, methodEnd), uri };
}

/** Parses every element of a name-addr list into `out`; false = decline. */
function pushNameAddrs(value: string, out: NameAddrValue[], requireAngle: boolean): boolean {
  if (value.indexOf(',') < 0) {
    const one = parseNameAddr(value, requireAngle);
    if (one === undefined) return false;
    out.push(one);
    return true;
  }
  const values = splitHeaderValues(value);
  if (values === undefined) return false;
  for (const v of values) {
    const na = parseNameAddr(v, requireAngle);
    if (na === undefined) return false;
    out.push(na);
  }
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

/** Appends the tokens of a token-list header to `out`; false = decline. */
function pushTokens(value: string, out: string[]): boolean {
  const tokens = parseTokenList(value);
  if (tokens === undefined) return false;
  for (const tok of tokens) out.push(tok);
  return true;
}

/** Interprets one header the registrar needs; false = "not sure, let the grammar decide". */
function takeHeader(p: MessageParts, key: string, value: string): boolean {
  switch (key) {
    case 'via': {
      const values = value.indexOf(',') < 0 ? [value] : splitHeaderValues(value);
      if (values === undefined) return false;
      for (const v of values) {
        const via = parseVia(v);
        if (via === undefined) return false;
        p.via.push(via);
      }
      return true;
    }
    case 'from':
      return pushNameAddrs(value, p.from, false);
    case 'to':
      return pushNameAddrs(value, p.to, false);
    case 'call-id':
      if (!isValidCallId(value)) return false;
      p.callId.push(value);
      return true;
    case 'cseq': {
      const cseq = parseCSeq(value);
      if (cseq === undefined) return false;
      p.cseq.push(cseq);
      return true;
    }
    case 'contact': {
      if (value === '*') {
        p.contactStars++;
        return true;
      }
      const before = p.contacts.length;
      if (!pushNameAddrs(value, p.contacts, false)) return false;
      for (let i = before; i < p.contacts.length; i++) if (!contactParamsPlain(p.contacts[i].params)) return false;
      return true;
    }
    case 'path':
      return pushNameAddrs(value, p.path, true);
    case 'route':
      return pushNameAddrs(value, p.route, true);
    case 'record-route':
      return pushNameAddrs(value, p.recordRoute, true);
    case 'supported':
      return pushTokens(value, p.supported);
    case 'require':
      return pushTokens(value, p.require);
    case 'proxy-require':
      return pushTokens(value, p.proxyRequire);
    case 'allow':
      return pushTokens(value, (p.allow ??= []));
    case 'expires':
      p.expires.push(value);
      return true;
    case 'max-forwards': {
      const n = value.length;
      if (n === 0) return false;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const d = value.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) return false;
        v = v * 10 + d;
      }
      p.maxForwards.push(v > 255 ? -1 : v);
      return true;
    }
    case 'feature-caps': {
      const values = splitHeaderValues(value);
      if (values === undefined) return false;
      for (const v of values) p.featureCaps.push(v);
      return true;
    }
    default:
      return true;
  }
}

/**
 * The fast tier of {@link parseSipMessage}: a hand-written scanner over the datagram bytes
 * (RFC 3261 §7). It frames the message (CRLF or bare LF line ends, header folding §7.3.1,
 * compact names §7.3.3, Content-Length §18.3 / §20.14) and parses the headers a registrar needs.
 * Every string it keeps is copied out of the bytes (`latin1Slice`, or UTF-8 decoding when the
 * message holds non-ASCII octets), so no string keeps the datagram alive.
 *
 * @returns the parse result when the scanner is sure (a message, or a rejection on missing
 *   mandatory headers, a CSeq method mismatch, a Content-Length beyond the datagram ...), or
 *   `undefined` when it declines anything unusual so that the SIP.js grammar decides.
 */
export function scanSipMessage(input: Uint8Array, options: ResolvedParseOptions): ParseResult | undefined {
  const t = new ByteText(input);
  const buf = t.buf;
  const n = buf.length;
  let pos = 0;
  while (pos < n && (buf[pos] === CR || buf[pos] === LF)) pos++;
  let lf = buf.indexOf(LF, pos);
  if (lf < 0) return undefined;
  const start = scanStartLine(t, pos, lf > pos && buf[lf - 1] === CR ? lf - 1 : lf);
  if (start === undefined) return undefined;
  const p = newMessageParts(start);
  const headers: SipHeader[] = p.headers;
  let contentLength = -1;
  let contentLengths = 0;
  pos = lf + 1;
  for (;;) {
    lf = buf.indexOf(LF, pos);
    if (lf < 0) return undefined;
    let end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    if (end === pos) break;
    let i = pos;
    while (i < end && isTokenByte(buf[i])) i++;
    if (i === pos) return undefined;
    let name: string;
    let key: string;
    const known = commonName(buf, pos, i);
    if (known >= 0) [name, key] = COMMON_NAMES[known];
    else {
      name = t.text(pos, i);
      key = canonicalHeaderName(name);
    }
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++;
    if (i >= end || buf[i] !== 0x3a) return undefined;
    i++;
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++;
    while (end > i && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
    let value = i < end ? t.text(i, end) : '';
    while (buf[lf + 1] === SP || buf[lf + 1] === HT) {
      const segStart = lf + 1;
      lf = buf.indexOf(LF, segStart);
      if (lf < 0) return undefined;
      let a = segStart;
      let b = lf > segStart && buf[lf - 1] === CR ? lf - 1 : lf;
      while (a < b && (buf[a] === SP || buf[a] === HT)) a++;
      while (b > a && (buf[b - 1] === SP || buf[b - 1] === HT)) b--;
      if (a < b) value = value === '' ? t.text(a, b) : value + ' ' + t.text(a, b);
    }
    headers.push({ name, value });
    p.keys.push(key);
    if (key === 'content-length') {
      contentLengths++;
      contentLength = parseDigits(value, 10);
      if (contentLength < 0) return undefined;
    } else if (!takeHeader(p, key, value)) return undefined;
    pos = lf + 1;
  }
  const bodyStart = lf + 1;
  if (contentLengths > 1) return rejectWith('multiple-content-length', headers, p.keys);
  let bodyEnd = n;
  if (contentLengths === 1) {
    if (bodyStart + contentLength > n) return rejectWith('content-length-exceeds-body', headers, p.keys);
    bodyEnd = bodyStart + contentLength;
  }
  if (bodyEnd > bodyStart) p.body = Uint8Array.prototype.slice.call(buf, bodyStart, bodyEnd);
  return assembleMessage(p, options, 'scanner');
}
