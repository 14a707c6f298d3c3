/**
 * Framing of the header lines of a SIP message (RFC 3261 §7.3): where each line's name and
 * value are in the datagram, line folding (§7.3.1) undone, the known header names recognised.
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';
import { TOKEN_CHARS, allBytesIn } from './chars';
import { ByteText } from './byte-text';
import { USUAL_SPELLING, knownHeaderId } from './headers/known-headers';

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;

/** Ints per line in {@link LineFrame.index}: known-header code, name start/end, value start/end. */
export const LINE_STRIDE = 5;

/** SP or HTAB (RFC 3261 §25.1 `WSP`). */
export function isWspByte(c: number): boolean {
  return c === SP || c === HT;
}

/** End of `buf[a, b)` without trailing SP/HTAB. */
function trimEnd(buf: Uint8Array, a: number, b: number): number {
  while (b > a && isWspByte(buf[b - 1])) b--;
  return b;
}

/**
 * Joins a folded header value (RFC 3261 §7.3.1): the first line's value `buf[a, b)` and each
 * continuation line, trimmed, separated by one SP. Returns the joined bytes and the LF that
 * ends the last continuation line, or undefined when a line end is missing.
 */
function unfold(buf: Buffer, a: number, b: number, lf: number): { value: ByteText; lf: number } | undefined {
  const parts: Buffer[] = a < b ? [buf.subarray(a, b)] : [];
  const space = Buffer.from(' ', 'latin1');
  while (buf[lf + 1] === SP || buf[lf + 1] === HT) {
    const segStart = lf + 1;
    lf = buf.indexOf(LF, segStart);
    if (lf < 0) return undefined;
    let x = segStart;
    let y = lf > segStart && buf[lf - 1] === CR ? lf - 1 : lf;
    while (x < y && isWspByte(buf[x])) x++;
    y = trimEnd(buf, x, y);
    if (x === y) continue;
    if (parts.length > 0) parts.push(space);
    parts.push(buf.subarray(x, y));
  }
  return { value: new ByteText(Buffer.concat(parts)), lf };
}

/**
 * The framing of one message's header lines: per line `[knownHeaderId code, nameStart, nameEnd,
 * valueStart, valueEnd]` in {@link LineFrame.index}; a folded line (RFC 3261 §7.3.1) has its
 * joined value in {@link LineFrame.unfolded}`[k]` and `valueStart = -1 - k`. A scanner owns one
 * and reuses it from message to message (valid until its next {@link frameLines}).
 */
export class LineFrame {
  /** {@link LINE_STRIDE} ints per line; only the first {@link LineFrame.count} are this message's. */
  readonly index: number[] = [];
  /** Ints written to {@link LineFrame.index}. */
  count = 0;
  /** Index after the blank line that ends the header section. */
  headEnd = 0;
  /** The joined values of folded lines, undefined when there are none. */
  unfolded: ByteText[] | undefined = undefined;
}

/**
 * Frames the header lines from `buf[pos]` into `frame` (RFC 3261 §7.3: names, trimmed values,
 * folding §7.3.1); false = decline.
 */
export function frameLines(buf: Buffer, pos: number, frame: LineFrame): boolean {
  const index = frame.index;
  let unfolded: ByteText[] | undefined;
  let k = 0;
  for (;;) {
    let lf = buf.indexOf(LF, pos);
    if (lf < 0) return false;
    let end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    if (end === pos) {
      frame.count = k;
      frame.headEnd = lf + 1;
      frame.unfolded = unfolded;
      return true;
    }
    let colon = pos;
    while (colon < end && buf[colon] !== 0x3a) colon++;
    if (colon === end) return false;
    const nameEnd = trimEnd(buf, pos, colon);
    const code = knownHeaderId(buf, pos, nameEnd);
    // the usual spelling is a token; anything else (compact, other case, unknown) is checked
    if ((code < 0 || (code & USUAL_SPELLING) === 0) && !allBytesIn(TOKEN_CHARS, buf, pos, nameEnd)) return false;
    let i = colon + 1;
    while (i < end && isWspByte(buf[i])) i++;
    end = trimEnd(buf, i, end);
    let valueStart = i;
    if (buf[lf + 1] === SP || buf[lf + 1] === HT) {
      const folded = unfold(buf, i, end, lf);
      if (folded === undefined) return false;
      lf = folded.lf;
      (unfolded ??= []).push(folded.value);
      valueStart = -unfolded.length;
      end = folded.value.buf.length;
    }
    index[k] = code;
    index[k + 1] = pos;
    index[k + 2] = nameEnd;
    index[k + 3] = valueStart;
    index[k + 4] = end;
    k += LINE_STRIDE;
    pos = lf + 1;
  }
}
