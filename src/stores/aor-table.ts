import { randomBytes } from 'node:crypto';

/** Tag of a slot never used. */
const EMPTY = 0;
/** Tag of a slot whose key was deleted (a tombstone: probing goes on past it). */
const DELETED = 1;
/** Slots of a new table (a power of two). */
const MIN_CAPACITY = 16;
/**
 * A delete that leaves fewer live keys than one slot in this many rebuilds the table at its
 * size (half full): the slots of a peak are given back once its AORs expire, and a table that
 * shrank must lose or gain a constant share of its keys again before it rebuilds again.
 */
const SHRINK_BELOW = 8;

/**
 * The hash of `text.slice(start, end)` under `seed`: 32-bit FNV-1a over the UTF-16 code units,
 * started from the seed, then the MurmurHash3 finaliser so that every bit depends on every
 * character.
 */
function hashOf(text: string, start: number, end: number, seed: number): number {
  let h = seed;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Whether `key` is the text of `text` from `start` to `end`. */
function sameText(key: string, text: string, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}

/** The 32 bits of `h` in reverse order, as an unsigned number. */
function reverseBits(h: number): number {
  let r = ((h >>> 1) & 0x55555555) | ((h & 0x55555555) << 1);
  r = ((r >>> 2) & 0x33333333) | ((r & 0x33333333) << 2);
  r = ((r >>> 4) & 0x0f0f0f0f) | ((r & 0x0f0f0f0f) << 4);
  r = ((r >>> 8) & 0x00ff00ff) | ((r & 0x00ff00ff) << 8);
  return ((r >>> 16) | (r << 16)) >>> 0;
}

/**
 * Where a paged listing ({@link AorTable.keysAfter}) stands: the last key listed and its rank
 * (its hash with the bits reversed).
 */
export interface ScanPosition {
  readonly rank: number;
  readonly key: string;
}

/** Whether key `key` of rank `rank` comes after `position` in the scan order. */
const isAfter = (rank: number, key: string, position: ScanPosition): boolean =>
  rank > position.rank || (rank === position.rank && key > position.key);

/** The 8-bit tag of a hash: its top byte (the slot index uses the low bits), never EMPTY or DELETED. */
const tagOf = (h: number): number => {
  const t = h >>> 24;
  return t > DELETED ? t : t + 2;
};

/**
 * A hash table from address-of-record to a value, built for the lookup of one AOR among a
 * million (RFC 3261 §10.2 location service, in process memory).
 *
 * At that size a lookup misses the CPU caches and the TLB, so its cost is the number of
 * dependent memory reads, not instructions. A `Map` reads its bucket, then the entry, then the
 * stored key to compare, then the value. This table keeps one byte of each key's hash in a
 * `Uint8Array` (2 MB for a million AORs, which the caches keep) and the key beside its value in
 * one array (`slots[2i]`, `slots[2i + 1]`: one cache line). A hit reads the tag from cache, then
 * the key/value pair, then the key's text and the value; a miss almost always stops at the tags
 * (a foreign key shares a tag with probability 1/254).
 *
 * Open addressing with linear probing; deletions leave tombstones, reclaimed when the table is
 * rebuilt (it grows, or rebuilds at its size, when live keys plus tombstones pass 70 % of the
 * slots, and shrinks when live keys fall under an eighth of them, so that a flood of AORs that
 * then expire leaves no peak-sized arrays behind). The hash is seeded at random per table, so
 * the slot of a key cannot be predicted from outside (hash flooding by crafted AORs).
 *
 * Iteration ({@link AorTable.keys}, {@link AorTable.entries}) walks the slots live: every key
 * present from start to end is visited once; keys added or deleted meanwhile may or may not be.
 * A paged listing ({@link AorTable.keysAfter}) holds no iterator between pages and survives
 * rebuilds (the Redis `SCAN` idea): keys are listed in the order of their reversed hash, and the
 * home slots of a table of 2^k slots, taken in bit-reversed order, follow that order whatever k.
 */
export class AorTable<V> {
  readonly #seed = randomBytes(4).readInt32LE(0);
  #tags = new Uint8Array(MIN_CAPACITY);
  #slots: (string | V | undefined)[] = emptySlots<V>(MIN_CAPACITY);
  #size = 0;
  #deleted = 0;
  /** The last key hashed and its hash: a save loads, then commits, the same AOR string. */
  #lastKey = '';
  #lastHash = hashOf('', 0, 0, this.#seed);
  /** What {@link AorTable.slotsIn} read ahead, kept so that the reads are not optimised away. */
  #touched = 0;

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Number of slots allocated (two array entries and one tag byte each). */
  get capacity(): number {
    return this.#tags.length;
  }

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    const i = this.#find(key);
    return i < 0 ? undefined : (this.#slots[2 * i + 1] as V);
  }

  /** The slot of the key equal to `text.slice(start, end)`, whose hash is `h`, or -1. */
  #probeIn(text: string, start: number, end: number, h: number): number {
    const tag = tagOf(h);
    const tags = this.#tags;
    const mask = tags.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const t = tags[i];
      if (t === tag && sameText(this.#slots[2 * i] as string, text, start, end)) return i;
      if (t === EMPTY) return -1;
    }
  }

  /**
   * The slots of the keys equal to `texts[k].slice(starts[k], ends[k])` into `slots[k]` (-1 when
   * absent), found without building those strings and with their memory reads overlapped; read
   * them with {@link AorTable.keyAt} and {@link AorTable.valueAt} before the table changes.
   *
   * One lookup among a million keys is a chain of dependent cache misses (tag, key/value pair,
   * key text and value); done one after the other, each waits for the last. Here the first two
   * passes read every range's home slot, key and value (`touch` reads into a value) before any
   * waits on another, so the misses of the whole batch are in flight together; the exact probes
   * then find those lines in cache. (A single range is not offered: compared character by
   * character while its key is still in flight, it measured slower than `get` of a flat copy.)
   */
  slotsIn(texts: readonly string[], starts: ArrayLike<number>, ends: ArrayLike<number>, slots: Int32Array, touch: (value: V) => number): void {
    const n = texts.length;
    const tags = this.#tags;
    const pairs = this.#slots;
    const mask = tags.length - 1;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const h = hashOf(texts[k], starts[k], ends[k], this.#seed);
      slots[k] = h;
      sum += tags[h & mask];
    }
    for (let k = 0; k < n; k++) {
      const home = slots[k] & mask;
      const key = pairs[2 * home];
      if (key !== undefined) sum += (key as string).length + touch(pairs[2 * home + 1] as V);
    }
    this.#touched ^= sum;
    for (let k = 0; k < n; k++) slots[k] = this.#probeIn(texts[k], starts[k], ends[k], slots[k] >>> 0);
  }

  /** The key in slot `i` (from {@link AorTable.slotsIn}). */
  keyAt(i: number): string {
    return this.#slots[2 * i] as string;
  }

  /** The value in slot `i` (from {@link AorTable.slotsIn}). */
  valueAt(i: number): V {
    return this.#slots[2 * i + 1] as V;
  }

  /** Sets the value of `key` (added when absent). */
  set(key: string, value: V): void {
    const h = this.#hash(key);
    const tag = tagOf(h);
    const tags = this.#tags;
    const slots = this.#slots;
    const mask = tags.length - 1;
    let free = -1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const t = tags[i];
      if (t === EMPTY) {
        if (free < 0) free = i;
        break;
      }
      if (t === DELETED) {
        if (free < 0) free = i;
      } else if (t === tag && slots[2 * i] === key) {
        slots[2 * i + 1] = value;
        return;
      }
    }
    if (tags[free] === DELETED) this.#deleted--;
    tags[free] = tag;
    slots[2 * free] = key;
    slots[2 * free + 1] = value;
    this.#size++;
    if ((this.#size + this.#deleted) * 10 > tags.length * 7) this.#rebuild();
  }

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    const i = this.#find(key);
    if (i < 0) return false;
    this.#tags[i] = DELETED;
    this.#slots[2 * i] = undefined;
    this.#slots[2 * i + 1] = undefined;
    this.#size--;
    this.#deleted++;
    if (this.#size * SHRINK_BELOW < this.#tags.length && this.#tags.length > MIN_CAPACITY) this.#rebuild();
    return true;
  }

  /** Removes every key. */
  clear(): void {
    this.#tags = new Uint8Array(MIN_CAPACITY);
    this.#slots = emptySlots<V>(MIN_CAPACITY);
    this.#size = 0;
    this.#deleted = 0;
  }

  /**
   * Up to `limit` keys after `after` (from the first when undefined) in the scan order (reversed
   * hash, then key), and the position to pass for the next page (undefined after the last key).
   * Each page visits the home slots in bit-reversed order and, for each, its probe run up to the
   * first empty slot, hashing the keys met to keep those whose home it is: about `limit` times
   * the mean run length of work, whatever the size of the table. A key present from the first
   * page to the last is listed once, even when the table is rebuilt between pages (see the class
   * notes); keys added or deleted meanwhile may or may not be.
   */
  keysAfter(after: ScanPosition | undefined, limit: number): { readonly keys: string[]; readonly next: ScanPosition | undefined } {
    const tags = this.#tags;
    const slots = this.#slots;
    const capacity = tags.length;
    const mask = capacity - 1;
    const shift = Math.clz32(capacity) + 1;
    const keys: string[] = [];
    let last: ScanPosition | undefined;
    const home: ScanPosition[] = [];
    for (let b = after === undefined ? 0 : after.rank >>> shift; b < capacity && keys.length < limit; b++) {
      const slot = reverseBits(b << shift);
      home.length = 0;
      for (let i = slot; tags[i] !== EMPTY; i = (i + 1) & mask) {
        if (tags[i] <= DELETED) continue;
        const key = slots[2 * i] as string;
        const h = hashOf(key, 0, key.length, this.#seed);
        if ((h & mask) !== slot) continue;
        const rank = reverseBits(h);
        if (after === undefined || isAfter(rank, key, after)) home.push({ rank, key });
      }
      home.sort((x, y) => x.rank - y.rank || (x.key < y.key ? -1 : 1));
      for (let k = 0; k < home.length && keys.length < limit; k++) {
        last = home[k];
        keys.push(last.key);
      }
    }
    return { keys, next: keys.length < limit ? undefined : last };
  }

  /** Every key (see the class notes on iteration while the table changes). */
  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  /** Every key with its value. */
  *entries(): IterableIterator<[string, V]> {
    const tags = this.#tags;
    const slots = this.#slots;
    for (let i = 0; i < tags.length; i++) {
      if (tags[i] > DELETED) yield [slots[2 * i] as string, slots[2 * i + 1] as V];
    }
  }

  #hash(key: string): number {
    if (key !== this.#lastKey) {
      this.#lastKey = key;
      this.#lastHash = hashOf(key, 0, key.length, this.#seed);
    }
    return this.#lastHash;
  }

  /** Slot of `key`, or -1. */
  #find(key: string): number {
    const h = this.#hash(key);
    const tag = tagOf(h);
    const tags = this.#tags;
    const mask = tags.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const t = tags[i];
      if (t === tag && this.#slots[2 * i] === key) return i;
      if (t === EMPTY) return -1;
    }
  }

  /**
   * Re-inserts every key into a table of the smallest power of two of slots (at least
   * {@link MIN_CAPACITY}) that is twice the keys or more, tombstones dropped: larger when it
   * grows, smaller when it shrinks. Tags keep only 8 bits of a hash, so each key is hashed
   * again for its slot.
   */
  #rebuild(): void {
    let capacity = MIN_CAPACITY;
    while (capacity < 2 * this.#size) capacity *= 2;
    const oldTags = this.#tags;
    const oldSlots = this.#slots;
    const tags = new Uint8Array(capacity);
    const slots = emptySlots<V>(capacity);
    const mask = capacity - 1;
    for (let k = 0; k < oldTags.length; k++) {
      if (oldTags[k] <= DELETED) continue;
      const key = oldSlots[2 * k] as string;
      let i = hashOf(key, 0, key.length, this.#seed) & mask;
      while (tags[i] !== EMPTY) i = (i + 1) & mask;
      tags[i] = oldTags[k];
      slots[2 * i] = key;
      slots[2 * i + 1] = oldSlots[2 * k + 1];
    }
    this.#tags = tags;
    this.#slots = slots;
    this.#deleted = 0;
  }
}

/** `capacity` empty key/value pairs. */
function emptySlots<V>(capacity: number): (string | V | undefined)[] {
  return new Array<string | V | undefined>(2 * capacity).fill(undefined);
}
