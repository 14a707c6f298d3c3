/**
 * Builders of raw SIP text (CRLF line ends, RFC 3261 §7) for tests: REGISTER requests with any
 * Contact set, other requests (INVITE, OPTIONS, MESSAGE ...) and responses from a fake upstream.
 * Every omitted identifier (branch, Call-ID, tag) comes from an {@link IdSequence}: pass your own
 * seeded sequence for reproducible text, or leave it out for unique values.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors/sdk-error';
import type { SipRequest } from '../sip/message';
import { buildResponse, type ResponseBody } from '../sip/response';
import { parseSipMessage } from '../sip/sip-parser';

/**
 * Deterministic unique identifiers: `<seed>-1`, `<seed>-2` ... A test that passes the same seed
 * gets the same text on every run; without a seed, a random one keeps values unique across calls.
 *
 * @example
 * ```ts
 * const ids = new IdSequence('t1');
 * buildRegister({ aor: 'sip:alice@example.com', ids }); // branch z9hG4bK-t1-1, Call-ID t1-2@sipreg.test ...
 * ```
 */
export class IdSequence {
  readonly #seed: string;
  #counter = 0;

  /** @param seed - Prefix of every identifier. @defaultValue 8 random hex digits */
  constructor(seed: string | number = randomBytes(4).toString('hex')) {
    this.#seed = String(seed);
  }

  /** The next identifier (a SIP token, RFC 3261 §25.1). */
  next(): string {
    this.#counter += 1;
    return `${this.#seed}-${this.#counter.toString(36)}`;
  }
}

/** A Contact value: a URI or name-addr as text, or a URI with header parameters (RFC 3261 §20.10). */
export type ContactSpec =
  | string
  | {
      readonly uri: string;
      /** `expires` parameter, seconds. */
      readonly expires?: number;
      /** `q` parameter, 0..1. */
      readonly q?: number;
      /** Further parameters; `null` writes a parameter without value (`;ob`). */
      readonly params?: Readonly<Record<string, string | null>>;
    };

/** The top Via of a built request (RFC 3261 §20.42). */
export interface ViaSpec {
  /** @defaultValue `'127.0.0.1'` */
  readonly host?: string;
  /** @defaultValue 5070 */
  readonly port?: number;
  /** @defaultValue `'UDP'` */
  readonly transport?: string;
  /** @defaultValue `z9hG4bK-` + a fresh id (RFC 3261 §8.1.1.7 magic cookie) */
  readonly branch?: string;
  /** Add a value-less `rport` (RFC 3581 §3). @defaultValue false */
  readonly rport?: boolean;
}

/** Extra header lines, appended in order. */
export type HeaderSpec = Readonly<Record<string, string>> | readonly (readonly [string, string])[];

/** Fields common to {@link buildRegister} and {@link buildRequest}. */
export interface RequestSpec {
  /** Request-URI. @defaultValue REGISTER: the AOR's domain; others: the `to` URI */
  readonly requestUri?: string;
  /** @defaultValue a fresh id + `@sipreg.test` */
  readonly callId?: string;
  /** CSeq number. @defaultValue 1 */
  readonly cseq?: number;
  /** From tag. @defaultValue a fresh id */
  readonly fromTag?: string;
  /** To tag (in-dialog requests). @defaultValue none */
  readonly toTag?: string;
  readonly via?: ViaSpec;
  /** Contact values; `'*'` for the wildcard (RFC 3261 §10.2.2); `[]` for none. */
  readonly contacts?: readonly ContactSpec[] | '*';
  /** `Expires` header, seconds. */
  readonly expires?: number;
  /** @defaultValue 70 */
  readonly maxForwards?: number;
  readonly userAgent?: string;
  /** `Supported` option tags. */
  readonly supported?: readonly string[];
  /** `Require` option tags. */
  readonly require?: readonly string[];
  /** `Allow` methods. */
  readonly allow?: readonly string[];
  /** `Path` URIs, top first (RFC 3327). */
  readonly path?: readonly string[];
  /** More header lines, written after the others. */
  readonly headers?: HeaderSpec;
  /** Message body; `Content-Length` counts its UTF-8 bytes. @defaultValue empty */
  readonly body?: string;
  /** `Content-Type` of a non-empty body. @defaultValue `'text/plain'` */
  readonly contentType?: string;
  /** Source of omitted identifiers. @defaultValue a new randomly seeded {@link IdSequence} */
  readonly ids?: IdSequence;
}

/** Options of {@link buildRegister}. */
export interface RegisterSpec extends RequestSpec {
  /** The address-of-record, in From and To (RFC 3261 §10.2). */
  readonly aor: string;
  /**
   * @defaultValue one contact `<sip:user@via-host:via-port>` (plus `;transport=tcp` etc. when the
   * Via transport is not UDP)
   */
  readonly contacts?: readonly ContactSpec[] | '*';
}

/** Options of {@link buildRequest}. */
export interface OtherRequestSpec extends RequestSpec {
  /** From URI or name-addr. @defaultValue `sip:tester@<via host>` */
  readonly from?: string;
  /** To URI or name-addr. @defaultValue `sip:bob@sipreg.test` */
  readonly to?: string;
}

function nameAddr(value: string): string {
  return value.includes('<') ? value : `<${value}>`;
}

/** A host as written in a URI or Via: IPv6 literals in brackets (RFC 3261 §25.1 `IPv6reference`). */
function uriHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function hostPort(host: string, port: number): string {
  return `${uriHost(host)}:${port}`;
}

function formatContact(contact: ContactSpec): string {
  if (typeof contact === 'string') return contact === '*' ? '*' : nameAddr(contact);
  let out = nameAddr(contact.uri);
  if (contact.expires !== undefined) out += `;expires=${contact.expires}`;
  if (contact.q !== undefined) out += `;q=${contact.q}`;
  for (const [name, value] of Object.entries(contact.params ?? {})) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

function headerPairs(headers: HeaderSpec | undefined): readonly (readonly [string, string])[] {
  if (headers === undefined) return [];
  return Array.isArray(headers) ? (headers as readonly (readonly [string, string])[]) : Object.entries(headers);
}

/** Split `sip:user@host;params` into user and host (lenient: tests also build invalid AORs). */
function splitAor(aor: string): { user: string; domain: string; scheme: string } {
  const uri = aor.includes('<') ? aor.slice(aor.indexOf('<') + 1, aor.indexOf('>')) : aor;
  const colon = uri.indexOf(':');
  const scheme = colon < 0 ? 'sip' : uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  const at = rest.indexOf('@');
  const user = at < 0 ? '' : rest.slice(0, at);
  const hostPart = rest.slice(at + 1);
  let end = hostPart.length;
  for (const stop of [';', '?', '>']) {
    const i = hostPart.indexOf(stop);
    if (i >= 0 && i < end) end = i;
  }
  return { user, domain: hostPart.slice(0, end), scheme };
}

/** Assemble a request from its resolved start line, From/To and the common fields. */
function assemble(method: string, requestUri: string, from: string, to: string, spec: RequestSpec, defaultContacts: readonly ContactSpec[]): string {
  const ids = spec.ids ?? new IdSequence();
  const via = spec.via ?? {};
  const viaHost = hostPort(via.host ?? '127.0.0.1', via.port ?? 5070);
  const lines = [
    `${method} ${requestUri} SIP/2.0`,
    `Via: SIP/2.0/${via.transport ?? 'UDP'} ${viaHost};branch=${via.branch ?? `z9hG4bK-${ids.next()}`}${via.rport ? ';rport' : ''}`,
    `Max-Forwards: ${spec.maxForwards ?? 70}`,
    `From: ${nameAddr(from)};tag=${spec.fromTag ?? ids.next()}`,
    `To: ${nameAddr(to)}${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}`,
    `Call-ID: ${spec.callId ?? `${ids.next()}@sipreg.test`}`,
    `CSeq: ${spec.cseq ?? 1} ${method}`,
  ];
  const contacts = spec.contacts ?? defaultContacts;
  if (contacts === '*') lines.push('Contact: *');
  else for (const contact of contacts) lines.push(`Contact: ${formatContact(contact)}`);
  const expires = spec.expires ?? (contacts === '*' ? 0 : undefined);
  if (expires !== undefined) lines.push(`Expires: ${expires}`);
  for (const uri of spec.path ?? []) lines.push(`Path: ${nameAddr(uri)}`);
  if (spec.supported !== undefined) lines.push(`Supported: ${spec.supported.join(', ')}`);
  if (spec.require !== undefined) lines.push(`Require: ${spec.require.join(', ')}`);
  if (spec.allow !== undefined) lines.push(`Allow: ${spec.allow.join(', ')}`);
  if (spec.userAgent !== undefined) lines.push(`User-Agent: ${spec.userAgent}`);
  for (const [name, value] of headerPairs(spec.headers)) lines.push(`${name}: ${value}`);
  const body = spec.body ?? '';
  if (body !== '') lines.push(`Content-Type: ${spec.contentType ?? 'text/plain'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Build a REGISTER (RFC 3261 §10.2) for `aor`. From and To carry the AOR, the Request-URI its
 * domain; every other field has a sensible default.
 *
 * @example
 * ```ts
 * const ids = new IdSequence(1);
 * buildRegister({
 *   aor: 'sip:alice@example.com',
 *   contacts: [{ uri: 'sip:alice@192.0.2.5:5060', expires: 600, params: { '+sip.instance': '"<urn:uuid:1>"', 'reg-id': '1' } }],
 *   supported: ['outbound', 'path'],
 *   via: { host: '192.0.2.5', port: 5060, rport: true },
 *   ids,
 * });
 * // Unregister everything: buildRegister({ aor, contacts: '*' })  (adds Expires: 0)
 * ```
 */
export function buildRegister(spec: RegisterSpec): string {
  const { user, domain, scheme } = splitAor(spec.aor);
  const via = spec.via ?? {};
  const transport = (via.transport ?? 'UDP').toLowerCase();
  const contactHost = hostPort(via.host ?? '127.0.0.1', via.port ?? 5070);
  const defaultContact = `${scheme}:${user === '' ? '' : `${user}@`}${contactHost}${transport === 'udp' ? '' : `;transport=${transport}`}`;
  return assemble('REGISTER', spec.requestUri ?? `${scheme}:${domain}`, spec.aor, spec.aor, spec, [defaultContact]);
}

/**
 * Build any other request: INVITE, OPTIONS, MESSAGE, SUBSCRIBE ... (RFC 3261 §8.1.1). No Contact
 * unless `contacts` is given.
 *
 * @example
 * ```ts
 * buildRequest('MESSAGE', { requestUri: 'sip:alice@example.com', to: 'sip:alice@example.com', body: 'hi' });
 * buildRequest('OPTIONS', { requestUri: 'sip:127.0.0.1:5060', ids: new IdSequence('opt') });
 * ```
 */
export function buildRequest(method: string, spec: OtherRequestSpec = {}): string {
  const to = spec.to ?? 'sip:bob@sipreg.test';
  const from = spec.from ?? `sip:tester@${uriHost(spec.via?.host ?? '127.0.0.1')}`;
  const requestUri = spec.requestUri ?? (to.includes('<') ? to.slice(to.indexOf('<') + 1, to.indexOf('>')) : to);
  return assemble(method, requestUri, from, to, spec, []);
}

/** Options of {@link buildResponseText}. */
export interface ResponseTextOptions {
  /**
   * To tag added when the request's To has none (never to a 100).
   * @defaultValue `responseToTag(request)` of the SIP model (stable across retransmissions)
   */
  readonly toTag?: string;
  /** A body with its media type. @defaultValue none */
  readonly body?: ResponseBody;
}

/**
 * Build the text of a response to `request` (RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq
 * copied, a To tag added except to a 100), for fake upstream registrars and UAs.
 *
 * @example
 * ```ts
 * fake.respondWith((request) =>
 *   buildResponseText(request, 401, 'Unauthorized', { 'WWW-Authenticate': 'Digest realm="example.com", nonce="abc"' }),
 * );
 * buildResponseText(registerText, 200, 'OK', [['Contact', '<sip:alice@192.0.2.5>;expires=3600']]);
 * ```
 * @param headers - extra header lines, after the copied ones.
 * @throws {@link ConfigError} when `request` is not a parseable SIP request.
 */
export function buildResponseText(
  request: string | Uint8Array | SipRequest,
  status: number,
  reason: string,
  headers?: HeaderSpec,
  options: ResponseTextOptions = {},
): string {
  let parsed: SipRequest;
  if (typeof request === 'string' || request instanceof Uint8Array) {
    const result = parseSipMessage(request);
    if (!result.ok) throw new ConfigError(`buildResponseText: the request does not parse: ${result.error.reason}`);
    if (result.message.kind !== 'request') throw new ConfigError('buildResponseText: expected a request, got a response');
    parsed = result.message;
  } else {
    parsed = request;
  }
  const bytes = buildResponse(parsed, status, reason, { toTag: options.toTag, headers: headerPairs(headers), body: options.body });
  return new TextDecoder().decode(bytes);
}
