const CR = 13;
const LF = 10;
const COLON = 58;

/** What a {@link StreamFramer} found in the bytes pushed to it. */
export interface FrameSink {
  /** One complete SIP message (head and `Content-Length` body). The view is never written to. */
  message(bytes: Uint8Array): void;
  /** A double-CRLF keep-alive ping (RFC 5626 §3.5.1); answer with a single CRLF pong. */
  ping(): void;
  /**
   * The complete head of a message whose `Content-Length` takes it beyond `maxMessageBytes`,
   * reported just before `push` returns `'too-large'`, so that the request can be answered
   * `513 Message Too Large` (RFC 3261 §21.5.7). Not called when the head alone is too large.
   */
  oversized?(head: Uint8Array): void;
}

/** Why a stream must be closed: it can no longer be framed. */
export type FramingError = 'too-large' | 'bad-content-length';

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/** Case-insensitive match of the lower-case ASCII `name` at `bytes[at]`. */
function matchesName(bytes: Uint8Array, at: number, end: number, name: string): boolean {
  if (end - at < name.length) return false;
  for (let k = 0; k < name.length; k++) {
    if ((bytes[at + k] | 0x20) !== name.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * The `Content-Length` (or compact `l`, RFC 3261 §7.3.3) of the head `bytes[start, end)`, scanned
 * line by line without decoding. Returns `0` when absent and `-1` when the value is not a number.
 */
function contentLength(bytes: Uint8Array, start: number, end: number): number {
  let line = start;
  while (line < end) {
    let eol = line;
    while (eol < end && bytes[eol] !== LF) eol++;
    const first = bytes[line] | 0x20;
    let nameEnd = -1;
    if (first === 0x63 /* c */ && matchesName(bytes, line, eol, 'content-length')) nameEnd = line + 14;
    else if (first === 0x6c /* l */) nameEnd = line + 1;
    if (nameEnd >= 0) {
      let at = nameEnd;
      while (at < eol && isSpace(bytes[at])) at++;
      if (at < eol && bytes[at] === COLON) {
        at++;
        while (at < eol && isSpace(bytes[at])) at++;
        let value = 0;
        let digits = 0;
        while (at < eol && bytes[at] >= 48 && bytes[at] <= 57 && digits < 10) {
          value = value * 10 + (bytes[at] - 48);
          at++;
          digits++;
        }
        while (at < eol && (isSpace(bytes[at]) || bytes[at] === CR)) at++;
        return digits === 0 || at !== eol ? -1 : value;
      }
    }
    line = eol + 1;
  }
  return 0;
}

/**
 * Frames SIP messages on a byte stream (RFC 3261 §18.3): a message is its head up to the empty
 * line plus `Content-Length` body bytes. Handles messages split over reads and several messages in
 * one read; CRLFs between messages are skipped (RFC 3261 §7.5) and a double CRLF is reported as a
 * keep-alive ping (RFC 5626 §3.5.1). A head or message larger than `maxMessageBytes` is refused
 * before it is buffered whole, so a peer cannot make the server hold unbounded data.
 *
 * @example
 * ```ts
 * const framer = new StreamFramer(65536);
 * socket.on('data', (chunk) => {
 *   const error = framer.push(chunk, { message: handle, ping: () => socket.write('\r\n') });
 *   if (error) socket.destroy();
 * });
 * ```
 */
export class StreamFramer {
  private readonly maxMessageBytes: number;
  private pending: Buffer | undefined;
  /** Where to resume looking for the end of the head in `pending`. */
  private scanFrom = 0;

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * True while bytes of an incomplete message (or keep-alive) are held: the time its sender takes
   * to finish it is what a message deadline (OpenSIPS `tcp_max_msg_time`) bounds.
   */
  get buffering(): boolean {
    return this.pending !== undefined;
  }

  /** Feed one read. Returns a {@link FramingError} when the stream must be closed. */
  push(chunk: Buffer, sink: FrameSink): FramingError | undefined {
    const bytes = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const length = bytes.length;
    let offset = 0;
    let error: FramingError | undefined;
    for (;;) {
      offset = this.skipKeepAlives(bytes, offset, sink);
      if (offset >= length || bytes[offset] === CR || bytes[offset] === LF) break;
      const headEnd = bytes.indexOf('\r\n\r\n', Math.max(offset, this.scanFrom));
      if (headEnd < 0) {
        if (length - offset > this.maxMessageBytes) error = 'too-large';
        this.scanFrom = Math.max(offset, length - 3);
        break;
      }
      const bodyLength = contentLength(bytes, offset, headEnd + 2);
      if (bodyLength < 0) {
        error = 'bad-content-length';
        break;
      }
      const total = headEnd + 4 - offset + bodyLength;
      if (total > this.maxMessageBytes) {
        if (headEnd + 4 - offset <= this.maxMessageBytes) sink.oversized?.(bytes.subarray(offset, headEnd + 4));
        error = 'too-large';
        break;
      }
      if (offset + total > length) {
        this.scanFrom = headEnd;
        break;
      }
      this.scanFrom = 0;
      sink.message(bytes.subarray(offset, offset + total));
      offset += total;
    }
    if (error !== undefined) {
      this.pending = undefined;
      return error;
    }
    if (offset >= length) {
      this.pending = undefined;
      this.scanFrom = 0;
    } else {
      this.pending = bytes.subarray(offset);
      this.scanFrom = Math.max(0, this.scanFrom - offset);
    }
    return undefined;
  }

  /**
   * Skip CRLFs before a start line, reporting each double CRLF as a ping. Stops (without consuming)
   * at a CR/LF run that might still become a ping when more bytes arrive.
   */
  private skipKeepAlives(bytes: Buffer, offset: number, sink: FrameSink): number {
    const length = bytes.length;
    while (offset < length && (bytes[offset] === CR || bytes[offset] === LF)) {
      if (bytes[offset] === CR && bytes[offset + 1] === LF && bytes[offset + 2] === CR && bytes[offset + 3] === LF) {
        sink.ping();
        offset += 4;
      } else if (bytes[offset] === CR && offset + 3 >= length) {
        break;
      } else {
        offset += bytes[offset] === CR && bytes[offset + 1] === LF ? 2 : 1;
      }
    }
    return offset;
  }
}
