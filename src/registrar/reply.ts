import type { Binding } from '../ports/binding';
import type { SipRequest } from '../sip/message';
import { buildResponse } from '../sip/response';
import { responseHead } from '../sip/response-head';
import { encodeMessage } from '../sip/wire';
import type { RegError } from '../errors/reg-error';
import { REG_ERRORS } from '../errors/reg-error';
import { formatQValue } from './contact-values';
import type { SipDate } from './sip-date';

/**
 * One Contact value of a 200 to REGISTER (RFC 3261 §10.3 step 8): the URI, its remaining
 * lifetime in `expires`, the q-value, the outbound/instance parameters and, for bindings
 * behind NAT, the `received` parameter (OpenSIPS `received_param`).
 */
export function formatBindingContact(b: Binding, nowMs: number, receivedParam: string): string {
  let out = `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - nowMs) / 1000))}`;
  if (b.q >= 0) out += `;q=${formatQValue(b.q)}`;
  if (b.instanceId !== undefined) out += `;+sip.instance="${b.instanceId}"`;
  if (b.regId !== undefined) out += `;reg-id=${b.regId}`;
  if (b.params !== undefined) out += b.params;
  if (b.received !== undefined) out += `;${receivedParam}="${b.received}"`;
  return out;
}

/**
 * The 200 OK to a REGISTER listing `bindings` (RFC 3261 §10.3 step 8) in one Contact header
 * with comma-separated values, as OpenSIPS sends (RFC 3261 §7.3.1), with the `Date` the same
 * step asks for (`date`, see {@link SipDate}), plus what the extensions add.
 */
export function buildSaveReply(
  request: SipRequest, bindings: readonly Binding[], nowMs: number, date: string, receivedParam: string, extras?: SaveReplyExtras,
): Uint8Array {
  let head = responseHead(request, 200, 'OK', undefined) + 'Date: ' + date + '\r\n';
  const more = extras?.contactParams;
  for (let i = 0; i < bindings.length; i++) {
    head += (i === 0 ? 'Contact: ' : ', ') + formatBindingContact(bindings[i], nowMs, receivedParam);
    if (more !== undefined) head += more(bindings[i]);
  }
  if (bindings.length > 0) head += '\r\n';
  if (extras?.headers !== undefined) for (const [name, value] of extras.headers) head += `${name}: ${value}\r\n`;
  return encodeMessage(head + 'Content-Length: 0\r\n', undefined);
}

/** What the registrar's extensions add to a 200 to REGISTER (see {@link buildSaveReply}). */
export interface SaveReplyExtras {
  /** Parameters appended to each listed binding's Contact value (`;pub-gruu=...;temp-gruu=...`). */
  readonly contactParams?: (binding: Binding) => string;
  /** Headers after the Contact header (Path, Require: outbound, Flow-Timer, Feature-Caps, Service-Route). */
  readonly headers?: readonly (readonly [string, string])[];
}

/** Status and reason phrase of a {@link RegError}. */
export function regErrorStatus(error: RegError): { status: number; reason: string } {
  const info = REG_ERRORS[error.code];
  return { status: info.status, reason: info.reason };
}

/** No extra headers: one frozen list for every 5xx without `retryAfter`. */
const NO_HEADERS: readonly (readonly [string, string])[] = Object.freeze([]);

/**
 * The headers of a 5xx the registrar's host answers (OpenSIPS registrar `retry_after`, RFC 3261
 * §20.33): `Retry-After: <retryAfter>` when `retryAfter` > 0, else none. {@link buildErrorReply}
 * adds them to the registrar's own 5xx; a server answering 500 for a request that failed under it
 * adds them too.
 */
export function serverErrorHeaders(options: { readonly retryAfter: number }): readonly (readonly [string, string])[] {
  return options.retryAfter > 0 ? [['Retry-After', String(options.retryAfter)]] : NO_HEADERS;
}

const hasRetryAfter = (headers: readonly (readonly [string, string])[]): boolean => headers.some(([name]) => name.toLowerCase() === 'retry-after');

/**
 * The error reply for a refused REGISTER: the table's status and reason, the error's extra
 * headers (`Min-Expires`, `Unsupported`, `Retry-After` ...) and a `P-Registrar-Error` header
 * explaining why, as OpenSIPS sends. With `options`, a 5xx also gets the {@link serverErrorHeaders}
 * (OpenSIPS `retry_after` applies to every 5xx), unless the error brings its own `Retry-After`
 * (a 503 for a store that is away says when to come back).
 */
export function buildErrorReply(request: SipRequest, error: RegError, options?: { readonly retryAfter: number }): Uint8Array {
  const info = REG_ERRORS[error.code];
  const own = error.headers ?? NO_HEADERS;
  const retry = options !== undefined && info.status >= 500 && !hasRetryAfter(own) ? serverErrorHeaders(options) : NO_HEADERS;
  const headers: (readonly [string, string])[] = [...own, ...retry, ['P-Registrar-Error', error.detail ?? info.detail]];
  return buildResponse(request, info.status, info.reason, { headers });
}
