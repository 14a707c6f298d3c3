/**
 * The two-tier SIP message parser (RFC 3261 §7): a hand-written scanner for the hot path and
 * the SIP.js grammar (`sip-parser`, the npm alias of `sip.js`) as the fallback for anything the
 * scanner declines and as the `strict` reference. This is the only module that imports SIP.js;
 * its `Grammar.parse` rebuilds the pegjs bytecode per call (about 1.5 ms per REGISTER), so it
 * never runs per message on the hot path.
 * @packageDocumentation
 */
import { Buffer, isAscii } from 'node:buffer';
import { Grammar } from 'sip-parser';
import type { NameAddrValue, SipHeader, ViaValue } from './message';
import type { StartLine } from './message-parts';
import type { ParseOptions, ParseResult, ResolvedParseOptions } from './parse-result';
import { assembleMessage, rejectWith } from './assemble-message';
import { ownedCopy } from './byte-text';
import { hasBareNul } from './chars';
import { StringHeaderLines } from './header-lines';
import { MessageParts, appended } from './message-parts';
import { resolveParseOptions } from './parse-result';
import { scanSipMessage } from './scanner';
import type { SipScanner } from './scanner';
import { canonicalHeaderName } from './headers/header-names';
import { parseDeltaSeconds } from './headers/delta-seconds';
import { splitHeaderValues } from './headers/split-values';
import { parseTokenList } from './headers/token-list';
import { isSentByPort } from './headers/via';
import { parseNameAddr, unescapeQuoted } from './name-addr';
import { GRAMMAR_BUDGET_SPENT, type GrammarBudget } from './grammar-budget';

export type { ParseOptions, ParseResult, PartialMessage, SipParseError, ParseTier } from './parse-result';

/** One element of a SIP.js multi-header result (Contact, Record_Route): `[offset, position)` in the input. */
interface GrammarElement {
  readonly offset: number;
  readonly position: number;
  readonly parsed: { readonly displayName?: string; readonly parameters: Record<string, unknown> } | null;
}

/** What SIP.js returns for one `Via` value. */
interface GrammarVia {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly branch?: string;
  readonly received?: string;
  readonly rport?: string;
  readonly params?: Record<string, unknown>;
}

const WSP_EDGES = /^[ \t]+|[ \t]+$/g;
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const VIA_VERSION = /^SIP[ \t]*\/[ \t]*2\.0[ \t]*\//i;
const LINE_END = /\r?\n/;

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

/** Index of the first byte after the blank line that ends the header section, and where that line starts. */
function findHeaderEnd(bytes: Uint8Array, from: number): { headEnd: number; bodyStart: number } | undefined {
  for (let lf = bytes.indexOf(10, from); lf >= 0; lf = bytes.indexOf(10, lf + 1)) {
    if (bytes[lf + 1] === 10) return { headEnd: lf + 1, bodyStart: lf + 2 };
    if (bytes[lf + 1] === 13 && bytes[lf + 2] === 10) return { headEnd: lf + 1, bodyStart: lf + 3 };
  }
  return undefined;
}

/** Display name as the grammar read it, without quotes and escapes (RFC 3261 §25.1 `display-name`). */
function grammarDisplayName(raw: string, parsed: { readonly displayName?: string }): string | undefined {
  const dn = parsed.displayName;
  if (dn === undefined) return undefined;
  return raw.charCodeAt(0) === 0x22 ? unescapeQuoted(dn, 0, dn.length) : dn;
}

/**
 * A name-addr value checked by the grammar: the text layout (URI, parameter values as written)
 * comes from {@link parseNameAddr}, the display name from SIP.js, and every header parameter
 * the text layout found must be one SIP.js found too. (SIP.js may report more: its `ttl` URI
 * parameter rule writes into the header parameters, so `<sip:h;ttl=1>` gains a header `ttl`.)
 */
function grammarNameAddr(raw: string, parsed: GrammarElement['parsed'], requireAngle: boolean): NameAddrValue | undefined {
  if (parsed === null) return undefined;
  const na = parseNameAddr(raw, requireAngle);
  if (na === undefined) return undefined;
  for (const name in na.params) if (!(name in parsed.parameters)) return undefined;
  const displayName = grammarDisplayName(raw, parsed);
  return displayName === undefined ? { raw, uri: na.uri, params: na.params } : { ...na, displayName };
}

/** True when the URI of a name-addr is not `sip:`/`sips:` (SIP.js only knows SIP URIs there). */
function isForeignScheme(na: NameAddrValue): boolean {
  const scheme = na.uri.slice(0, na.uri.indexOf(':')).toLowerCase();
  return scheme !== 'sip' && scheme !== 'sips';
}

/**
 * SIP.js accepts only SIP URIs in name-addr values, but RFC 3261 §25.1 `addr-spec` allows any
 * `absoluteURI` (RFC 4475 §3.3.4 is such a message and is well-formed). When the grammar rejects
 * a list, each element is checked again on its own: SIP URIs by the grammar, other schemes by
 * the generic absoluteURI syntax.
 */
function foreignSchemeFallback(value: string, rule: string, out: NameAddrValue[], requireAngle: boolean): boolean {
  const values = splitHeaderValues(value);
  if (values === undefined) return false;
  const parsed: NameAddrValue[] = [];
  let foreign = false;
  for (const v of values) {
    const na = parseNameAddr(v, requireAngle);
    if (na === undefined) return false;
    if (isForeignScheme(na)) foreign = true;
    else if (Grammar.parse(v, rule) === -1) return false;
    parsed.push(na);
  }
  if (!foreign) return false;
  out.push(...parsed);
  return true;
}

/** Parses a list header with a SIP.js multi-header rule (`Contact`, `Record_Route`) into `out`. */
function grammarNameAddrList(value: string, rule: string, out: NameAddrValue[], requireAngle: boolean): boolean {
  const elements: GrammarElement[] | -1 = Grammar.parse(value, rule);
  if (elements === -1 || !Array.isArray(elements)) return foreignSchemeFallback(value, rule, out, requireAngle);
  for (const e of elements) {
    const na = grammarNameAddr(value.slice(e.offset, e.position).replace(WSP_EDGES, ''), e.parsed, requireAngle);
    if (na === undefined) return false;
    out.push(na);
  }
  return true;
}

function grammarVia(raw: string): ViaValue | undefined {
  const g: GrammarVia | -1 = Grammar.parse(raw, 'Via');
  if (g === -1 || !VIA_VERSION.test(raw) || (g.port !== undefined && !isSentByPort(g.port))) return undefined;
  const via: { -readonly [K in keyof ViaValue]: ViaValue[K] } = { raw, transport: g.transport.toUpperCase(), host: g.host };
  if (g.port !== undefined) via.port = g.port;
  if (g.branch !== undefined) via.branch = g.branch;
  if (g.received !== undefined) via.received = g.received;
  if (g.rport !== undefined) via.rport = Number(g.rport);
  else if (g.params !== undefined && 'rport' in g.params) via.rport = true;
  return via;
}

function grammarTokens(value: string, rule: string, out: string[]): boolean {
  const tokens: string[] | -1 = Grammar.parse(value, rule);
  if (tokens === -1) return false;
  for (const tok of tokens) out.push(tok);
  return true;
}

/** Interprets one header with the SIP.js rule for it; false = reject. */
function grammarHeader(p: MessageParts, key: string, value: string): boolean {
  switch (key) {
    case 'via': {
      if (Grammar.parse(value, 'Via') === -1) return false;
      const values = splitHeaderValues(value);
      if (values === undefined) return false;
      for (const v of values) {
        const via = grammarVia(v);
        if (via === undefined) return false;
        p.via = appended(p.via, via);
      }
      return true;
    }
    case 'from':
    case 'to': {
      const rule = key === 'from' ? 'From' : 'To';
      const out: NameAddrValue[] = [];
      const g = Grammar.parse(value, rule);
      if (g === -1) {
        if (!foreignSchemeFallback(value, rule, out, false)) return false;
      } else {
        const na = grammarNameAddr(value, g, false);
        if (na === undefined) return false;
        out.push(na);
      }
      for (const na of out) if (key === 'from') p.addFrom(na);
      else p.addTo(na);
      return true;
    }
    case 'call-id':
      if (Grammar.parse(value, 'Call_ID') === -1) return false;
      p.addCallId(value);
      return true;
    case 'cseq': {
      const g: { value: number; method: string } | -1 = Grammar.parse(value, 'CSeq');
      if (g === -1) return false;
      p.addCSeq({ seq: g.value, method: g.method });
      return true;
    }
    case 'contact':
      if (value === '*') {
        p.contactStars++;
        return true;
      }
      return grammarNameAddrList(value, 'Contact', (p.contacts ??= []), false);
    case 'path':
      return grammarNameAddrList(value, 'Record_Route', (p.path ??= []), true);
    case 'route':
      return grammarNameAddrList(value, 'Record_Route', (p.route ??= []), true);
    case 'record-route':
      return grammarNameAddrList(value, 'Record_Route', (p.recordRoute ??= []), true);
    case 'supported':
      return grammarTokens(value, 'Supported', (p.supported ??= []));
    case 'require':
      return grammarTokens(value, 'Require', (p.require ??= []));
    case 'proxy-require':
      return grammarTokens(value, 'Require', (p.proxyRequire ??= []));
    case 'allow': {
      const methods = parseTokenList(value);
      if (methods === undefined) return false;
      (p.allow ??= []).push(...methods);
      return true;
    }
    case 'expires':
      p.addExpires(parseDeltaSeconds(value));
      return true;
    case 'user-agent':
      p.userAgent ??= value;
      return true;
    case 'max-forwards': {
      const mf: number | -1 = Grammar.parse(value, 'Max_Forwards');
      if (mf === -1) return false;
      p.addMaxForwards(mf > 255 ? -1 : mf);
      return true;
    }
    case 'feature-caps': {
      const values = splitHeaderValues(value);
      if (values === undefined) return false;
      (p.featureCaps ??= []).push(...values);
      return true;
    }
    default:
      return true;
  }
}

/**
 * Splits header lines into unfolded `SipHeader`s (RFC 3261 §7.3.1). `bad` is set when a line is
 * not `name: value`; `headers` then holds the well-formed lines, enough to answer a 400.
 */
function grammarHeaderLines(lines: readonly string[]): { headers: SipHeader[]; bad: boolean } {
  const headers: { name: string; value: string }[] = [];
  let bad = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      const last = headers[headers.length - 1];
      if (last === undefined) {
        bad = true;
        continue;
      }
      const seg = line.replace(WSP_EDGES, '');
      if (seg !== '') last.value = ownedCopy(last.value === '' ? seg : last.value + ' ' + seg);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).replace(WSP_EDGES, '');
    if (!TOKEN.test(name)) {
      bad = true;
      continue;
    }
    headers.push({ name, value: ownedCopy(line.slice(colon + 1).replace(WSP_EDGES, '')) });
  }
  return { headers, bad };
}

/** The start line through SIP.js `Request_Response`, SIP/2.0 only (RFC 4475 §3.1.2.16). */
function grammarStartLine(line: string): StartLine | undefined {
  const g = Grammar.parse(line, 'Request_Response');
  if (g === -1 || String(g.sip_version).toUpperCase() !== 'SIP/2.0') return undefined;
  if (g.status_code !== undefined) {
    const status: number = g.status_code;
    return status < 100 || status > 699 ? undefined : { kind: 'response', status, reason: g.reason_phrase };
  }
  const method: string = g.method;
  return { kind: 'request', method, uri: line.slice(method.length + 1, line.lastIndexOf(' ')) };
}

function grammarParse(bytes: Uint8Array, options: ResolvedParseOptions): ParseResult {
  let pos = 0;
  while (pos < bytes.length && (bytes[pos] === 13 || bytes[pos] === 10)) pos++;
  const frame = findHeaderEnd(bytes, pos);
  if (frame === undefined) return { ok: false, error: { reason: 'no-header-end' } };
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = buf.toString(isAscii(buf) ? 'latin1' : 'utf8', pos, frame.headEnd);
  const lines = head.split(LINE_END);
  lines.pop();
  const { headers, bad } = grammarHeaderLines(lines);
  const keys = headers.map((h) => canonicalHeaderName(h.name));
  if (hasBareNul(bytes, pos, frame.headEnd)) return rejectWith('nul-in-header', headers, keys);
  if (bad) return rejectWith('bad-header-line', headers, keys);
  const start = grammarStartLine(lines[0]);
  if (start === undefined) return rejectWith('bad-start-line', headers, keys);
  const p = new MessageParts(start, new StringHeaderLines(headers, keys));
  const lengths: number[] = [];
  for (let i = 0; i < headers.length; i++) {
    const { value } = headers[i];
    if (keys[i] === 'content-length') {
      const cl: number | -1 = Grammar.parse(value, 'Content_Length');
      if (cl === -1) return rejectWith('bad-content-length', headers, keys);
      lengths.push(cl);
    } else if (!grammarHeader(p, keys[i], value)) return rejectWith('bad-' + keys[i], headers, keys);
  }
  if (lengths.length > 1) return rejectWith('multiple-content-length', headers, keys);
  let bodyEnd = bytes.length;
  if (lengths.length === 1) {
    if (frame.bodyStart + lengths[0] > bytes.length) return rejectWith('content-length-exceeds-body', headers, keys);
    bodyEnd = frame.bodyStart + lengths[0];
  }
  if (bodyEnd > frame.bodyStart) p.body = Uint8Array.prototype.slice.call(bytes, frame.bodyStart, bodyEnd);
  return assembleMessage(p, options, 'grammar');
}

/**
 * The grammar tier alone: frames the message, then checks the start line and every header the
 * registrar reads with the SIP.js (RFC 3261 §25 ABNF) rules. Slow (about 1.5 ms); meant for
 * the differential tests and for {@link ParseOptions.strict}.
 */
export function parseSipMessageWithGrammar(input: Uint8Array | string, options?: ParseOptions): ParseResult {
  return grammarParse(toBytes(input), resolveParseOptions(options));
}

/**
 * Parses one SIP message (RFC 3261 §7) into the read-only {@link SipMessage} model. The fast
 * scanner handles the common case; whatever it declines goes to the SIP.js grammar. A message is
 * rejected (`ok: false`, with the raw Via/From/To/Call-ID/CSeq for a 400) when it is malformed,
 * lacks Via, From, To, Call-ID or CSeq, repeats a single-value header, has a CSeq method other
 * than the request method, a Max-Forwards above 255, a Via sent-by port outside 1-65535, a NUL
 * octet in its header section, a Content-Length beyond the received bytes, or more than
 * `maxContacts` Contact values.
 *
 * @param input - the datagram or stream frame; a string is encoded as UTF-8 first.
 * @param scanner - what the scanner reuses between messages (a transport owns one); @defaultValue one shared by the callers that give none
 * @param budget - how often the grammar may run for what the scanner declines; with none left
 *   the message is rejected unparsed, reason {@link GRAMMAR_BUDGET_SPENT}. @defaultValue no limit
 */
export function parseSipMessage(input: Uint8Array | string, options?: ParseOptions, scanner?: SipScanner, budget?: GrammarBudget): ParseResult {
  const resolved = resolveParseOptions(options);
  const bytes = toBytes(input);
  if (resolved.strict) return grammarParse(bytes, resolved);
  const scanned = scanSipMessage(bytes, resolved, scanner);
  if (scanned !== undefined) return scanned;
  if (budget !== undefined && !budget.take()) return { ok: false, error: { reason: GRAMMAR_BUDGET_SPENT } };
  return grammarParse(bytes, resolved);
}
