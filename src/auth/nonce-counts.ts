import { LRUCache } from 'lru-cache';
import type { Clock } from '../ports/clock';
import { countNonce } from './nonce-window';

/** What the signature check of a nonce established before its first count (RFC 7616 §3.3). */
export interface NonceOrigin {
  /** The realm it was signed for. */
  readonly realm: string;
  /** The source address it was bound to; undefined when not bound. */
  readonly address: string | undefined;
  /** Its issue time, epoch ms. */
  readonly issuedMs: number;
}

/** The counts seen with one nonce (its {@link countNonce} window: highest, and the 64 below it) and its {@link NonceOrigin}. */
class SeenCounts implements NonceOrigin {
  readonly window = new Uint32Array(3);
  readonly realm: string;
  readonly address: string | undefined;
  readonly issuedMs: number;

  constructor(nc: number, origin: NonceOrigin) {
    this.window[0] = nc;
    this.realm = origin.realm;
    this.address = origin.address;
    this.issuedMs = origin.issuedMs;
  }
}

/**
 * Nonce-count replay protection (RFC 7616 §3.4 and §5.5 on `nc`; Kamailio `nonce_count`): per
 * nonce the highest `nc` seen and which of the 64 below it were seen, so requests that overtook
 * each other still pass. A count seen before, or below the window, is a replay. Bounded: the
 * least recently used of `capacity` nonces is forgotten, and a nonce is remembered for its
 * lifetime only (a nonce older than that is stale anyway).
 *
 * A nonce gets counts only once its signature was checked (the caller's duty), so while it has
 * them, {@link NonceCounts.find} answers for the signature for the same realm and source
 * (RFC 7616 §5.4: the server remembers the nonces it accepted) and the HMAC need not run again.
 */
export class NonceCounts {
  readonly #seen: LRUCache<string, SeenCounts>;

  /**
   * @param capacity - Nonces remembered at most.
   * @param ttlMs - How long a nonce is remembered after its first count: its lifetime plus clock skew.
   */
  constructor(capacity: number, ttlMs: number, clock: Clock) {
    this.#seen = new LRUCache<string, SeenCounts>({ max: capacity, ttl: ttlMs, ttlResolution: 0, perf: { now: () => clock.now() } });
  }

  /**
   * The origin of `nonce` when it has counts recorded for `realm` and `address` (undefined when
   * not bound to one): its signature for them was checked before its first count. Undefined
   * otherwise (no counts, forgotten, or recorded for another realm or address): check the
   * signature.
   */
  find(nonce: string, realm: string, address: string | undefined): NonceOrigin | undefined {
    const seen = this.#seen.get(nonce);
    return seen !== undefined && seen.realm === realm && seen.address === address ? seen : undefined;
  }

  /**
   * Record `nc` for `nonce`: true when it was not seen before, false for a replay. Call it only
   * for a nonce whose signature was checked: `origin` is what {@link NonceCounts.find} answered
   * in the same synchronous turn (its counts, not looked up again), or what the signature
   * check established, which a nonce seen for the first time keeps.
   */
  accept(nonce: string, nc: number, origin: NonceOrigin): boolean {
    const seen = origin instanceof SeenCounts ? origin : this.#seen.get(nonce);
    if (seen === undefined) {
      this.#seen.set(nonce, new SeenCounts(nc, origin));
      return true;
    }
    return countNonce(seen.window, 0, nc);
  }
}
