/**
 * A fixed set of ASCII words (method names, option tags) found by their bytes, so that a parser
 * can reuse one constant string instead of copying the same word out of every datagram.
 */
export class WordTable {
  /** Words by `length * 32 * 32 + (first & 31) * 32 + (last & 31)`. */
  readonly #slots: Map<number, readonly string[]>;

  constructor(words: readonly string[]) {
    const slots = new Map<number, string[]>();
    for (const w of words) {
      const slot = WordTable.#slot(w.length, w.charCodeAt(0), w.charCodeAt(w.length - 1));
      const list = slots.get(slot);
      if (list === undefined) slots.set(slot, [w]);
      else if (!list.includes(w)) list.push(w);
    }
    this.#slots = slots;
  }

  static #slot(len: number, first: number, last: number): number {
    return (len << 10) | ((first & 31) << 5) | (last & 31);
  }

  /** The word equal (byte for byte) to `buf[a, b)`, or undefined. */
  find(buf: Uint8Array, a: number, b: number): string | undefined {
    if (a >= b) return undefined;
    const list = this.#slots.get(WordTable.#slot(b - a, buf[a], buf[b - 1]));
    if (list === undefined) return undefined;
    outer: for (let k = 0; k < list.length; k++) {
      const w = list[k];
      for (let i = 0; i < w.length; i++) if (buf[a + i] !== w.charCodeAt(i)) continue outer;
      return w;
    }
    return undefined;
  }
}
