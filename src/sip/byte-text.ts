import { Buffer, isAscii } from 'node:buffer';

/** `Buffer.prototype.latin1Slice`: a one-byte-per-character owned copy, without argument coercion. */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Shortest substring V8 keeps as a slice of its parent (shorter ones are always copied). */
const MIN_SLICED_LENGTH = 13;

/** A flat copy of `s` that shares no parent string, so keeping it keeps nothing else alive. */
export function ownedCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * A received datagram (RFC 3261 §7) as text. {@link copy} and {@link sub} give owned strings
 * (`latin1Slice` when every octet is ASCII, UTF-8 decoding otherwise) that a store may keep
 * without pinning anything. {@link text} is cheaper: once {@link useHead} has copied the header
 * section out in one piece, it returns substrings of that string, which keep the header section
 * (never the datagram) alive as long as they live.
 */
export class ByteText {
  readonly buf: Latin1Buffer;
  /** True when every octet is below 0x80, so a character index of a copied string is a byte offset. */
  readonly ascii: boolean;
  /** The text of `buf[headStart, headStart + head.length)`, once {@link useHead} made it. */
  #head: string | undefined = undefined;
  #headStart = 0;

  constructor(input: Uint8Array) {
    this.buf = (Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as Latin1Buffer;
    this.ascii = isAscii(this.buf);
  }

  /**
   * Copies `buf[a, b)` (the header section) out as one string that {@link text} then cuts
   * substrings from; nothing when the datagram is not ASCII (a character index would not be a
   * byte offset).
   */
  useHead(a: number, b: number): void {
    if (!this.ascii) return;
    this.#head = this.buf.latin1Slice(a, b);
    this.#headStart = a;
  }

  /** Where the text {@link region} was asked for starts in the string it returned last. */
  regionStart = 0;
  /** Where that text ends in the string. */
  regionEnd = 0;
  /** Byte offset of index 0 of that string when it is the header text (else of the copied range). */
  regionBase = 0;

  /**
   * A string that holds the text of `buf[a, b)` in `[regionStart, regionEnd)`, for parsing in
   * place: the header text when it covers the range (nothing copied), else an owned copy of it.
   */
  region(a: number, b: number): string {
    const head = this.#head;
    const base = this.#headStart;
    if (head !== undefined && a >= base && b <= base + head.length) {
      this.regionStart = a - base;
      this.regionEnd = b - base;
      this.regionBase = base;
      return head;
    }
    const s = this.copy(a, b);
    this.regionStart = 0;
    this.regionEnd = s.length;
    this.regionBase = a;
    return s;
  }

  /** The text of `buf[a, b)`: a substring of the header text when it covers the range, else an owned copy. */
  text(a: number, b: number): string {
    const head = this.#head;
    if (head !== undefined) {
      const base = this.#headStart;
      if (a >= base && b <= base + head.length) return head.slice(a - base, b - base);
    }
    return this.copy(a, b);
  }

  /** The text of `buf[a, b)` as an owned string. */
  copy(a: number, b: number): string {
    return this.ascii ? this.buf.latin1Slice(a, b) : this.buf.toString('utf8', a, b);
  }

  /**
   * `s.slice(start, end)` as an owned string, where `s` is {@link text}`(base, ...)`: long
   * substrings are copied from the bytes again instead of becoming a slice that keeps `s` (or
   * the header text) alive.
   */
  sub(s: string, start: number, end: number, base: number): string {
    if (end - start < MIN_SLICED_LENGTH) return s.slice(start, end);
    if (this.ascii) return this.buf.latin1Slice(base + start, base + end);
    return Buffer.from(s.slice(start, end), 'utf8').toString('utf8');
  }
}
