import { randomBytes } from 'node:crypto';

/**
 * Via branches for one component's own client transactions (RFC 3261 §8.1.1.7): the magic
 * cookie, a kind, a random prefix drawn once per instance, and a counter. Unique across
 * instances and restarts without a random draw per request (one costs microseconds here).
 */
export class BranchIds {
  readonly #prefix = randomBytes(9).toString('base64url');
  #next = 0;

  /** A new branch, `z9hG4bK-<kind>-<prefix><counter>`. */
  next(kind: string): string {
    return `z9hG4bK-${kind}-${this.#prefix}${(this.#next++).toString(36)}`;
  }
}
