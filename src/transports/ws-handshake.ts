import type { Duplex } from 'node:stream';

/** The WebSocket subprotocol of SIP (RFC 7118 §4, registered in the IANA WebSocket Subprotocol Name Registry). */
export const SIP_SUBPROTOCOL = 'sip';

/**
 * Whether a `Sec-WebSocket-Protocol` request header offers the `sip` subprotocol (RFC 7118 §4:
 * the client MUST include `sip` in its handshake; RFC 6455 §4.1: a comma-separated list of
 * case-sensitive tokens, possibly in several header lines, which Node joins with commas).
 */
export function offersSipSubprotocol(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((token) => token.trim() === SIP_SUBPROTOCOL);
}

/**
 * Refuse a WebSocket opening handshake (RFC 6455 §4.2.2): write an HTTP response with `status`
 * and `reason` as a plain-text body, then close the socket once it is written.
 */
export function refuseHandshake(socket: Duplex, status: number, statusText: string, reason: string): void {
  const head = [
    `HTTP/1.1 ${status} ${statusText}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(reason)}`,
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${reason}`);
}
