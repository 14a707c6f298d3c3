import { ConfigError, TransportError } from '../errors/sdk-error';
import type { Clock, TimerHandle } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { TransactionOutcome } from '../ports/transport';
import type { SipResponse } from '../sip/message';
import { asError } from '../transports/socket-error';
import type { TransactionTimers } from './transaction-timers';

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
  /** Timer F, then in Completed Timer K. */
  timer: TimerHandle;
  intervalMs: number;
  state: 'trying' | 'proceeding' | 'completed';
}

/** The key RFC 3261 §17.1.3 matches a response on: top Via branch and CSeq method. */
export function clientTransactionKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

/**
 * The table of non-INVITE client transactions (RFC 3261 §17.1.2). Over UDP the request is
 * retransmitted on Timer E, starting at T1 and doubling up to T2 (in Proceeding, after a
 * provisional response, every T2); Timer F (64·T1) ends it with `timeout`. A final response ends it
 * with `response`; over UDP the transaction then stays Completed for Timer K (T4), absorbing
 * the retransmissions of that response (§17.1.2.2), over TCP it ends at once (Timer K is 0).
 * Timers come from the injected {@link Clock}.
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
    if (known?.state === 'completed') known.timer.cancel();
    else if (known !== undefined) throw new ConfigError('a client transaction with this Via branch and CSeq method is already in flight');
    return new Promise<TransactionOutcome>((resolve) => {
      const entry: Entry = {
        key,
        resolve,
        send,
        timerE: undefined,
        timer: this.clock.setTimer(this.timers.timerFMs, () => this.settle(entry, { kind: 'timeout' })),
        intervalMs: this.timers.t1Ms,
        state: 'trying',
      };
      this.entries.set(key, entry);
      if (!send.reliable) this.scheduleE(entry);
      this.transmit(entry);
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
    if (entry.state === 'completed') return true;
    if (response.status < 200) entry.state = 'proceeding';
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

  /** End every transaction with a transport error (the transport is closing), and forget the Completed ones. */
  closeAll(error: Error): void {
    for (const entry of this.entries.values()) {
      if (entry.state === 'completed') this.forget(entry);
      else this.settle(entry, { kind: 'transport-error', error });
    }
  }

  private transmit(entry: Entry): void {
    entry.send.send().catch((error: unknown) => {
      this.settle(entry, { kind: 'transport-error', error: asError(error) });
    });
  }

  private scheduleE(entry: Entry): void {
    entry.timerE = this.clock.setTimer(entry.intervalMs, () => {
      if (this.entries.get(entry.key) !== entry) return;
      entry.intervalMs = entry.state === 'proceeding' ? this.timers.t2Ms : Math.min(entry.intervalMs * 2, this.timers.t2Ms);
      this.logger.debug({ key: entry.key, nextMs: entry.intervalMs }, 'client transaction: Timer E retransmission');
      this.scheduleE(entry);
      this.transmit(entry);
    });
  }

  /** The outcome to the caller; a final response over UDP leaves the transaction Completed until Timer K. */
  private settle(entry: Entry, outcome: TransactionOutcome): void {
    if (this.entries.get(entry.key) !== entry || entry.state === 'completed') return;
    entry.timerE?.cancel();
    entry.timer.cancel();
    if (outcome.kind === 'response' && !entry.send.reliable) {
      entry.state = 'completed';
      entry.timer = this.clock.setTimer(this.timers.t4Ms, () => this.forget(entry));
    } else {
      this.entries.delete(entry.key);
    }
    entry.resolve(outcome);
  }

  private forget(entry: Entry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    entry.timer.cancel();
  }
}
