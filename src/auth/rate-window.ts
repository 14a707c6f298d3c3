/**
 * One source's request rate for the `pike` check (RFC 3261 §26.1.5 denial of service): the
 * requests of the current sampling unit and of the one before, combined into a sliding estimate so
 * that a burst straddling a unit boundary is caught. One object per source, mutated in place: a
 * request from a known source allocates nothing.
 */
export class RateWindow {
  /** Index of the current unit (`floor(ms / unitMs)`). */
  #unit: number;
  /** Requests counted in the current unit. */
  #current = 0;
  /** Requests counted in the unit before the current one (0 when there was a gap). */
  #previous = 0;
  /** Whether the source is over the density ("hot" in pike's words). */
  hot = false;

  /** @param nowMs - The time of the first request, epoch ms; `unitMs` the sampling unit. */
  constructor(nowMs: number, private readonly unitMs: number) {
    this.#unit = Math.floor(nowMs / unitMs);
  }

  /**
   * Count one request at `nowMs` and answer the sliding estimate of requests per unit: the
   * previous unit weighted by the fraction of it still inside the last `unitMs`, plus the current
   * unit. A clock that stepped back starts a fresh window.
   */
  count(nowMs: number): number {
    const position = nowMs / this.unitMs;
    const unit = Math.floor(position);
    if (unit !== this.#unit) {
      this.#previous = unit === this.#unit + 1 ? this.#current : 0;
      this.#current = 0;
      this.#unit = unit;
    }
    this.#current++;
    return this.#previous * (1 - (position - unit)) + this.#current;
  }
}
