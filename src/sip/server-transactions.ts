import { LRUCache } from 'lru-cache';
import type { Clock } from '../ports/clock';
import type { MaybePromise } from '../ports/location-store';
import type { SipRequest } from './message';

/** How long an answered request's final response is kept for its retransmissions: Timer J, 64·T1 (RFC 3261 §17.2.2). */
const TIMER_J_MS = 32_000;

/** The server transaction of a request (RFC 3261 §17.2.3): top Via branch, sent-by and method; none for a pre-RFC 3261 branch. */
function serverTransactionKey(request: SipRequest): string | undefined {
  const via = request.via[0];
  if (via?.branch === undefined || !via.branch.startsWith('z9hG4bK')) return undefined;
  return `${via.branch}\u0000${via.host}:${via.port ?? ''}\u0000${request.method}`;
}

interface Entry<T> {
  answer?: T;
  until: number;
}

/**
 * Non-INVITE server transactions over UDP (RFC 3261 §17.2.2), reduced to what a registrar needs:
 * a request is handled once. A retransmission that arrives while the first copy is being handled
 * gets nothing (the first copy's answer goes out), and one that arrives after gets the same answer
 * for Timer J (32 s). So a REGISTER retransmitted by a phone is never applied twice, and a late
 * copy cannot undo a de-REGISTER that followed it. Bounded: the oldest transactions are forgotten
 * first.
 */
export class ServerTransactions<T> {
  readonly #entries: LRUCache<string, Entry<T>>;

  /** @param max - transactions remembered at most. */
  constructor(max = 16_384) {
    this.#entries = new LRUCache<string, Entry<T>>({ max });
  }

  /**
   * `handle()`'s answer, run once per transaction; `undefined` for a retransmission still being
   * handled. Synchronous when `handle` is. A failed `handle` forgets the transaction, so a
   * retransmission tries again.
   */
  run(request: SipRequest, clock: Clock, handle: () => MaybePromise<T>): MaybePromise<T | undefined> {
    const key = serverTransactionKey(request);
    if (key === undefined) return handle();
    const known = this.#entries.get(key);
    if (known !== undefined && known.until > clock.now()) return known.answer;
    const entry: Entry<T> = { until: Infinity };
    this.#entries.set(key, entry);
    const settle = (answer: T): T => {
      entry.answer = answer;
      entry.until = clock.now() + TIMER_J_MS;
      return answer;
    };
    let answer: MaybePromise<T>;
    try {
      answer = handle();
    } catch (e) {
      this.#entries.delete(key);
      throw e;
    }
    if (!(answer instanceof Promise)) return settle(answer);
    return answer.then(settle, (e: unknown) => {
      this.#entries.delete(key);
      throw e;
    });
  }
}
