import type { SipMessage, SipRequest } from './message';
import { canonicalHeaderName } from './headers/header-names';
import { splitHeaderValues } from './headers/split-values';
import { encodeMessage } from './wire';

/** Changes applied by {@link serializeRequest} when forwarding statelessly (RFC 3261 §16.6). */
export interface ForwardChanges {
  /** New Request-URI (§16.6 step 2). @defaultValue the received one */
  readonly uri?: string;
  /** A Via value to put on top (§16.6 step 8). @defaultValue none */
  readonly prependVia?: string;
  /** Remove the first Route value (§16.4 loose routing, §16.12). @defaultValue false */
  readonly removeTopRoute?: boolean;
  /** Max-Forwards value to set or add (§16.6 step 3). @defaultValue unchanged */
  readonly maxForwards?: number;
  /** Route values to put in front of the received ones (a Path route set, RFC 3327 §5.3). @defaultValue [] */
  readonly prependRoute?: readonly string[];
  /** A Record-Route value to put in front of the received ones (§16.6 step 4). @defaultValue none */
  readonly prependRecordRoute?: string;
  /** Header lines to add after the received ones. @defaultValue [] */
  readonly extraHeaders?: readonly (readonly [string, string])[];
  /**
   * Headers to rewrite (a mid-registrar's Contact and Expires): every received line of each
   * name (compact forms included) is dropped and the given values, one line each, stand where
   * the first was, or after the received headers when there was none. @defaultValue []
   */
  readonly replaceHeaders?: readonly (readonly [name: string, values: readonly string[]])[];
}

/** The header lines of a `replaceHeaders` entry the first time it is written, then nothing. */
function replacementLines(r: { readonly name: string; readonly values: readonly string[]; written: boolean }): string {
  if (r.written) return '';
  r.written = true;
  let lines = '';
  for (const v of r.values) lines += r.name + ': ' + v + '\r\n';
  return lines;
}

function startLine(m: SipMessage, uri?: string): string {
  return m.kind === 'request' ? m.method + ' ' + (uri ?? m.uri) + ' SIP/2.0\r\n' : 'SIP/2.0 ' + m.status + ' ' + m.reason + '\r\n';
}

/**
 * The message back on the wire as received (RFC 3261 §7): start line, every header line with
 * its name as sent and its unfolded value, then the body. `parseSipMessage(serializeMessage(m))`
 * yields the same fields as `m`. With `removeTopVia` the first Via value is dropped, as a
 * proxy relaying a response does (RFC 3261 §16.7 step 9, §16.11); `extraHeaders` are added
 * after the received ones (the challenges a forking proxy collects, §16.7 step 7).
 */
export function serializeMessage(
  message: SipMessage, options?: { readonly removeTopVia?: boolean; readonly extraHeaders?: readonly (readonly [string, string])[] },
): Uint8Array {
  let head = startLine(message);
  const headers = message.headers;
  let viaPending = options?.removeTopVia === true;
  for (let i = 0; i < headers.length; i++) {
    const { name, value } = headers[i];
    if (viaPending && canonicalHeaderName(name) === 'via') {
      viaPending = false;
      const rest = (splitHeaderValues(value) ?? [value]).slice(1);
      if (rest.length > 0) head += name + ': ' + rest.join(', ') + '\r\n';
      continue;
    }
    head += name + ': ' + value + '\r\n';
  }
  const extra = options?.extraHeaders;
  if (extra !== undefined) for (const [name, value] of extra) head += name + ': ' + value + '\r\n';
  return encodeMessage(head, message.body);
}

/**
 * Re-emits a request for stateless forwarding (RFC 3261 §16.6, §16.11) with `changes`: new
 * Request-URI, a new top Via, the top Route value removed, Max-Forwards set, headers rewritten,
 * extra headers.
 * Content-Length is always rewritten to the body length (§20.14, required on streams).
 */
export function serializeRequest(request: SipRequest, changes?: ForwardChanges): Uint8Array {
  let head = startLine(request, changes?.uri);
  if (changes?.prependVia !== undefined) head += 'Via: ' + changes.prependVia + '\r\n';
  const routes = changes?.prependRoute;
  if (routes !== undefined && routes.length > 0) head += 'Route: ' + routes.join(', ') + '\r\n';
  if (changes?.prependRecordRoute !== undefined) head += 'Record-Route: ' + changes.prependRecordRoute + '\r\n';
  let routePending = changes?.removeTopRoute === true;
  let maxForwardsPending = changes?.maxForwards !== undefined;
  const replace = changes?.replaceHeaders;
  const replaced = replace === undefined ? undefined : new Map(replace.map(([name, values]) => [canonicalHeaderName(name), { name, values, written: false }]));
  for (const { name, value } of request.headers) {
    const key = canonicalHeaderName(name);
    if (key === 'content-length') continue;
    const replacement = replaced?.get(key);
    if (replacement !== undefined) {
      head += replacementLines(replacement);
      continue;
    }
    if (key === 'max-forwards' && changes?.maxForwards !== undefined) {
      if (maxForwardsPending) head += name + ': ' + changes.maxForwards + '\r\n';
      maxForwardsPending = false;
      continue;
    }
    if (key === 'route' && routePending) {
      routePending = false;
      const rest = (splitHeaderValues(value) ?? [value]).slice(1);
      if (rest.length > 0) head += name + ': ' + rest.join(', ') + '\r\n';
      continue;
    }
    head += name + ': ' + value + '\r\n';
  }
  if (maxForwardsPending) head += 'Max-Forwards: ' + changes!.maxForwards + '\r\n';
  if (replaced !== undefined) for (const r of replaced.values()) head += replacementLines(r);
  const extra = changes?.extraHeaders;
  if (extra !== undefined) for (const [name, value] of extra) head += name + ': ' + value + '\r\n';
  head += 'Content-Length: ' + request.body.length + '\r\n';
  return encodeMessage(head, request.body);
}
