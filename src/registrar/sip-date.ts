/**
 * The `Date` header value of a registrar's 200 to REGISTER (RFC 3261 §10.3 step 8, §20.17: an
 * RFC 1123 date, always in GMT), formatted at most once per whole second: a registrar answering
 * thousands of REGISTERs a second formats one string per second. One per registrar, since each
 * has its own clock.
 */
export class SipDate {
  private second = Number.NaN;
  private text = '';

  /** The date of `nowMs` (epoch milliseconds, from the registrar's clock) to the second. */
  at(nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.text = new Date(second * 1000).toUTCString();
    }
    return this.text;
  }
}
