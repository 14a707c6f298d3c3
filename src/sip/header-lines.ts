import type { SipHeader } from './message';
import type { ByteText } from './byte-text';
import { KNOWN_HEADERS, USUAL_SPELLING } from './headers/known-headers';
import { canonicalHeaderName } from './headers/header-names';

/**
 * The header field lines of one message (RFC 3261 §7.3), materialised on demand: the message
 * model asks for them only when `headers`, `header()` or `headerAll()` is first read.
 */
export interface HeaderLines {
  /** Every line as `{ name as on the wire, unfolded value }`, in order. */
  headers(): SipHeader[];
  /** {@link canonicalHeaderName} of each line, in the same order. */
  keys(): string[];
  /** The unfolded value of line `i` (one line, without materialising the others). */
  value(i: number): string;
}

/** Lines that a parser already holds as strings (the grammar tier). */
export class StringHeaderLines implements HeaderLines {
  readonly #headers: SipHeader[];
  readonly #keys: string[];

  constructor(headers: SipHeader[], keys: string[]) {
    this.#headers = headers;
    this.#keys = keys;
  }

  headers(): SipHeader[] {
    return this.#headers;
  }

  keys(): string[] {
    return this.#keys;
  }

  value(i: number): string {
    return this.#headers[i].value;
  }
}

/** Ints per line in {@link ScannedHeaderLines}: known-header code, name start/end, value start/end. */
export const LINE_STRIDE = 5;

/**
 * Lines that the scanner indexed by byte offsets into the datagram: each line is
 * `[knownHeaderId code, nameStart, nameEnd, valueStart, valueEnd]`. A folded line (RFC 3261
 * §7.3.1) has its unfolded value in `unfolded[k]` and `valueStart = -1 - k`. Names and values
 * are copied out (owned strings) only when asked for.
 */
export class ScannedHeaderLines implements HeaderLines {
  readonly #t: ByteText;
  readonly #index: readonly number[];
  readonly #unfolded: readonly ByteText[] | undefined;

  constructor(t: ByteText, index: readonly number[], unfolded: readonly ByteText[] | undefined) {
    this.#t = t;
    this.#index = index;
    this.#unfolded = unfolded;
  }

  value(i: number): string {
    return this.#value(i * LINE_STRIDE);
  }

  /** The unfolded value of the line at `index[j]`. */
  #value(j: number): string {
    const a = this.#index[j + 3];
    if (a >= 0) return this.#t.copy(a, this.#index[j + 4]);
    const u = this.#unfolded![-1 - a];
    return u.copy(0, u.buf.length);
  }

  headers(): SipHeader[] {
    const out: SipHeader[] = [];
    const index = this.#index;
    for (let j = 0; j < index.length; j += LINE_STRIDE) {
      const code = index[j];
      const name = code >= 0 && (code & USUAL_SPELLING) !== 0 ? KNOWN_HEADERS[code & 0xff][1] : this.#t.copy(index[j + 1], index[j + 2]);
      out.push({ name, value: this.#value(j) });
    }
    return out;
  }

  keys(): string[] {
    const out: string[] = [];
    const index = this.#index;
    for (let j = 0; j < index.length; j += LINE_STRIDE) {
      const code = index[j];
      out.push(code >= 0 ? KNOWN_HEADERS[code & 0xff][0] : canonicalHeaderName(this.#t.copy(index[j + 1], index[j + 2])));
    }
    return out;
  }
}
