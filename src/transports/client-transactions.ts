import { ConfigError, TransportError } from '../errors/sdk-error';
import type { Clock, TimerHandle } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { TransactionOutcome } from '../ports/transport';
import type { SipResponse } from '../sip/message';
import { asError } from './socket-error';

/** Timer values of the non-INVITE client transaction (RFC 3261 §17.1.2.2, Table 4). */
export interface ClientTransactionTimers {
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly timerFMs: number;
}

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
  readonly key: string;
  readonly resolve: (outcome: TransactionOutcome) => void;
  readonly send: ClientTransactionSend;
  timerE: TimerHandle | undefined;
  timerF: TimerHandle;
  intervalMs: number;
  proceeding: boolean;
}

/** The key RFC 3261 §17.1.3 matches a response on: top Via branch and CSeq method. */
export function clientTransactionKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

/**
 * The table of in-flight non-INVITE client transactions (RFC 3261 §17.1.2). Over UDP the request
 * is retransmitted on Timer E, starting at T1 and doubling up to T2 (in Proceeding, after a
 * provisional response, every T2); Timer F (64·T1) ends it with `timeout`. A final response ends it
 * with `response`. Timers come from the injected {@link Clock}.
 */
export class ClientTransactions {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly timers: ClientTransactionTimers;
  private readonly logger: Logger;

  constructor(clock: Clock, timers: ClientTransactionTimers, logger: Logger) {
    this.clock = clock;
    this.timers = timers;
    this.logger = logger;
  }

  /**
   * Start a transaction: send the request and settle with its outcome.
   * @throws {@link ConfigError} when a transaction with the same branch and method is in flight.
   */
  start(key: string, send: ClientTransactionSend): Promise<TransactionOutcome> {
    if (this.entries.has(key)) {
      throw new ConfigError('a client transaction with this Via branch and CSeq method is already in flight');
    }
    return new Promise<TransactionOutcome>((resolve) => {
      const entry: Entry = {
        key,
        resolve,
        send,
        timerE: undefined,
        timerF: this.clock.setTimer(this.timers.timerFMs, () => this.settle(entry, { kind: 'timeout' })),
        intervalMs: this.timers.t1Ms,
        proceeding: false,
      };
      this.entries.set(key, entry);
      if (!send.reliable) this.scheduleE(entry);
      this.transmit(entry);
    });
  }

  /** Match a response to its transaction (RFC 3261 §17.1.3). Returns false when none matches. */
  receive(response: SipResponse): boolean {
    const branch = response.via[0]?.branch;
    if (branch === undefined) return false;
    const entry = this.entries.get(clientTransactionKey(branch, response.cseq.method));
    if (entry === undefined) return false;
    if (response.status < 200) entry.proceeding = true;
    else this.settle(entry, { kind: 'response', response });
    return true;
  }

  /** End every transaction carried by a connection that closed (RFC 3261 §17.1.4). */
  connectionLost(connectionId: string): void {
    for (const entry of this.entries.values()) {
      if (entry.send.connectionId === connectionId) {
        this.settle(entry, { kind: 'transport-error', error: new TransportError(`connection ${connectionId} closed before a final response`) });
      }
    }
  }

  /** End every transaction with a transport error (the transport is closing). */
  closeAll(error: Error): void {
    for (const entry of this.entries.values()) this.settle(entry, { kind: 'transport-error', error });
  }

  private transmit(entry: Entry): void {
    entry.send.send().catch((error: unknown) => {
      this.settle(entry, { kind: 'transport-error', error: asError(error) });
    });
  }

  private scheduleE(entry: Entry): void {
    entry.timerE = this.clock.setTimer(entry.intervalMs, () => {
      if (this.entries.get(entry.key) !== entry) return;
      entry.intervalMs = entry.proceeding ? this.timers.t2Ms : Math.min(entry.intervalMs * 2, this.timers.t2Ms);
      this.logger.debug({ key: entry.key, nextMs: entry.intervalMs }, 'client transaction: Timer E retransmission');
      this.scheduleE(entry);
      this.transmit(entry);
    });
  }

  private settle(entry: Entry, outcome: TransactionOutcome): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    entry.timerE?.cancel();
    entry.timerF.cancel();
    entry.resolve(outcome);
  }
}
