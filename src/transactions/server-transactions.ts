import type { MaybePromise } from '../ports/location-store';
import { Buffer } from 'node:buffer';
import type { Clock } from '../ports/clock';
import { ownedCopy } from '../sip/byte-text';
import type { SipRequest } from '../sip/message';

/** What a retransmission gets again once its transaction answered: the same wire response. */
export interface TransactionAnswer {
  readonly response?: Uint8Array;
}

/**
 * How long a non-INVITE server transaction stays Completed, answering late copies: 5 s, the
 * default of OpenSIPS's tm `wt_timer` and Kamailio's tm `wait_timer`. RFC 3261 §17.2.2 sets
 * Timer J to 64·T1 = 32 s for UDP; both servers shorten it for memory, and so does this one: kept
 * for 32 s, the answers of a node at 9,000 REGISTER/s on Redis took 100–200 MB more and a quarter
 * more CPU (`bench/redis-store.bench.ts`). The copies that matter were sent before the UA had the
 * answer and arrive within it; a UA that lost the answer keeps its binding and keeps
 * retransmitting, and a copy handled again is answered by the registrar's Call-ID and CSeq check.
 */
export const WAIT_TIMER_MS = 5000;

/** Options of {@link ServerTransactions}. */
export interface ServerTransactionsOptions {
  /** The time source of the wait timer (the registrar's). */
  readonly clock: Clock;
  /** How long a transaction stays Completed (Timer J). @defaultValue {@link WAIT_TIMER_MS} */
  readonly waitMs?: number;
  /** Keep synchronous answers too, for the wait timer (digest authentication). @defaultValue false */
  readonly keepSyncAnswers?: boolean;
}

/** Transactions kept at most: beyond, the oldest is forgotten early (bounded memory under a flood). */
const CAPACITY = 1 << 17;
/**
 * Bytes of the ring the responses of Completed transactions are copied into (allocated on the
 * first one): about 6 s of 400-byte responses at 3,000/s. A retransmission whose response was
 * overwritten since is absorbed without an answer: it is still not handled twice.
 */
const RING_BYTES = 8 << 20;
/** A response larger than this share of the ring is not kept (its copies are absorbed without an answer). */
const LARGEST_SHARE = 8;

/** FNV-1a (32-bit) of the rest of a transaction's key after its branch: sent-by host, port and method (RFC 3261 §17.2.3). */
function restOfKey(host: string, port: number | undefined, method: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ ((port ?? 0) + 0x10000), 0x01000193);
  for (let i = 0; i < method.length; i++) h = Math.imul(h ^ method.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Non-INVITE server transactions over UDP (RFC 3261 §17.2.2) for handling that answers
 * asynchronously (a networked store, a main registrar upstream):
 * - Trying: a retransmission that arrives while the first copy is being handled is absorbed, so
 *   a REGISTER is never applied twice at once;
 * - Completed, for {@link WAIT_TIMER_MS} (Timer J): a retransmission gets the same response again
 *   and is not handled again, so a late copy cannot re-create the binding its UA de-registered
 *   after the first copy's answer (a late copy waits behind other saves of the AOR, while the
 *   de-REGISTER may land on another node first).
 *
 * Handling that answers synchronously (a local store) is never pending and no copy can overtake
 * it: by default nothing is kept on that path. A late copy there is handled again, and the
 * registrar answers it as a retransmission from the stored Call-ID and CSeq (RFC 3261 §10.3 step 7).
 * That does not hold for digest authentication, which must answer a copy as it answered the
 * first: a copy of a challenged REGISTER would get a second challenge with another nonce, and a
 * copy of an authenticated one a `stale` challenge, its nonce count being spent (RFC 7616 §3.4).
 * With `keepSyncAnswers` synchronous answers are kept for the wait timer as well.
 *
 * Kept per request: its branch (an owned copy, the key of a Map to its slot), and in typed arrays
 * indexed by slot a fingerprint of the rest of its key, its timer and where its response is in a
 * ring of bytes. So a transaction allocates one small string, and its response none: at thousands
 * of requests a second nothing else is promoted out of the young generation. Slots are taken in
 * arrival order, which wait timer expiry follows: expired ones are freed from the oldest on, and
 * beyond {@link CAPACITY} the oldest is forgotten early.
 */
export class ServerTransactions<T extends TransactionAnswer> {
  /** Slot by branch. */
  readonly #slotOf = new Map<string, number>();
  /** By slot: its branch (undefined: free). */
  readonly #branch: (string | undefined)[] = new Array<string | undefined>(CAPACITY).fill(undefined);
  /** By slot: {@link restOfKey}. */
  readonly #rest = new Uint32Array(CAPACITY);
  /** By slot: when the wait timer fires; `Infinity` while Trying. */
  readonly #until = new Float64Array(CAPACITY);
  /** By slot: where its response starts in the stream of bytes written to the ring; -1 for none. */
  readonly #at = new Float64Array(CAPACITY);
  readonly #length = new Uint32Array(CAPACITY);
  /** By slot: bumped whenever it is freed, so a late completion of a forgotten transaction writes nothing. */
  readonly #generation = new Uint32Array(CAPACITY);
  /** The slots in use are the `#count` from `#oldest` on (some may have been freed early). */
  #oldest = 0;
  #count = 0;
  #ring: Buffer | undefined;
  /** Bytes ever written to the ring. */
  #written = 0;
  readonly #clock: Clock;
  readonly #waitMs: number;
  readonly #keepSyncAnswers: boolean;

  constructor(options: ServerTransactionsOptions) {
    this.#clock = options.clock;
    this.#waitMs = options.waitMs ?? WAIT_TIMER_MS;
    this.#keepSyncAnswers = options.keepSyncAnswers ?? false;
  }

  /** Transactions kept (Trying or Completed). */
  get size(): number {
    return this.#slotOf.size;
  }

  /**
   * `handle()`'s answer; for a retransmission, `undefined` while the first copy is being handled
   * and the first copy's response once it was answered. Synchronous when `handle` is.
   */
  run(request: SipRequest, handle: () => MaybePromise<T>): MaybePromise<T | TransactionAnswer | undefined> {
    const via = request.via[0];
    const key = via?.branch;
    // A pre-RFC 3261 branch does not name a transaction (§17.2.3): no matching then.
    if (key === undefined || !key.startsWith('z9hG4bK')) return handle();
    const now = this.#clock.now();
    this.#expire(now);
    const rest = restOfKey(via.host, via.port, request.method);
    const known = this.#slotOf.size === 0 ? undefined : this.#slotOf.get(key);
    if (known !== undefined) {
      if (this.#until[known] <= now) this.#free(known);
      else if (this.#rest[known] === rest) return this.#until[known] === Infinity ? undefined : { response: this.#response(known) };
      // The same branch from another sent-by or for another method: another transaction, not kept.
      else return handle();
    }
    const answer = handle();
    if (!(answer instanceof Promise)) {
      if (this.#keepSyncAnswers) this.#completed(this.#take(key, rest), answer, now);
      return answer;
    }
    const slot = this.#take(key, rest);
    const generation = this.#generation[slot];
    answer.then((done) => {
      if (this.#generation[slot] === generation) this.#completed(slot, done, this.#clock.now());
    }, () => {
      // A failed handling sent nothing: the next copy is handled afresh.
      if (this.#generation[slot] === generation) this.#free(slot);
    });
    return answer;
  }

  /** A new transaction in Trying, in the next slot (the oldest one is forgotten when none is left); its branch an owned copy. */
  #take(key: string, rest: number): number {
    if (this.#count === CAPACITY) {
      if (this.#branch[this.#oldest] !== undefined) this.#free(this.#oldest);
      this.#oldest = (this.#oldest + 1) % CAPACITY;
      this.#count--;
    }
    const slot = (this.#oldest + this.#count++) % CAPACITY;
    const branch = ownedCopy(key);
    this.#branch[slot] = branch;
    this.#slotOf.set(branch, slot);
    this.#rest[slot] = rest;
    this.#until[slot] = Infinity;
    this.#at[slot] = -1;
    return slot;
  }

  /** Completed with `answer` at `now`: its response is copied into the ring and kept for the wait timer. */
  #completed(slot: number, answer: T, now: number): void {
    this.#until[slot] = now + this.#waitMs;
    const response = answer.response;
    if (response === undefined || response.byteLength > RING_BYTES / LARGEST_SHARE) return;
    const ring = (this.#ring ??= Buffer.allocUnsafe(RING_BYTES));
    let position = this.#written % RING_BYTES;
    if (position + response.byteLength > RING_BYTES) {
      this.#written += RING_BYTES - position;
      position = 0;
    }
    ring.set(response, position);
    this.#at[slot] = this.#written;
    this.#length[slot] = response.byteLength;
    this.#written += response.byteLength;
  }

  /** A copy of the response of `slot`, undefined when it has none or the ring has been written over it since. */
  #response(slot: number): Buffer | undefined {
    const at = this.#at[slot];
    if (at < 0 || this.#ring === undefined || this.#written > at + RING_BYTES) return undefined;
    const position = at % RING_BYTES;
    return Buffer.from(this.#ring.subarray(position, position + this.#length[slot]));
  }

  /** Frees the slots from the oldest on whose wait timer fired (or that are free already), up to the first still kept. */
  #expire(now: number): void {
    while (this.#count > 0) {
      const oldest = this.#oldest;
      if (this.#branch[oldest] !== undefined) {
        if (this.#until[oldest] > now) return;
        this.#free(oldest);
      }
      this.#oldest = (oldest + 1) % CAPACITY;
      this.#count--;
    }
  }

  #free(slot: number): void {
    const branch = this.#branch[slot];
    if (branch !== undefined && this.#slotOf.get(branch) === slot) this.#slotOf.delete(branch);
    this.#branch[slot] = undefined;
    this.#until[slot] = 0;
    this.#generation[slot]++;
  }
}
