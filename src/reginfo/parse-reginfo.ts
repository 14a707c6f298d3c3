/**
 * Reading a registration information document (RFC 3680 §5) from a NOTIFY or PUBLISH body,
 * defensively: bounded size, no DTD, strict values.
 * @packageDocumentation
 */

import { Buffer } from 'node:buffer';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { err, ok, type Result } from '../errors/result';
import { parseQValue } from '../registrar/contact-values';
import { MAX_DELTA_SECONDS, parseDeltaSeconds } from '../sip/headers/delta-seconds';
import { NON_XML_CHAR } from './build-reginfo';
import {
  CONTACT_EVENTS,
  REGINFO_NAMESPACE,
  type ContactEvent,
  type ReginfoContact,
  type ReginfoDocument,
  type ReginfoRegistration,
  type ReginfoUnknownParam,
} from './reginfo-document';

/** Options of {@link parseReginfo}. */
export interface ParseReginfoOptions {
  /**
   * Largest body accepted, in bytes (UTF-8 bytes for a string); a larger one is refused before
   * any parsing (RFC 3680 §8: a document may come from an untrusted notifier).
   * @defaultValue 65536
   */
  readonly maxBytes?: number;
}

/** Why a body is not a usable reginfo document (RFC 3680 §5): a sentence naming the problem and where it is. */
export interface ReginfoParseError {
  readonly reason: string;
}

/** An element, a text node (`#text`) or a CDATA section (`#cdata`) as the parser gives it with `preserveOrder`. */
type XmlNode = Readonly<Record<string, unknown>>;

/** Namespace prefixes in scope ('' for the default namespace). */
type Scope = ReadonlyMap<string, string>;

/** An element with its name resolved against the namespace declarations in scope. */
interface XmlElement {
  readonly ns: string;
  readonly local: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly children: readonly XmlNode[];
  readonly scope: Scope;
  /** Where it is, for messages: `reginfo/registration[2]/contact[1]`. */
  readonly path: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Thrown inside this module only, caught by {@link parseReginfo}. */
class Invalid extends Error {}

const DEFAULT_MAX_BYTES = 65536;

/**
 * Element text and attribute values stay raw (`processEntities: false`): {@link decode} expands
 * the five predefined entities and character references itself, and rejects anything else, so
 * the parser never expands an entity. CDATA stays apart (`#cdata`) so that it is not decoded.
 * No callback needs a path string, so none is built (`jPath: false`).
 */
const PARSER = new XMLParser(Object.freeze({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  jPath: false,
}));

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const INITIAL_SCOPE: Scope = new Map([['xml', XML_NAMESPACE]]);
const NO_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});

const DTD = /<!(?:DOCTYPE|ENTITY)/i;
const REFERENCE = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z_][\w.-]*))?(;?)/g;
const PREDEFINED: ReadonlyMap<string, string> = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);
const XML_SPACE_AROUND = /^[ \t\n\r]+|[ \t\n\r]+$/g;
const ATTRIBUTE_WHITESPACE = /[\t\n\r]/g;

/** Local names of RFC 3680 §5.4, which an element outside any namespace must not use. */
const SCHEMA_NAMES: ReadonlySet<string> = new Set(['reginfo', 'registration', 'contact', 'uri', 'display-name', 'unknown-param']);

const fail = (reason: string): never => {
  throw new Invalid(reason);
};

/** A value for a message: quoted, and cut when long. */
const show = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

const describeChar = (c: string): string => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Expands the predefined entities and character references of XML 1.0 §4.1/§4.6 in `raw`; anything else fails. */
function decode(raw: string, where: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(REFERENCE, (whole: string, hex: string | undefined, dec: string | undefined, name: string | undefined, semi: string) => {
    if (semi === '' || (hex === undefined && dec === undefined && name === undefined)) fail(`${where}: '&' must be written &amp; (found ${show(whole)})`);
    if (name !== undefined) {
      return PREDEFINED.get(name) ?? fail(`${where}: entity &${name}; is not defined (only &lt; &gt; &amp; &quot; &apos; and character references are allowed)`);
    }
    const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    const c = cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    return c === '' || NON_XML_CHAR.test(c) ? fail(`${where}: character reference ${whole} is not a character XML allows`) : c;
  });
}

/** Resolves the name of an element node against the declarations in scope and its own; `undefined` for text and CDATA. */
function element(node: XmlNode, parentScope: Scope, path: string): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined || name === '#text' || name === '#cdata') return undefined;
  const attributes = (node[':@'] ?? NO_ATTRIBUTES) as Readonly<Record<string, unknown>>;
  const declarations = Object.keys(attributes).filter((a) => a === 'xmlns' || a.startsWith('xmlns:'));
  const scope = declarations.length === 0 ? parentScope : new Map([
    ...parentScope,
    ...declarations.map((a): [string, string] => [a === 'xmlns' ? '' : a.slice(6), decode(String(attributes[a]).replace(ATTRIBUTE_WHITESPACE, ' '), `${path}: attribute ${a}`)]),
  ]);
  const colon = name.indexOf(':');
  const prefix = colon < 0 ? '' : name.slice(0, colon);
  const ns = scope.get(prefix);
  if (ns === undefined && prefix !== '') fail(`${path}: namespace prefix "${prefix}" of <${name}> is not declared`);
  const children = node[name];
  return { ns: ns ?? '', local: name.slice(colon + 1), attributes, children: Array.isArray(children) ? children as XmlNode[] : [], scope, path };
}

/** The child elements of `parent` named `local` in the reginfo namespace (RFC 3680 §5.4); others are extensions and skipped. */
function childElements(parent: XmlElement, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of parent.children) {
    const e = element(node, parent.scope, parent.path);
    if (e === undefined) continue;
    if (e.ns === '' && SCHEMA_NAMES.has(e.local)) fail(`${parent.path}: <${e.local}> has no namespace; it must be in ${REGINFO_NAMESPACE}`);
    if (e.ns === REGINFO_NAMESPACE && e.local === local) out.push({ ...e, path: `${parent.path}/${local}[${out.length + 1}]` });
  }
  return out;
}

/** The text content of `e`: text decoded, CDATA as is, child elements skipped. */
function textOf(e: XmlElement): string {
  let out = '';
  for (const node of e.children) {
    const t = node['#text'];
    if (typeof t === 'string') out += decode(t, e.path);
    const cdata = node['#cdata'];
    if (Array.isArray(cdata)) for (const part of cdata as XmlNode[]) out += String(part['#text'] ?? '');
  }
  return out;
}

/** An unprefixed attribute, normalized (XML 1.0 §3.3.3) and decoded; `undefined` when absent. */
function attribute(e: XmlElement, name: string): string | undefined {
  const raw = Object.hasOwn(e.attributes, name) ? e.attributes[name] : undefined;
  if (typeof raw !== 'string') return undefined;
  const where = `${e.path}: attribute ${name}`;
  if (raw.includes('<')) fail(`${where}: '<' must be written &lt;`);
  return decode(raw.replace(ATTRIBUTE_WHITESPACE, ' '), where);
}

function required(e: XmlElement, name: string): string {
  return attribute(e, name) ?? fail(`${e.path}: attribute ${name} is missing`);
}

function oneOf<T extends string>(e: XmlElement, name: string, allowed: readonly T[]): T {
  const v = required(e, name);
  return (allowed as readonly string[]).includes(v)
    ? v as T
    : fail(`${e.path}: attribute ${name}=${show(v)} is not one of ${allowed.join(', ')}`);
}

/** A non-negative integer attribute (`xs:unsignedLong` in RFC 3680 §5.4, capped at 2^32-1); `undefined` when absent. */
function count(e: XmlElement, name: string): number | undefined {
  const v = attribute(e, name);
  if (v === undefined) return undefined;
  return parseDeltaSeconds(v.replace(XML_SPACE_AROUND, ''))
    ?? fail(`${e.path}: attribute ${name}=${show(v)} is not an integer from 0 to ${MAX_DELTA_SECONDS}`);
}

function readContact(e: XmlElement): ReginfoContact {
  const uris = childElements(e, 'uri');
  if (uris.length === 0) fail(`${e.path}: <uri> is missing`);
  if (uris.length > 1) fail(`${e.path}: more than one <uri>`);
  const contact: Mutable<ReginfoContact> = {
    id: required(e, 'id'),
    state: oneOf(e, 'state', ['active', 'terminated'] as const),
    event: oneOf<ContactEvent>(e, 'event', CONTACT_EVENTS),
    uri: textOf(uris[0]).replace(XML_SPACE_AROUND, ''),
  };
  const names = childElements(e, 'display-name');
  if (names.length > 1) fail(`${e.path}: more than one <display-name>`);
  if (names.length === 1) contact.displayName = textOf(names[0]);
  const expires = count(e, 'expires');
  if (expires !== undefined) contact.expiresSec = expires;
  const retryAfter = count(e, 'retry-after');
  if (retryAfter !== undefined) contact.retryAfterSec = retryAfter;
  const duration = count(e, 'duration-registered');
  if (duration !== undefined) contact.durationRegisteredSec = duration;
  const q = attribute(e, 'q');
  if (q !== undefined) {
    contact.q = parseQValue(q.replace(XML_SPACE_AROUND, ''))
      ?? fail(`${e.path}: attribute q=${show(q)} is not a q-value from 0 to 1 with at most 3 decimals`);
  }
  const callId = attribute(e, 'callid');
  if (callId !== undefined) contact.callId = callId;
  const cseq = count(e, 'cseq');
  if (cseq !== undefined) contact.cseq = cseq;
  const received = attribute(e, 'received');
  if (received !== undefined) contact.received = received;
  const path = attribute(e, 'path')?.split(',').map((p) => p.replace(XML_SPACE_AROUND, '')).filter((p) => p !== '');
  if (path !== undefined && path.length > 0) contact.path = path;
  const userAgent = attribute(e, 'user_agent');
  if (userAgent !== undefined) contact.userAgent = userAgent;
  const updated = attribute(e, 'last_modified_ms');
  if (updated !== undefined) {
    const ms = /^\d{1,15}$/.test(updated) ? Number(updated) : fail(`${e.path}: attribute last_modified_ms=${show(updated)} is not epoch milliseconds`);
    contact.updatedAt = ms;
  }
  const unknownParams = childElements(e, 'unknown-param').map((p): ReginfoUnknownParam => ({ name: required(p, 'name'), value: textOf(p) }));
  if (unknownParams.length > 0) contact.unknownParams = unknownParams;
  return contact;
}

function readRegistration(e: XmlElement): ReginfoRegistration {
  return {
    aor: required(e, 'aor'),
    id: required(e, 'id'),
    state: oneOf(e, 'state', ['init', 'active', 'terminated'] as const),
    contacts: childElements(e, 'contact').map(readContact),
  };
}

function readDocument(text: string): ReginfoDocument {
  const tree = PARSER.parse(text) as unknown;
  const roots = (Array.isArray(tree) ? tree as XmlNode[] : [])
    .map((node) => element(node, INITIAL_SCOPE, 'reginfo'))
    .filter((e) => e !== undefined);
  if (roots.length !== 1) fail(`the document has ${roots.length} root elements, expected one <reginfo>`);
  const root = roots[0];
  if (root.local !== 'reginfo') fail(`the root element is <${root.local}>, expected <reginfo>`);
  if (root.ns !== REGINFO_NAMESPACE) {
    fail(root.ns === ''
      ? `<reginfo> has no namespace, expected xmlns="${REGINFO_NAMESPACE}"`
      : `<reginfo> is in namespace ${show(root.ns)}, expected ${REGINFO_NAMESPACE}`);
  }
  const versionText = required(root, 'version');
  return {
    version: parseDeltaSeconds(versionText.replace(XML_SPACE_AROUND, ''))
      ?? fail(`${root.path}: attribute version=${show(versionText)} is not an integer from 0 to ${MAX_DELTA_SECONDS}`),
    state: oneOf(root, 'state', ['full', 'partial'] as const),
    registrations: childElements(root, 'registration').map(readRegistration),
  };
}

/**
 * Reads an `application/reginfo+xml` body (RFC 3680 §5) into a {@link ReginfoDocument}. Never
 * throws: every problem is an error whose `reason` names it and where it is.
 *
 * Defences (RFC 3680 §8, the body may come from anyone able to send a NOTIFY or PUBLISH):
 * - a body over `maxBytes` is refused before parsing; bytes must be valid UTF-8 (a BOM is
 *   skipped);
 * - any `<!DOCTYPE` or `<!ENTITY` (any case, anywhere, even in a comment) is refused, so no
 *   entity is ever expanded; only `&lt; &gt; &amp; &quot; &apos;` and character references
 *   (`&#38;`, `&#x26;`) are decoded, any other reference is an error;
 * - characters XML 1.0 does not allow (raw or as references) and malformed XML are errors.
 *
 * Reading:
 * - the root must be `reginfo` in the `urn:ietf:params:xml:ns:reginfo` namespace, with any
 *   prefix (`<r:reginfo xmlns:r="…">`); prefixes are resolved against their declarations;
 * - elements of other namespaces and attributes this model has no field for are skipped
 *   (RFC 3680 §5.4 extensibility), including `xml:lang` on `<display-name>`; an unqualified
 *   element with a name of the schema (`<contact>` under a prefixed root that declared no
 *   default namespace) is an error rather than silently skipped;
 * - required: `version` (integer 0..2^32-1) and `state` (`full`/`partial`) on `reginfo`; `aor`,
 *   `id` and `state` on each registration; `id`, `state`, `event` and exactly one `<uri>` on each
 *   contact;
 * - `expires`, `retry-after`, `duration-registered` and `cseq` are integers 0..2^32-1; `q` a
 *   q-value (RFC 3261 `qvalue`: `0`, `0.8`, `1.000`) read as thousandths;
 * - `path` (OpenSIPS/Kamailio) is split on commas, each entry trimmed, empty ones dropped;
 * - the `<uri>` text is trimmed (`xs:anyURI`); `<display-name>` and `<unknown-param>` text is
 *   kept as is; attribute values get XML attribute-value normalization (raw tab/LF/CR become
 *   spaces, references to them stay);
 * - an optional field absent from the XML is absent from the result (no `undefined` keys).
 */
export function parseReginfo(body: Uint8Array | string, options?: ParseReginfoOptions): Result<ReginfoDocument, ReginfoParseError> {
  try {
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
    const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
    if (size > maxBytes) return err({ reason: `the body is ${size} bytes, more than the ${maxBytes} allowed` });
    let text: string;
    if (typeof body === 'string') text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
    else {
      try {
        text = UTF8.decode(body);
      } catch {
        return err({ reason: 'the body is not valid UTF-8' });
      }
    }
    if (text.trim() === '') return err({ reason: 'the body is empty' });
    if (DTD.test(text)) return err({ reason: 'the document has a DOCTYPE or ENTITY declaration, which is not allowed (no DTD, no entity expansion)' });
    const bad = NON_XML_CHAR.exec(text);
    if (bad !== null) return err({ reason: `character ${describeChar(bad[0])} at character index ${bad.index} is not allowed in XML` });
    const valid = XMLValidator.validate(text);
    if (valid !== true) return err({ reason: `malformed XML at line ${valid.err.line}${valid.err.col === undefined ? '' : `, column ${valid.err.col}`}: ${valid.err.msg}` });
    return ok(readDocument(text));
  } catch (e) {
    return err({ reason: e instanceof Invalid ? e.message : `the XML parser refused the document: ${e instanceof Error ? e.message : String(e)}` });
  }
}
