import type { SipHeader } from './message';
import type { ByteText } from './byte-text';
import { HeaderId, KNOWN_HEADERS, USUAL_SPELLING } from './headers/known-headers';
import { canonicalHeaderName } from './headers/header-names';
import { LINE_STRIDE, LineFrame, frameLines } from './frame-lines';

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
  /**
   * The unfolded values of the lines whose {@link canonicalHeaderName} is `key`, in order, when
   * the parser noted where they are while it read the message (no line framed again);
   * undefined when it did not: ask {@link HeaderLines.keys}.
   */
  noted(key: string): string[] | undefined;
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

  /** Undefined: the lines are at hand, {@link StringHeaderLines.keys} finds them. */
  noted(): undefined {
    return undefined;
  }
}

/** The keys of the lines the scanner notes ({@link ScannedHeaderLines.note}): the credentials an authenticator reads first. */
const NOTED_KEYS: readonly string[] = [KNOWN_HEADERS[HeaderId.authorization][0], KNOWN_HEADERS[HeaderId.proxyAuthorization][0]];

/** Where the value of a noted line is: `text[a, b)` (the datagram, or the joined value of a folded line). */
interface NotedLine {
  readonly key: string;
  readonly text: ByteText;
  readonly a: number;
  readonly b: number;
}

/**
 * Lines of a message that the scanner read from `t.buf`, starting at `linesStart` (after the
 * start line). They are framed again ({@link frameLines}, the same result as during the scan:
 * the bytes are the same) only when asked for, so a message that is never asked for its
 * lines keeps no line index; names and values are copied out (owned strings) then. The
 * credentials lines noted during the scan are copied out alone ({@link ScannedHeaderLines.noted}).
 */
export class ScannedHeaderLines implements HeaderLines {
  readonly #t: ByteText;
  readonly #linesStart: number;
  #index: readonly number[] | undefined;
  #unfolded: readonly ByteText[] | undefined;
  /** The lines noted during the scan, undefined while there is none. */
  #noted: NotedLine[] | undefined;

  constructor(t: ByteText, linesStart: number) {
    this.#t = t;
    this.#linesStart = linesStart;
  }

  /**
   * Notes, during the scan, that a line of `id` (`HeaderId.authorization` or
   * `HeaderId.proxyAuthorization`: RFC 3261 §20.7, §20.28) has its value in `text[a, b)`, so that
   * {@link ScannedHeaderLines.noted} finds the credentials without framing every line again.
   */
  note(id: number, text: ByteText, a: number, b: number): void {
    (this.#noted ??= []).push({ key: KNOWN_HEADERS[id][0], text, a, b });
  }

  /** Owned copies of the values of the noted lines of `key`; undefined for a key that is not noted. */
  noted(key: string): string[] | undefined {
    if (!NOTED_KEYS.includes(key)) return undefined;
    const out: string[] = [];
    const noted = this.#noted;
    if (noted !== undefined) for (let i = 0; i < noted.length; i++) if (noted[i].key === key) out.push(noted[i].text.copy(noted[i].a, noted[i].b));
    return out;
  }

  /** The line index (see {@link LineFrame.index}), framed on first use. */
  #lines(): readonly number[] {
    if (this.#index !== undefined) return this.#index;
    const frame = new LineFrame();
    const framed = frameLines(this.#t.buf, this.#linesStart, frame);
    this.#index = framed ? frame.index : [];
    this.#unfolded = framed ? frame.unfolded : undefined;
    return this.#index;
  }

  value(i: number): string {
    return this.#value(this.#lines(), i * LINE_STRIDE);
  }

  /** The unfolded value of the line at `index[j]`. */
  #value(index: readonly number[], j: number): string {
    const a = index[j + 3];
    if (a >= 0) return this.#t.copy(a, index[j + 4]);
    const u = this.#unfolded![-1 - a];
    return u.copy(0, u.buf.length);
  }

  headers(): SipHeader[] {
    const out: SipHeader[] = [];
    const index = this.#lines();
    for (let j = 0; j < index.length; j += LINE_STRIDE) {
      const code = index[j];
      const name = code >= 0 && (code & USUAL_SPELLING) !== 0 ? KNOWN_HEADERS[code & 0xff][1] : this.#t.copy(index[j + 1], index[j + 2]);
      out.push({ name, value: this.#value(index, j) });
    }
    return out;
  }

  keys(): string[] {
    const out: string[] = [];
    const index = this.#lines();
    for (let j = 0; j < index.length; j += LINE_STRIDE) {
      const code = index[j];
      out.push(code >= 0 ? KNOWN_HEADERS[code & 0xff][0] : canonicalHeaderName(this.#t.copy(index[j + 1], index[j + 2])));
    }
    return out;
  }
}
