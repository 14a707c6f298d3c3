import { Buffer } from 'node:buffer';

/**
 * Encodes a start line, header lines and a body as one SIP message (RFC 3261 §7: lines end in
 * CRLF, an empty line separates headers and body). The head is built as one string and encoded
 * once; UTF-8 is a no-op widening for ASCII.
 */
export function encodeMessage(head: string, body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined || body.length === 0) return Buffer.from(head + '\r\n', 'utf8');
  if (typeof body === 'string') return Buffer.from(head + '\r\n' + body, 'utf8');
  const h = Buffer.from(head + '\r\n', 'utf8');
  const out = Buffer.allocUnsafe(h.length + body.length);
  h.copy(out, 0);
  out.set(body, h.length);
  return out;
}

/** Byte length of a body (UTF-8 for strings), for Content-Length (RFC 3261 §20.14). */
export function bodyLength(body: Uint8Array | string | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}
