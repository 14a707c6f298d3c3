import { isIP } from 'node:net';

/** RFC 5389 §6: the magic cookie in bytes 4–7 of every STUN message. */
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
/** RFC 5389 §15.2. */
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER_BYTES = 20;

/**
 * Whether a datagram is a STUN Binding request (RFC 5389 §6): the two top bits 0, the magic
 * cookie, a length that matches. A SIP message never starts with byte 0 or 1 (RFC 5626 §3.5.2:
 * STUN and SIP share the flow and are told apart this way).
 */
export function isStunBindingRequest(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES || bytes[0] > 1) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint16(0) === BINDING_REQUEST && view.getUint32(4) === MAGIC_COOKIE && view.getUint16(2) + HEADER_BYTES === bytes.length;
}

/**
 * The Binding success response to a UA's STUN keep-alive (RFC 5626 §4.4.2 and §8, RFC 5389
 * §7.3.1): the request's transaction id and an XOR-MAPPED-ADDRESS of where it came from
 * (`address`, `port`: the reflexive address a NAT gave the flow), so the UA sees its flow alive
 * and notices when the mapping changed.
 */
export function stunBindingSuccess(request: Uint8Array, address: string, port: number): Uint8Array {
  const v6 = isIP(address) === 6;
  const addressBytes = v6 ? 16 : 4;
  const out = new Uint8Array(HEADER_BYTES + 8 + addressBytes);
  const view = new DataView(out.buffer);
  view.setUint16(0, BINDING_SUCCESS);
  view.setUint16(2, 8 + addressBytes);
  view.setUint32(4, MAGIC_COOKIE);
  out.set(request.subarray(8, HEADER_BYTES), 8);
  view.setUint16(20, XOR_MAPPED_ADDRESS);
  view.setUint16(22, 4 + addressBytes);
  view.setUint8(25, v6 ? 0x02 : 0x01);
  view.setUint16(26, port ^ (MAGIC_COOKIE >>> 16));
  const raw = v6 ? ipv6Bytes(address) : Uint8Array.from(address.split('.').map(Number));
  // X-Address: XOR with the magic cookie, then (IPv6) the transaction id (RFC 5389 §15.2).
  for (let i = 0; i < addressBytes; i++) out[28 + i] = raw[i] ^ out[4 + i];
  return out;
}

/** The 16 bytes of an IPv6 address (`::` expanded; an IPv4-mapped tail read as four bytes). */
function ipv6Bytes(address: string): Uint8Array {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.')
    ? (([a, b, c, d]) => [(a << 8) | b, (c << 8) | d])(g.split('.').map(Number))
    : [parseInt(g, 16)])));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}
