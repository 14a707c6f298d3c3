import type { RequestParts } from '../transactions/send-request';

/** The parts of one REGISTER a registrant sends (RFC 3261 §10.2), each already formatted. */
export interface RegisterRequestParts {
  /** Request-URI: the registrar (RFC 3261 §10.2: the domain of the registrar, no user part). */
  readonly requestUri: string;
  /** A `Route` value for an outbound proxy (RFC 3261 §8.1.2), when one is used. */
  readonly route?: string;
  /** From URI: the AOR, or the third-party registrant (RFC 3261 §10.2 "From"). */
  readonly fromUri: string;
  readonly fromTag: string;
  /** To URI: the AOR. */
  readonly toUri: string;
  readonly callId: string;
  readonly cseq: number;
  /** The Contact value: `<uri>;params;expires=N`, or `*` to remove every binding (RFC 3261 §10.2.2). */
  readonly contact: string;
  /** An `Expires` header, when sent (the wildcard removal needs `Expires: 0`). */
  readonly expires?: number;
  /** '' for none. */
  readonly userAgent: string;
  /** `Authorization` or `Proxy-Authorization` and its value (RFC 3261 §22.2, §22.3). */
  readonly authorization?: readonly [string, string];
}

/** A REGISTER (RFC 3261 §10.2) from its parts, for {@link sendRequest} to add the Via and send. */
export function registerRequest(p: RegisterRequestParts): RequestParts {
  const headers: (readonly [string, string])[] = [];
  if (p.expires !== undefined) headers.push(['Expires', String(p.expires)]);
  if (p.userAgent !== '') headers.push(['User-Agent', p.userAgent]);
  if (p.authorization !== undefined) headers.push(p.authorization);
  return {
    method: 'REGISTER',
    requestUri: p.requestUri,
    routes: p.route === undefined ? undefined : [p.route],
    from: `<${p.fromUri}>;tag=${p.fromTag}`,
    to: `<${p.toUri}>`,
    callId: p.callId,
    cseq: p.cseq,
    contact: p.contact,
    headers,
  };
}
