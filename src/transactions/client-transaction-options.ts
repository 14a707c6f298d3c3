import type { Clock } from '../ports/clock';
import type { SipResponse } from '../sip/message';
import type { TransactionTimers } from './transaction-timers';

/** What every client transaction whose TU owns the sending takes (RFC 3261 §17.1). */
export interface ClientTransactionOptions {
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /** True over TCP: no retransmissions (no Timer A or E) and Timers D and K are 0. */
  readonly reliable: boolean;
  /** The request's wire bytes, sent at once and retransmitted over UDP. */
  readonly bytes: Uint8Array;
  /**
   * The TU sent the request already (a proxy that tried TCP first, RFC 3261 §18.1.1): the
   * transaction starts its timers without sending it again. @defaultValue false
   */
  readonly sentAlready?: boolean;
  /** Hands bytes to the transport towards the next hop (the request, and an INVITE's ACK of a non-2xx). */
  readonly send: (bytes: Uint8Array) => void;
  /** Every response for the TU, except retransmissions of a final response the transaction absorbs. */
  readonly onResponse: (response: SipResponse) => void;
  /** Timer B (INVITE) or F fired before a final response (RFC 3261 §17.1.1.2, §17.1.2.2). */
  readonly onTimeout: () => void;
  /** The transaction is Terminated: its owner forgets it. */
  readonly onTerminated: () => void;
}
