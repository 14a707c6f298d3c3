import type { DigestAlgorithm } from '../ports/credential-store';
import { digestHash } from './digest-hash';

/** What a digest `response` is computed from (RFC 7616 §3.4.1-§3.4.3, RFC 3261 §22.4). */
export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** The `-sess` variant: HA1 becomes `H(HA1 ":" nonce ":" cnonce)` (RFC 7616 §3.4.2). */
  readonly sess: boolean;
  /** `H(username ":" realm ":" password)` in lower-case hex (RFC 7616 §3.4.2). */
  readonly ha1: string;
  readonly nonce: string;
  /** `auth`, `auth-int` (the body is signed, §3.4.3), or '' for the RFC 2069 form without qop. */
  readonly qop: 'auth' | 'auth-int' | '';
  /** The nonce count as sent, 8 hex digits (`nc-value`); unused without qop. */
  readonly nc: string;
  /** The client nonce; unused without qop unless `sess`. */
  readonly cnonce: string;
  readonly method: string;
  /** The `uri` parameter (`digest-uri`, the Request-URI in SIP). */
  readonly uri: string;
  /** The message body, which qop `auth-int` signs; empty by default. */
  readonly body?: Uint8Array | string;
  /** {@link digestHa2} of this input when the caller already has it; computed otherwise. */
  readonly ha2?: string;
}

/**
 * `HA2 = H(method ":" uri)`, or `H(method ":" uri ":" H(body))` for qop `auth-int`
 * (RFC 7616 §3.4.3). It holds no secret: a server may reuse it for requests with the same
 * method and Request-URI (the REGISTERs of a domain).
 */
export function digestHa2(input: Pick<DigestResponseInput, 'algorithm' | 'qop' | 'method' | 'uri' | 'body'>): string {
  const { algorithm } = input;
  return digestHash(algorithm, input.qop === 'auth-int' ? `${input.method}:${input.uri}:${digestHash(algorithm, input.body ?? '')}` : `${input.method}:${input.uri}`);
}

/**
 * The `response` (`request-digest`) for `input`, in lower-case hex (RFC 7616 §3.4.1): with a qop,
 * `H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)`; without, RFC 2069's `H(HA1 ":" nonce ":" HA2)`,
 * HA2 as {@link digestHa2}. The one formula both the client (registrant) and the server (digest
 * authenticator) use.
 */
export function digestResponse(input: DigestResponseInput): string {
  const { algorithm, nonce, qop } = input;
  const ha1 = input.sess ? digestHash(algorithm, `${input.ha1}:${nonce}:${input.cnonce}`) : input.ha1;
  const ha2 = input.ha2 ?? digestHa2(input);
  return digestHash(algorithm, qop === '' ? `${ha1}:${nonce}:${ha2}` : `${ha1}:${nonce}:${input.nc}:${input.cnonce}:${qop}:${ha2}`);
}

/**
 * True when `given` (a received `response` parameter) is the response {@link digestResponse}
 * computes for `input` (RFC 7616 §3.4.1), compared in constant time (§5.12 on timing): every
 * character is compared, with no early exit (the length of a digest is public).
 */
export function verifyResponse(input: DigestResponseInput, given: string): boolean {
  const expected = digestResponse(input);
  if (expected.length !== given.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return difference === 0;
}
