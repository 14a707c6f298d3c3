import type { Clock } from '../ports/clock';
import type { MaybePromise } from '../ports/location-store';
import type { SipRequest } from './message';

/** How long an answered request's final response is kept for its retransmissions: Timer J, 64·T1 (RFC 3261 §17.2.2). */
const TIMER_J_MS = 32_000;

/**
 * Transactions remembered at most by default, with their answers about 40 MB: all of Timer J up
 * to 2,000 new requests a second, a few seconds of it (the first retransmissions) at 20,000.
 */
const DEFAULT_MAX = 65_536;

/** A transaction by its top Via branch, with the rest of its key (RFC 3261 §17.2.3). */
interface Entry<T> {
  readonly host: string;
  readonly port: number | undefined;
  readonly method: string;
  answer?: T;
  until: number;
}

/** True when `entry` is the transaction of `request` (same branch): same sent-by and method. */
const sameTransaction = (entry: Entry<unknown>, request: SipRequest): boolean =>
  entry.host === request.via[0].host && entry.port === request.via[0].port && entry.method === request.method;

/**
 * Non-INVITE server transactions over UDP (RFC 3261 §17.2.2), reduced to what a registrar needs:
 * a request is handled once. A retransmission that arrives while the first copy is being handled
 * gets nothing (the first copy's answer goes out), and one that arrives after gets the same answer
 * for Timer J (32 s). So a REGISTER retransmitted by a phone is never applied twice, and a late
 * copy cannot undo a de-REGISTER that followed it. Bounded: above `max` new requests per 16 s the
 * oldest transactions are forgotten sooner.
 */
export class ServerTransactions<T> {
  /**
   * Two generations: new transactions go into `#recent`; after half of Timer J, or once it holds
   * `#generationSize`, it becomes `#older` and the previous older one is dropped. So a transaction is
   * kept at least Timer J / 2 (16 s) below `#generationSize` new requests per 16 s, and memory is
   * bounded above it. No per-entry bookkeeping on the hot path.
   */
  #recent = new Map<string, Entry<T>>();
  #older = new Map<string, Entry<T>>();
  #recentSince = -Infinity;
  readonly #generationSize: number;

  /** @param max - transactions remembered at most (two generations of half as many). */
  constructor(max = DEFAULT_MAX) {
    this.#generationSize = Math.max(1, max >> 1);
  }

  /**
   * `handle()`'s answer, run once per transaction; `undefined` for a retransmission still being
   * handled. Synchronous when `handle` is. A failed `handle` forgets the transaction, so a
   * retransmission tries again.
   */
  run(request: SipRequest, clock: Clock, handle: () => MaybePromise<T>): MaybePromise<T | undefined> {
    const via = request.via[0];
    const key = via?.branch;
    // A pre-RFC 3261 branch does not name a transaction (§17.2.3): no matching then.
    if (key === undefined || !key.startsWith('z9hG4bK')) return handle();
    const now = clock.now();
    const known = this.#recent.get(key) ?? this.#older.get(key);
    if (known !== undefined && known.until > now && sameTransaction(known, request)) return known.answer;
    const entry: Entry<T> = { host: via.host, port: via.port, method: request.method, until: Infinity };
    if (this.#recent.size >= this.#generationSize || now - this.#recentSince >= TIMER_J_MS / 2) {
      this.#older = this.#recent;
      this.#recent = new Map();
      this.#recentSince = now;
    }
    this.#recent.set(key, entry);
    const settle = (answer: T): T => {
      entry.answer = answer;
      entry.until = clock.now() + TIMER_J_MS;
      return answer;
    };
    let answer: MaybePromise<T>;
    try {
      answer = handle();
    } catch (e) {
      this.#forget(key, entry);
      throw e;
    }
    if (!(answer instanceof Promise)) return settle(answer);
    return answer.then(settle, (e: unknown) => {
      this.#forget(key, entry);
      throw e;
    });
  }

  /** Drop a transaction whose handling failed, so a retransmission tries again. */
  #forget(key: string, entry: Entry<T>): void {
    if (this.#recent.get(key) === entry) this.#recent.delete(key);
    else if (this.#older.get(key) === entry) this.#older.delete(key);
  }
}
