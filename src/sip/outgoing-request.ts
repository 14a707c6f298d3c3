import { encodeMessage, bodyLength } from './wire';

/** The parts of a request a component sends on its own (RFC 3261 §8.1.1), each already formatted. */
export interface OutgoingRequest {
  readonly method: string;
  readonly requestUri: string;
  /** The whole top Via value, with its branch. */
  readonly via: string;
  /** `Route` values, in order (an outbound proxy, or a dialog's route set, RFC 3261 §12.2.1.1). */
  readonly routes?: readonly string[];
  /** The whole From and To values (`<uri>;tag=…`). */
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  /** A Contact value (`<uri>`), when the method needs one. */
  readonly contact?: string;
  /** Other header fields, in order. */
  readonly headers?: readonly (readonly [string, string])[];
  /** The body and its Content-Type. */
  readonly body?: { readonly type: string; readonly text: string };
}

/** The wire bytes of a request built from its parts (RFC 3261 §7.1), concatenated once. */
export function outgoingRequest(r: OutgoingRequest): Uint8Array {
  let head = `${r.method} ${r.requestUri} SIP/2.0\r\nVia: ${r.via}\r\nMax-Forwards: 70\r\n`;
  for (const route of r.routes ?? []) head += `Route: ${route}\r\n`;
  head += `From: ${r.from}\r\nTo: ${r.to}\r\nCall-ID: ${r.callId}\r\nCSeq: ${r.cseq} ${r.method}\r\n`;
  if (r.contact !== undefined) head += `Contact: ${r.contact}\r\n`;
  for (const [name, value] of r.headers ?? []) head += `${name}: ${value}\r\n`;
  if (r.body !== undefined) head += `Content-Type: ${r.body.type}\r\n`;
  return encodeMessage(`${head}Content-Length: ${bodyLength(r.body?.text)}\r\n`, r.body?.text);
}
