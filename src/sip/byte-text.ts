import { Buffer, isAscii } from 'node:buffer';

/** `Buffer.prototype.latin1Slice`: a one-byte-per-character owned copy, without argument coercion. */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Shortest substring V8 keeps as a slice of its parent (shorter ones are always copied). */
const MIN_SLICED_LENGTH = 13;

/**
 * A received datagram (RFC 3261 §7) as text: strings are copied out of the bytes
 * (`latin1Slice` when every octet is ASCII, UTF-8 decoding otherwise), never V8 sliced
 * strings of a larger string, so a store may keep them without pinning the message.
 */
export class ByteText {
  readonly buf: Latin1Buffer;
  /** True when every octet is below 0x80, so a character index of a copied string is a byte offset. */
  readonly ascii: boolean;

  constructor(input: Uint8Array) {
    this.buf = (Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as Latin1Buffer;
    this.ascii = isAscii(this.buf);
  }

  /** The text of `buf[a, b)` as an owned string. */
  text(a: number, b: number): string {
    return this.ascii ? this.buf.latin1Slice(a, b) : this.buf.toString('utf8', a, b);
  }

  /**
   * `s.slice(start, end)` as an owned string, where `s` is {@link text}`(base, ...)`: long
   * substrings are copied from the bytes again instead of becoming a slice that keeps `s` alive.
   */
  sub(s: string, start: number, end: number, base: number): string {
    if (end - start < MIN_SLICED_LENGTH) return s.slice(start, end);
    if (this.ascii) return this.buf.latin1Slice(base + start, base + end);
    return Buffer.from(s.slice(start, end), 'utf8').toString('utf8');
  }
}
