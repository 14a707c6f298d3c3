/** Width of one wheel bucket: expiry times are indexed to the second. */
const BUCKET_MS = 1000;

/** Bucket of an expiry time; NaN (never `<= now`) goes to the never-reached bucket. */
const bucketOf = (expiresAt: number): number =>
  Number.isNaN(expiresAt) ? Number.POSITIVE_INFINITY : Math.floor(expiresAt / BUCKET_MS);

/** Insert `key` into the ascending array `keys` (absent before). */
const insertSorted = (keys: number[], key: number): void => {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  keys.splice(lo, 0, key);
};

/**
 * Expiry index of the in-memory location store: which AORs hold a binding whose
 * `expiresAt` has passed (RFC 3261 §10.2.1.1: an expired binding is removed), found without
 * scanning every AOR.
 *
 * A time wheel of one-second buckets, each an array of AOR strings (the same string objects as
 * the store's keys, so an entry costs one pointer). It is deliberately lazy and approximate,
 * and the store supplies the truth through `earliestExpiry(aor)`:
 *
 * - Invariant: every stored AOR has an entry in a bucket at or before the bucket of its
 *   earliest expiry. The store adds an entry for a new AOR, or when the earliest expiry moves
 *   to an earlier bucket; a refresh (expiry moves later, the common case) costs nothing.
 * - {@link ExpiryWheel.collect} walks due buckets in time order and checks each entry: a gone
 *   AOR is dropped, an entry earlier than its AOR's bucket is moved to that bucket, an entry
 *   later than it (or a duplicate) is dropped, and the rest are reported when due.
 *
 * Entries only pile up when AORs are deleted and recreated, or their expiry shortened, without a
 * purge in between; the store calls {@link ExpiryWheel.rebuild} when {@link ExpiryWheel.entries}
 * outgrows the AOR count.
 */
export class ExpiryWheel {
  readonly #buckets = new Map<number, string[]>();
  /** Bucket keys in ascending order (buckets are created at most once per second of expiry). */
  #keys: number[] = [];
  #entries = 0;
  /** Bucket of the last entry added. */
  #lastKey = Number.NaN;

  /** Number of index entries (live and stale). */
  get entries(): number {
    return this.#entries;
  }

  /** True when an AOR whose earliest expiry moved from `previous` to `next` needs a new entry. */
  static movedEarlier(previous: number, next: number): boolean {
    return bucketOf(next) < bucketOf(previous);
  }

  /** Index `aor` at its earliest binding expiry `expiresAt` (epoch ms). */
  add(aor: string, expiresAt: number): void {
    this.#push(aor, bucketOf(expiresAt));
  }

  /**
   * Up to `limit` distinct AORs whose earliest expiry is `<= nowMs`, earliest first, tidying
   * the visited entries. Reported AORs stay indexed: the answer repeats until the AOR changes.
   * @param earliestExpiry - The AOR's current earliest `expiresAt`, or undefined if it is gone.
   */
  collect(nowMs: number, limit: number, earliestExpiry: (aor: string) => number | undefined): string[] {
    const due: string[] = [];
    const nowKey = Math.floor(nowMs / BUCKET_MS);
    const seen = new Set<string>();
    let emptied = false;
    for (let i = 0; i < this.#keys.length && this.#keys[i] <= nowKey && due.length < limit; i++) {
      const key = this.#keys[i];
      const bucket = this.#buckets.get(key) as string[];
      const length = bucket.length;
      let kept = 0;
      let read = 0;
      for (; read < length && due.length < limit; read++) {
        const aor = bucket[read];
        const earliest = earliestExpiry(aor);
        if (earliest === undefined) continue;
        const current = bucketOf(earliest);
        if (current > key) {
          this.#push(aor, current);
          continue;
        }
        if (current < key || seen.has(aor)) continue;
        seen.add(aor);
        if (earliest <= nowMs) due.push(aor);
        bucket[kept++] = aor;
      }
      if (read < length) bucket.copyWithin(kept, read);
      bucket.length = kept + (length - read);
      this.#entries -= read - kept;
      if (bucket.length === 0) {
        this.#buckets.delete(key);
        emptied = true;
      }
    }
    if (emptied) this.#keys = this.#keys.filter((key) => this.#buckets.has(key));
    return due;
  }

  /** Drop every entry and index each `[aor, earliestExpiry]` pair instead. */
  rebuild(pairs: Iterable<readonly [string, number]>): void {
    this.clear();
    for (const [aor, expiresAt] of pairs) this.add(aor, expiresAt);
  }

  /** Drop every entry. */
  clear(): void {
    this.#buckets.clear();
    this.#keys = [];
    this.#entries = 0;
  }

  #push(aor: string, key: number): void {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#trim(this.#lastKey);
      bucket = [];
      this.#buckets.set(key, bucket);
      insertSorted(this.#keys, key);
    }
    bucket.push(aor);
    this.#lastKey = key;
    this.#entries++;
  }

  /**
   * Drop the spare capacity of bucket `key` (a growing array keeps up to half its length
   * unused). Done for the bucket filled last when a new one opens: expiry times mostly move
   * forward with the clock, so that bucket is likely complete. At most one copy per new bucket.
   */
  #trim(key: number): void {
    const bucket = this.#buckets.get(key);
    if (bucket !== undefined) this.#buckets.set(key, bucket.slice());
  }
}
