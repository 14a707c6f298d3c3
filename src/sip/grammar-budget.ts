import type { Clock } from '../ports/clock';
import { ConfigError } from '../errors/sdk-error';

/**
 * How many messages per second the SIP.js grammar tier of {@link parseSipMessage} may parse: the
 * messages the fast scanner declines (unusual or malformed ones) take it about a millisecond or
 * two each, so a flood of them, spoofed from any address, could hold a core (RFC 3261 §26.1.5
 * denial of service). A token bucket over the `Clock` port: `perSecond` tokens a second, at most
 * a tenth of a second's worth saved up (so that a burst stalls the server for a few ms, not for a
 * whole second's budget); with none left the message is not parsed at all (reason
 * {@link GRAMMAR_BUDGET_SPENT}). `perSecond` 0: the grammar is never used.
 */
export class GrammarBudget {
  readonly perSecond: number;
  readonly #capacity: number;
  readonly #clock: Clock;
  #tokens: number;
  #lastMs: number;

  constructor(perSecond: number, clock: Clock) {
    if (!Number.isInteger(perSecond) || perSecond < 0) {
      throw new ConfigError(`grammarParsesPerSecond must be a whole number ≥ 0 (0: never use the grammar), got ${String(perSecond)}`);
    }
    this.perSecond = perSecond;
    this.#capacity = perSecond === 0 ? 0 : Math.max(1, Math.ceil(perSecond / 10));
    this.#clock = clock;
    this.#tokens = this.#capacity;
    this.#lastMs = clock.now();
  }

  /** Take one grammar parse: true when the budget allows it now. */
  take(): boolean {
    const now = this.#clock.now();
    if (now > this.#lastMs) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#lastMs) * this.perSecond) / 1000);
    }
    this.#lastMs = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

/** The parse error reason of a message the scanner declined while the {@link GrammarBudget} was spent. */
export const GRAMMAR_BUDGET_SPENT = 'grammar-budget-spent';
