import type { MaybePromise } from '../ports/location-store';
import type { SipRequest } from './message';

/** A request being handled, by its top Via branch, with the rest of its key (RFC 3261 §17.2.3). */
interface Pending {
  readonly host: string;
  readonly port: number | undefined;
  readonly method: string;
}

/** True when `pending` is the transaction of `request` (same branch): same sent-by and method. */
const sameTransaction = (pending: Pending, request: SipRequest): boolean =>
  pending.host === request.via[0].host && pending.port === request.via[0].port && pending.method === request.method;

/**
 * The Trying state of non-INVITE server transactions over UDP (RFC 3261 §17.2.2): a retransmission
 * that arrives while the first copy is still being handled (a networked store is slow, a
 * main registrar has not answered) is absorbed, so a REGISTER is never applied twice at once and
 * a copy cannot be applied after the de-REGISTER its UA sent once the first copy was answered.
 *
 * A copy that arrives after the answer is handled again: the registrar answers it as a
 * retransmission from the stored Call-ID and CSeq (RFC 3261 §10.3 step 7). Keeping every answer
 * for Timer J instead would keep half a kilobyte per REGISTER alive for 32 s, which the garbage
 * collector pays for on every REGISTER (a quarter more CPU at 13,000 REGISTER/s). Handling that
 * answers synchronously is never pending: no bookkeeping at all on that path.
 */
export class ServerTransactions<T> {
  readonly #pending = new Map<string, Pending>();

  /**
   * `handle()`'s answer; `undefined` for a retransmission of a request still being handled.
   * Synchronous when `handle` is.
   */
  run(request: SipRequest, handle: () => MaybePromise<T>): MaybePromise<T | undefined> {
    const via = request.via[0];
    const key = via?.branch;
    // A pre-RFC 3261 branch does not name a transaction (§17.2.3): no matching then.
    if (key === undefined || !key.startsWith('z9hG4bK')) return handle();
    const known = this.#pending.get(key);
    if (known !== undefined && sameTransaction(known, request)) return undefined;
    const answer = handle();
    if (!(answer instanceof Promise) || known !== undefined) return answer;
    this.#pending.set(key, { host: via.host, port: via.port, method: request.method });
    const done = (): void => {
      this.#pending.delete(key);
    };
    answer.then(done, done);
    return answer;
  }
}
