import type { MaybePromise } from '../ports/location-store';
import { Buffer } from 'node:buffer';
import { ownedCopy } from './byte-text';
import type { SipRequest } from './message';

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

/** A request by its top Via branch, with the rest of its key (RFC 3261 §17.2.3) and its state. */
interface Transaction {
  /** The branch it is kept under. */
  readonly key: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly method: string;
  /**
   * The response while Completed, as a latin1 string (one character per byte): a pooled Buffer
   * would keep its whole 8 KB slab alive, about 1.7 KB per transaction instead of the response.
   */
  wire?: string;
  /** When the wait timer (Timer J) fires; `Infinity` while Trying. */
  until: number;
}

/** True when `known` is the transaction of `request` (same branch): same sent-by and method. */
const sameTransaction = (known: Transaction, request: SipRequest): boolean =>
  known.host === request.via[0].host && known.port === request.via[0].port && known.method === request.method;

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
 */
export class ServerTransactions<T extends TransactionAnswer> {
  /** By branch. */
  readonly #known = new Map<string, Transaction>();
  /**
   * The same in arrival order, which wait timer expiry almost follows: expired ones are dropped
   * from the front, from `#head` on. A queue of its own, not the Map's order: a V8 Map keeps the
   * holes of deleted entries until it rehashes, so walking it from its start on every request
   * (to find the expired ones) stepped over ever more holes.
   */
  #order: Transaction[] = [];
  #head = 0;
  readonly #now: () => number;
  readonly #waitMs: number;

  readonly #keepSyncAnswers: boolean;

  /** `now` and `waitMs` are for tests. */
  constructor(now: () => number = Date.now, waitMs = WAIT_TIMER_MS, keepSyncAnswers = false) {
    this.#now = now;
    this.#waitMs = waitMs;
    this.#keepSyncAnswers = keepSyncAnswers;
  }

  /** Transactions kept (Trying or Completed). */
  get size(): number {
    return this.#known.size;
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
    const known = this.#known.size === 0 ? undefined : this.#live(key);
    if (known !== undefined && sameTransaction(known, request)) {
      if (known.until === Infinity) return undefined;
      return { response: known.wire === undefined ? undefined : Buffer.from(known.wire, 'latin1') };
    }
    const answer = handle();
    if (known !== undefined) return answer;
    if (!(answer instanceof Promise)) {
      if (this.#keepSyncAnswers) this.#completed(this.#track(key, via.host, via.port, request.method), answer);
      return answer;
    }
    const transaction = this.#track(key, via.host, via.port, request.method);
    answer.then((done) => this.#completed(transaction, done), () => {
      // A failed handling sent nothing: the next copy is handled afresh.
      this.#known.delete(key);
      transaction.until = 0;
    });
    return answer;
  }

  /** A new transaction in Trying: owned copies, not substrings that would pin the request's header text. */
  #track(key: string, host: string, port: number | undefined, method: string): Transaction {
    const transaction: Transaction = { key: ownedCopy(key), host: ownedCopy(host), port, method, until: Infinity };
    this.#known.set(transaction.key, transaction);
    this.#order.push(transaction);
    return transaction;
  }

  /** Completed with `answer`: its response is kept for the wait timer. */
  #completed(transaction: Transaction, answer: T): void {
    const response = answer.response;
    if (response !== undefined) transaction.wire = Buffer.from(response.buffer, response.byteOffset, response.byteLength).toString('latin1');
    transaction.until = this.#now() + this.#waitMs;
  }

  /** The transaction of `key` unless its wait timer fired; drops the expired ones at the front. */
  #live(key: string): Transaction | undefined {
    const now = this.#now();
    const order = this.#order;
    let head = this.#head;
    for (; head < order.length && order[head].until <= now; head++) {
      const t = order[head];
      // A transaction whose handling failed was deleted already, and its branch may be reused.
      if (this.#known.get(t.key) === t) this.#known.delete(t.key);
    }
    if (head > 1024 && head * 2 > order.length) {
      this.#order = order.slice(head);
      head = 0;
    }
    this.#head = head;
    return this.#known.get(key);
  }
}
