import type { MaybePromise } from '../ports/location-store';
import type { SipRequest } from './message';

/** What a retransmission gets again once its transaction answered: the same wire response. */
export interface TransactionAnswer {
  readonly response?: Uint8Array;
}

/**
 * Timer J for UDP, 64·T1 (RFC 3261 §17.2.2, Table 4): how long a non-INVITE server transaction
 * stays Completed, answering the copies its client still retransmits.
 */
export const TIMER_J_MS = 64 * 500;

/** A request by its top Via branch, with the rest of its key (RFC 3261 §17.2.3) and its state. */
interface Transaction {
  readonly host: string;
  readonly port: number | undefined;
  readonly method: string;
  /** The response while Completed; `undefined` while Trying (being handled). */
  response?: Uint8Array;
  /** When Timer J fires; `Infinity` while Trying. */
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
 * - Completed, for Timer J: a retransmission gets the same response again and is not handled
 *   again, so a late copy cannot re-create the binding its UA de-registered after the first
 *   copy's answer (a late copy waits behind other saves of the AOR, while the de-REGISTER may
 *   land on another node first).
 *
 * Handling that answers synchronously (a local store) is never pending and no copy can overtake
 * it: nothing is kept on that path. A late copy there is handled again, and the registrar answers
 * it as a retransmission from the stored Call-ID and CSeq (RFC 3261 §10.3 step 7).
 */
export class ServerTransactions<T extends TransactionAnswer> {
  /** In arrival order, which Timer J expiry almost follows: expired ones are dropped from the front. */
  readonly #known = new Map<string, Transaction>();
  readonly #now: () => number;
  readonly #timerJMs: number;

  /** `now` and `timerJMs` are for tests. */
  constructor(now: () => number = Date.now, timerJMs = TIMER_J_MS) {
    this.#now = now;
    this.#timerJMs = timerJMs;
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
      return known.until === Infinity ? undefined : { response: known.response };
    }
    const answer = handle();
    if (!(answer instanceof Promise) || known !== undefined) return answer;
    const transaction: Transaction = { host: via.host, port: via.port, method: request.method, until: Infinity };
    this.#known.set(key, transaction);
    answer.then((done) => {
      transaction.response = done.response;
      transaction.until = this.#now() + this.#timerJMs;
    }, () => {
      // A failed handling sent nothing: the next copy is handled afresh.
      this.#known.delete(key);
    });
    return answer;
  }

  /** The transaction of `key` unless its Timer J fired; drops the expired ones at the front. */
  #live(key: string): Transaction | undefined {
    const now = this.#now();
    for (const [k, t] of this.#known) {
      if (t.until > now) break;
      this.#known.delete(k);
    }
    return this.#known.get(key);
  }
}
