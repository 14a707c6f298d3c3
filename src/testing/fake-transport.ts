import { ConfigError } from '../errors/sdk-error';
import type { Endpoint, RequestHandler, ResponseHandler, Source, TransactionOutcome, Transport } from '../ports/transport';
import type { SipMessage, SipRequest, SipResponse } from '../sip/message';
import { parseSipMessage } from '../sip/sip-parser';
import { responseDestination } from '../transports/response-destination';
import { stampReceived } from '../transports/stamp-received';

/** A response the code under test sent through {@link FakeTransport.sendResponse}. */
export interface SentResponse {
  readonly data: Uint8Array;
  /** `data` parsed back. */
  readonly response: SipResponse;
  readonly request: SipRequest;
  readonly source: Source;
  /** Where the Node transport would have sent it (RFC 3261 §18.2.2, RFC 3581). */
  readonly destination: Endpoint;
}

/** Bytes sent with {@link FakeTransport.send}. */
export interface SentMessage {
  readonly data: Uint8Array;
  /** `data` parsed back. */
  readonly message: SipMessage;
  readonly destination: Endpoint;
}

/** A client transaction started with {@link FakeTransport.request}. */
export interface SentRequest {
  readonly data: Uint8Array;
  /** `data` parsed back. */
  readonly request: SipRequest;
  readonly destination: Endpoint;
  /** The local socket asked for, when one was. */
  readonly local?: Endpoint;
}

/** A scripted reply: raw response text or bytes, `'timeout'` (Timer F), or an `Error` (transport error). */
export type FakeReply = string | Uint8Array | 'timeout' | Error;

/** Decides the outcome of each client transaction of a {@link FakeTransport}. */
export type FakeResponder = (request: SipRequest, destination: Endpoint, data: Uint8Array) => FakeReply | Promise<FakeReply>;

/** Options of {@link FakeTransport}. */
export interface FakeTransportOptions {
  /** What `endpoints()` reports; the first one is the `local` of delivered requests. @defaultValue `[udp 127.0.0.1:5060]` */
  readonly endpoints?: readonly Endpoint[];
}

function parseOrThrow(data: Uint8Array | string, what: string): SipMessage {
  const parsed = parseSipMessage(data);
  if (!parsed.ok) throw new ConfigError(`FakeTransport: ${what} does not parse: ${parsed.error.reason}`);
  return parsed.message;
}

function parseRequest(data: Uint8Array | string, what: string): SipRequest {
  const message = parseOrThrow(data, what);
  if (message.kind !== 'request') throw new ConfigError(`FakeTransport: ${what} is a response, expected a request`);
  return message;
}

/**
 * An in-memory {@link Transport} for unit tests: inject requests with {@link deliver} (and stray
 * responses with {@link deliverResponse}), script the
 * replies of client transactions with {@link respondWith}, and assert on what was sent
 * ({@link responses}, {@link sent}, {@link requests}, {@link kept}), each parsed back into the
 * message model. Delivered requests get `received`/`rport` in their top Via exactly as with the
 * Node transport (RFC 3261 §18.2.1, RFC 3581 §4).
 *
 * @example
 * ```ts
 * const transport = new FakeTransport();
 * const registrar = createRegistrar({ transport, ... });
 * transport.deliver(buildRegister({ aor: 'sip:alice@example.com' }));
 * const [{ response }] = await transport.waitForResponses(1);
 * expect(response.status).toBe(200);
 *
 * transport.respondWith((request) => buildResponseText(request, 200, 'OK'));
 * ```
 */
export class FakeTransport implements Transport {
  /** Responses sent, oldest first. */
  readonly responses: SentResponse[] = [];
  /** Stateless sends, oldest first. */
  readonly sent: SentMessage[] = [];
  /** Client transactions started, oldest first. */
  readonly requests: SentRequest[] = [];
  /** `keepConnection` calls, oldest first. */
  readonly kept: { readonly source: Source; readonly untilMs: number }[] = [];
  readonly #endpoints: readonly Endpoint[];
  #handler: RequestHandler | undefined;
  #responseHandler: ResponseHandler | undefined;
  #flowClosedHandler: ((connectionId: string) => void) | undefined;
  #responder: FakeResponder = () => 'timeout';
  #waiters: { readonly count: number; readonly resolve: (responses: SentResponse[]) => void }[] = [];
  #closed = false;

  constructor(options: FakeTransportOptions = {}) {
    this.#endpoints = Object.freeze([...(options.endpoints ?? [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }])]);
    if (this.#endpoints.length === 0) throw new ConfigError('FakeTransport: endpoints must not be empty');
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Hand a request to the registered handler as if it arrived from `source` (default: UDP from
   * 127.0.0.1:5070, the default Via of the message builders, to the first endpoint).
   * Returns the request as the handler saw it. Exceptions of the handler propagate.
   * @throws {@link ConfigError} when `raw` is not a parseable request or no handler is registered.
   */
  deliver(raw: string | Uint8Array, source: Partial<Source> = {}): SipRequest {
    const handler = this.#handler;
    if (handler === undefined) throw new ConfigError('FakeTransport.deliver: no handler registered with onRequest');
    const data = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
    const from = this.#source(source);
    const request = stampReceived(parseRequest(data, 'the delivered message'), from.address, from.port);
    handler(request, from, data);
    return request;
  }

  /**
   * Hand a response that matches no client transaction to the {@link onResponse} handler, as if
   * it arrived from `source` (same defaults as {@link deliver}). Returns the parsed response.
   * @throws {@link ConfigError} when `raw` is not a parseable response or no handler is registered.
   */
  deliverResponse(raw: string | Uint8Array, source: Partial<Source> = {}): SipResponse {
    const handler = this.#responseHandler;
    if (handler === undefined) throw new ConfigError('FakeTransport.deliverResponse: no handler registered with onResponse');
    const response = parseOrThrow(raw, 'the delivered response');
    if (response.kind !== 'response') throw new ConfigError('FakeTransport.deliverResponse: the message is a request, expected a response');
    handler(response, this.#source(source));
    return response;
  }

  /** Script the outcome of every later {@link request} (default: every transaction times out). */
  respondWith(responder: FakeResponder): void {
    this.#responder = responder;
  }

  /** Resolves once at least `count` responses were sent in total, with all of them. */
  waitForResponses(count: number): Promise<SentResponse[]> {
    if (this.responses.length >= count) return Promise.resolve(this.responses.slice());
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /**
   * The last response sent.
   * @throws {@link ConfigError} when none was sent.
   */
  lastResponse(): SipResponse {
    const last = this.responses.at(-1);
    if (last === undefined) throw new ConfigError('FakeTransport.lastResponse: no response was sent');
    return last.response;
  }

  async sendResponse(data: Uint8Array, request: SipRequest, source: Source): Promise<void> {
    this.#assertOpen();
    const response = parseOrThrow(data, 'the response sent');
    if (response.kind !== 'response') throw new ConfigError('FakeTransport.sendResponse: data is a request');
    this.responses.push({ data, response, request, source, destination: responseDestination(request, source) });
    const ready = this.#waiters.filter((waiter) => waiter.count <= this.responses.length);
    this.#waiters = this.#waiters.filter((waiter) => waiter.count > this.responses.length);
    for (const waiter of ready) waiter.resolve(this.responses.slice());
  }

  async send(data: Uint8Array, destination: Endpoint): Promise<void> {
    this.#assertOpen();
    this.sent.push({ data, message: parseOrThrow(data, 'the message sent'), destination });
  }

  async request(data: Uint8Array, destination: Endpoint, local?: Endpoint): Promise<TransactionOutcome> {
    this.#assertOpen();
    const request = parseRequest(data, 'the request sent');
    this.requests.push({ data, request, destination, ...(local === undefined ? {} : { local }) });
    const reply = await this.#responder(request, destination, data);
    if (reply === 'timeout') return { kind: 'timeout' };
    if (reply instanceof Error) return { kind: 'transport-error', error: reply };
    const response = parseOrThrow(reply, 'the scripted reply');
    if (response.kind !== 'response') throw new ConfigError('FakeTransport: the scripted reply is a request');
    return { kind: 'response', response };
  }

  keepConnection(source: Source, untilMs: number): void {
    this.kept.push({ source, untilMs });
  }

  onRequest(handler: RequestHandler): void {
    this.#handler = handler;
  }

  onResponse(handler: ResponseHandler): void {
    this.#responseHandler = handler;
  }

  onFlowClosed(handler: (connectionId: string) => void): void {
    this.#flowClosedHandler = handler;
  }

  /** Report a connection as closed, as a real transport does when a TCP/TLS peer goes away. */
  closeFlow(connectionId: string): void {
    if (this.#flowClosedHandler === undefined) throw new ConfigError('FakeTransport.closeFlow: no handler registered with onFlowClosed');
    this.#flowClosedHandler(connectionId);
  }

  endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** A full {@link Source} from the parts a test gave. */
  #source(source: Partial<Source>): Source {
    const local = source.local ?? this.#endpoints[0];
    return {
      protocol: source.protocol ?? local.protocol,
      address: source.address ?? '127.0.0.1',
      port: source.port ?? 5070,
      local,
      ...(source.connectionId === undefined ? {} : { connectionId: source.connectionId }),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigError('FakeTransport is closed');
  }
}
