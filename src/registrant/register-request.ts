import { encodeMessage } from '../sip/wire';

/** The parts of one REGISTER a registrant sends (RFC 3261 §10.2), each already formatted. */
export interface RegisterRequestParts {
  /** Request-URI: the registrar (RFC 3261 §10.2: the domain of the registrar, no user part). */
  readonly requestUri: string;
  /** The whole top Via value, with its branch. */
  readonly via: string;
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

/** The wire bytes of a REGISTER (RFC 3261 §10.2) built from its parts, concatenated once. */
export function registerRequest(p: RegisterRequestParts): Uint8Array {
  let head = `REGISTER ${p.requestUri} SIP/2.0\r\nVia: ${p.via}\r\nMax-Forwards: 70\r\n`;
  if (p.route !== undefined) head += `Route: ${p.route}\r\n`;
  head += `From: <${p.fromUri}>;tag=${p.fromTag}\r\nTo: <${p.toUri}>\r\nCall-ID: ${p.callId}\r\nCSeq: ${p.cseq} REGISTER\r\nContact: ${p.contact}\r\n`;
  if (p.expires !== undefined) head += `Expires: ${p.expires}\r\n`;
  if (p.userAgent !== '') head += `User-Agent: ${p.userAgent}\r\n`;
  if (p.authorization !== undefined) head += `${p.authorization[0]}: ${p.authorization[1]}\r\n`;
  return encodeMessage(head + 'Content-Length: 0\r\n', undefined);
}
