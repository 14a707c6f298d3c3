import { ConfigError, TransportError } from '../errors/sdk-error';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { TransactionOutcome } from '../ports/transport';
import type { SipResponse } from '../sip/message';
import { asError } from '../transports/socket-error';
import type { TransactionTimers } from './transaction-timers';
import { NonInviteClientTransaction } from './non-invite-client-transaction';

/** The table's transactions send through `ClientTransactionSend`, not bytes of their own. */
const NO_BYTES = new Uint8Array(0);

/** How a transaction reaches the network. */
export interface ClientTransactionSend {
  /** Sends the request once; rejects on a transport error. */
  send(): Promise<void>;
  /** True for TCP: no retransmissions (RFC 3261 §17.1.2.2, Timer E only runs over unreliable transports). */
  readonly reliable: boolean;
  /** The connection carrying a reliable transaction; its loss ends the transaction. */
  readonly connectionId?: string;
}

interface Entry {
  readonly transaction: NonInviteClientTransaction;
  readonly send: ClientTransactionSend;
  /** Settle the caller's promise, once. */
  readonly settle: (outcome: TransactionOutcome) => void;
  settled: boolean;
}

/** The key RFC 3261 §17.1.3 matches a response on: top Via branch and CSeq method. */
export function clientTransactionKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

/**
 * The table of non-INVITE client transactions (RFC 3261 §17.1.2), each a
 * {@link NonInviteClientTransaction}, settling a promise with its outcome: a final response, or
 * `timeout` when Timer F (64·T1) fires first. Over UDP the request is retransmitted on Timer E and
 * the transaction stays Completed for Timer K (T4) after the final response, absorbing its
 * retransmissions (§17.1.2.2); over TCP it ends at once. Timers come from the injected {@link Clock}.
 */
export class ClientTransactions {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly timers: TransactionTimers;
  private readonly logger: Logger;

  constructor(clock: Clock, timers: TransactionTimers, logger: Logger) {
    this.clock = clock;
    this.timers = timers;
    this.logger = logger;
  }

  /**
   * Start a transaction: send the request and settle with its outcome. A Completed transaction
   * with the same key is forgotten (the request is sent again on purpose).
   * @throws {@link ConfigError} when a transaction with the same branch and method is in flight.
   */
  start(key: string, send: ClientTransactionSend): Promise<TransactionOutcome> {
    const known = this.entries.get(key);
    if (known?.transaction.state === 'completed') known.transaction.stop();
    else if (known !== undefined) throw new ConfigError('a client transaction with this Via branch and CSeq method is already in flight');
    return new Promise<TransactionOutcome>((resolve) => {
      const settle = (outcome: TransactionOutcome): void => {
        if (entry.settled) return;
        entry.settled = true;
        resolve(outcome);
      };
      const transmit = (): void => {
        send.send().catch((error: unknown) => {
          settle({ kind: 'transport-error', error: asError(error) });
          entry.transaction.stop();
        });
      };
      const entry: Entry = {
        send,
        settle,
        settled: false,
        transaction: new NonInviteClientTransaction({
          clock: this.clock,
          timers: this.timers,
          reliable: send.reliable,
          bytes: NO_BYTES,
          sentAlready: true,
          send: () => {
            this.logger.debug({ key }, 'client transaction: Timer E retransmission');
            transmit();
          },
          onResponse: (response) => {
            if (response.status >= 200) settle({ kind: 'response', response });
          },
          onTimeout: () => settle({ kind: 'timeout' }),
          onTerminated: () => {
            if (this.entries.get(key) === entry) this.entries.delete(key);
          },
        }),
      };
      this.entries.set(key, entry);
      transmit();
    });
  }

  /**
   * Match a response to its transaction (RFC 3261 §17.1.3). Returns false when none matches; a
   * response matching a Completed transaction is a retransmission, absorbed.
   */
  receive(response: SipResponse): boolean {
    const branch = response.via[0]?.branch;
    if (branch === undefined) return false;
    const entry = this.entries.get(clientTransactionKey(branch, response.cseq.method));
    if (entry === undefined) return false;
    entry.transaction.receive(response);
    return true;
  }

  /** End every transaction carried by a connection that closed (RFC 3261 §17.1.4). */
  connectionLost(connectionId: string): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.send.connectionId === connectionId && !entry.settled) {
        this.end(entry, new TransportError(`connection ${connectionId} closed before a final response`));
      }
    }
  }

  /** End every transaction with a transport error (the transport is closing), and forget the Completed ones. */
  closeAll(error: Error): void {
    for (const entry of [...this.entries.values()]) this.end(entry, error);
  }

  /** Settle an unsettled entry with a transport error, and stop its transaction. */
  private end(entry: Entry, error: Error): void {
    entry.settle({ kind: 'transport-error', error });
    entry.transaction.stop();
  }
}
