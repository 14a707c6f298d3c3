import type { NonceId } from './nonce-signer';
import { countNonce } from './nonce-window';

/** What the table needs of the signer: the sequence of the nonces it issued. */
export interface NonceSequence {
  /** The high word of the signer's sequence numbers, random per signer. */
  readonly seqHigh: number;
  /** The low word of the last sequence number it issued. */
  readonly seqLow: number;
}

/**
 * Words per slot: its state; the nonce's issue time (two words), sequence low word and MAC (four
 * words); the fingerprint of its realm and source; then its {@link countNonce} window, whose
 * highest count is 0 until the first count.
 */
const STRIDE = 12;
const STATE = 0;
const TIME = 1;
const SEQ = 3;
const MAC = 4;
const SCOPE = 8;
const WINDOW = 9;
/** {@link STATE} of a slot holding a nonce issued here (a slot never written holds 0). */
const HELD = 1;

/**
 * The nonces one signer issued, the last `capacity` of them, with their nonce counts (RFC 7616
 * §3.4 and §5.5; Kamailio `nonce_count`, whose `nc_array` is indexed the same way by the nonce
 * id): a slot per sequence number modulo the capacity, in one typed array, so a nonce costs no
 * allocation and no garbage, and the memory is fixed (48 bytes a slot). A sequence number maps to
 * the slot of no other one among the last `capacity`; an older nonce of this signer, whose slot
 * may have been taken since, is answered as a replay (stale) however it is counted, as Kamailio
 * answers a nonce id older than its array.
 *
 * A slot keeps the nonce's bytes and a 32-bit fingerprint (FNV-1a) of the realm and source it was
 * signed for. {@link find} answers true for a request whose nonce is byte for byte one issued here
 * (RFC 7616 §5.4: the server may remember the nonces it issued) for the same realm and source: its
 * HMAC need not be checked again. Anything else is checked in full; a fingerprint collision only
 * skips the HMAC of a nonce issued here, and the response still has to be right.
 */
export class IssuedNonceCounts {
  readonly #words: Uint32Array;
  readonly #mask: number;
  readonly #sequence: NonceSequence;

  /**
   * @param capacity - The nonces tracked, rounded up to a power of two: the last ones issued.
   * @param sequence - The signer whose nonces these are.
   */
  constructor(capacity: number, sequence: NonceSequence) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    this.#words = new Uint32Array(slots * STRIDE);
    this.#mask = slots - 1;
    this.#sequence = sequence;
  }

  /** True when `id` names a nonce of this signer (whether or not still tracked): its counts are kept here or nowhere. */
  owns(id: NonceId): boolean {
    return id.seqHigh === this.#sequence.seqHigh;
  }

  /** Note `id`, which the signer just issued for `realm` and `address` (undefined when not bound): no count yet. */
  issued(id: NonceId, realm: string, address: string | undefined): void {
    const at = this.#slot(id);
    if (at >= 0) this.#hold(at, id, scope(realm, address), 0);
  }

  /** True when `id` is byte for byte a nonce issued here for `realm` and `address`, and still tracked. */
  find(id: NonceId, realm: string, address: string | undefined): boolean {
    const at = this.#slot(id);
    const w = this.#words;
    return at >= 0 && w[at + STATE] === HELD && w[at + SEQ] === id.seqLow && w[at + TIME] === id.timeHigh && w[at + TIME + 1] === id.timeLow
      && w[at + MAC] === id.mac0 && w[at + MAC + 1] === id.mac1 && w[at + MAC + 2] === id.mac2 && w[at + MAC + 3] === id.mac3
      && w[at + SCOPE] === scope(realm, address);
  }

  /**
   * Record `nc` for the nonce `id` of this signer, whose signature for `realm` and `address` was
   * checked (the caller's duty): true when it was not seen before, false for a replay, and for a
   * nonce older than the last `capacity` issued.
   */
  accept(id: NonceId, nc: number, realm: string, address: string | undefined): boolean {
    const at = this.#slot(id);
    if (at < 0) return false;
    const words = this.#words;
    if (words[at + STATE] !== HELD || words[at + SEQ] !== id.seqLow) {
      this.#hold(at, id, scope(realm, address), nc);
      return true;
    }
    if (words[at + WINDOW] !== 0) return countNonce(words, at + WINDOW, nc);
    words[at + WINDOW] = nc;
    return true;
  }

  /** Slot `at` holds the nonce `id`, with `highest` as its highest count (0: none yet) and none below it. */
  #hold(at: number, id: NonceId, fingerprint: number, highest: number): void {
    const w = this.#words;
    w[at + STATE] = HELD;
    w[at + TIME] = id.timeHigh;
    w[at + TIME + 1] = id.timeLow;
    w[at + SEQ] = id.seqLow;
    w[at + MAC] = id.mac0;
    w[at + MAC + 1] = id.mac1;
    w[at + MAC + 2] = id.mac2;
    w[at + MAC + 3] = id.mac3;
    w[at + SCOPE] = fingerprint;
    w[at + WINDOW] = highest;
    w[at + WINDOW + 1] = 0;
    w[at + WINDOW + 2] = 0;
  }

  /** The first word of the slot of `id`, or -1 when it is not one of the last `capacity` nonces issued here. */
  #slot(id: NonceId): number {
    const sequence = this.#sequence;
    if (id.seqHigh !== sequence.seqHigh || ((sequence.seqLow - id.seqLow) >>> 0) > this.#mask) return -1;
    return (id.seqLow & this.#mask) * STRIDE;
  }
}

/** FNV-1a (32-bit) of `realm`, then of `address` after a separator that also tells an unbound nonce from one bound to ''. */
function scope(realm: string, address: string | undefined): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < realm.length; i++) h = Math.imul(h ^ realm.charCodeAt(i), 0x01000193);
  if (address === undefined) return h >>> 0;
  h = Math.imul(h ^ 0x100, 0x01000193);
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
