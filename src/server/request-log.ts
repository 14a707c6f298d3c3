import { performance } from 'node:perf_hooks';
import type { Logger } from '../ports/logger';
import type { Endpoint, Source } from '../ports/transport';
import type { SipRequest, SipResponse } from '../sip/message';
import { formatEndpoint } from '../sip/socket-address';
import { statusOf } from '../sip/status-of';

/**
 * The debug request log of the registrar server: one structured entry per request received (or
 * dropped by the source guard), per response sent, per request forwarded and per response relayed, with the method, the AOR (To
 * URI), the source `proto:ip:port`, the Call-ID, the status and the milliseconds since the request
 * arrived. Only those fields are logged: never a header such as Authorization, nor a body.
 *
 * Every method first asks {@link Logger.isLevelEnabled} (a pino logger's own check), so with
 * debug off nothing is built: no timestamp, no object, no string.
 */
export class RequestLog {
  readonly #logger: Logger;
  /** When each traced request arrived (`performance.now()`), to report the time taken. */
  readonly #started = new WeakMap<SipRequest, number>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Whether the logger writes debug entries now (a logger without `isLevelEnabled` filters itself). */
  get enabled(): boolean {
    return this.#logger.isLevelEnabled?.('debug') ?? true;
  }

  /** `request received`: remembers when, for the entries that follow. */
  received(request: SipRequest, source: Source): void {
    if (!this.enabled) return;
    this.#started.set(request, performance.now());
    this.#logger.debug({ method: request.method, aor: request.to.uri, source: formatEndpoint(source), callId: request.callId, cseq: request.cseq.seq }, 'request received');
  }

  /** `request dropped` unanswered, with the `reason` (the source guard's verdict: `banned`, `rate-limited`). */
  dropped(request: SipRequest, source: Source, reason: string): void {
    if (!this.enabled) return;
    this.#logger.debug({ method: request.method, aor: request.to.uri, source: formatEndpoint(source), callId: request.callId, reason }, 'request dropped');
  }

  /** `response sent`: `data` is the serialized response to `request`. */
  responded(request: SipRequest, source: Source, data: Uint8Array): void {
    if (!this.enabled) return;
    this.#logger.debug({ method: request.method, aor: request.to.uri, source: formatEndpoint(source), callId: request.callId, status: statusOf(data), ms: this.#elapsed(request) }, 'response sent');
  }

  /** `request answered`: a component (reg-event) replied to the request itself. */
  answered(request: SipRequest, source: Source): void {
    if (!this.enabled) return;
    this.#logger.debug({ method: request.method, aor: request.to.uri, source: formatEndpoint(source), callId: request.callId, ms: this.#elapsed(request) }, 'request answered');
  }

  /** `request forwarded` to the next hop `destination`. */
  forwarded(request: SipRequest, source: Source, destination: Endpoint): void {
    if (!this.enabled) return;
    this.#logger.debug({ method: request.method, aor: request.to.uri, source: formatEndpoint(source), callId: request.callId, destination: formatEndpoint(destination), ms: this.#elapsed(request) }, 'request forwarded');
  }

  /** `response relayed` back towards `destination` (its Via). */
  relayed(response: SipResponse, destination: Endpoint): void {
    if (!this.enabled) return;
    this.#logger.debug({ method: response.cseq.method, aor: response.to.uri, destination: formatEndpoint(destination), callId: response.callId, status: response.status }, 'response relayed');
  }

  #elapsed(request: SipRequest): number | undefined {
    const started = this.#started.get(request);
    return started === undefined ? undefined : Math.round((performance.now() - started) * 1000) / 1000;
  }
}
