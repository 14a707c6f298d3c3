import { randomBytes } from 'node:crypto';

/** Tag of a slot never used. Tags of keys are remapped away from 0 and 1. */
const EMPTY = 0;
/** Tag of a slot whose key was deleted (a tombstone: probing goes on past it). */
const DELETED = 1;
/** Slots of a new table (a power of two). */
const MIN_CAPACITY = 16;

/** `capacity` empty slots: every tag {@link EMPTY}, keys and values undefined. */
function emptySlots<V>(capacity: number): (number | string | V | undefined)[] {
  const slots = new Array<number | string | V | undefined>(3 * capacity).fill(undefined);
  for (let i = 0; i < slots.length; i += 3) slots[i] = EMPTY;
  return slots;
}

/**
 * Whether a stored key equals `key`. Compared by character, which costs the same whatever
 * string representation `key` has (a slice of a Request-URI compares slowly with `===`).
 */
function sameKey(stored: string, key: string): boolean {
  if (stored === key) return true;
  if (stored.length !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (stored.charCodeAt(i) !== key.charCodeAt(i)) return false;
  return true;
}

/**
 * The hash of `key` under `seed`: 32-bit FNV-1a over the UTF-16 code units, started from the
 * seed, then the MurmurHash3 finaliser so that the low bits (the slot index) depend on every
 * character. 30 bits (a small integer on every V8 build), remapped away from the {@link EMPTY}
 * and {@link DELETED} tags.
 */
function hashOf(key: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h = (h ^ (h >>> 16)) & 0x3fffffff;
  return h < 2 ? h + 2 : h;
}

/**
 * A hash table from address-of-record to a value, built for the lookup of one AOR among a
 * million (RFC 3261 §10.2 location service, in process memory).
 *
 * At that size every lookup misses the CPU caches, so the cost is the number of dependent
 * memory reads, not the instructions. A `Map` reads its bucket, then the entry, then the stored
 * key to compare, then the value. This table keeps a 30-bit hash of each key beside the key and
 * its value in one flat array (`[tag, key, value]` per slot, in one cache line), so a hit costs
 * one read of the slot, then the key's text and the value in parallel; a miss almost always stops
 * at the slot.
 *
 * Open addressing with linear probing; deletions leave tombstones, reclaimed when the table is
 * rebuilt (it grows or rebuilds in place when live keys plus tombstones pass 70 % of the slots).
 * The hash is seeded at random per table, so the slot of a key cannot be predicted from outside
 * (hash flooding by crafted AORs).
 *
 * Iteration ({@link AorTable.keys}, {@link AorTable.entries}) walks the slots live: every key
 * present from start to end is visited once; keys added or deleted meanwhile may or may not be.
 */
export class AorTable<V> {
  readonly #seed = randomBytes(4).readInt32LE(0);
  /** `[tag, key, value]` per slot, flat: `slots[3i]`, `slots[3i + 1]`, `slots[3i + 2]`. */
  #slots: (number | string | V | undefined)[] = emptySlots(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  #size = 0;
  #deleted = 0;
  /** The last key hashed and its hash: a save loads, then commits, the same AOR string. */
  #lastKey = '';
  #lastHash = hashOf('', this.#seed);

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    const i = this.#find(key);
    return i < 0 ? undefined : (this.#slots[i + 2] as V);
  }

  /** Sets the value of `key` (added when absent). */
  set(key: string, value: V): void {
    const h = this.#hash(key);
    const slots = this.#slots;
    const mask = this.#mask;
    let free = -1;
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const i = 3 * k;
      const tag = slots[i];
      if (tag === EMPTY) {
        if (free < 0) free = i;
        break;
      }
      if (tag === DELETED) {
        if (free < 0) free = i;
      } else if (tag === h && sameKey(slots[i + 1] as string, key)) {
        slots[i + 2] = value;
        return;
      }
    }
    if (slots[free] === DELETED) this.#deleted--;
    slots[free] = h;
    slots[free + 1] = key;
    slots[free + 2] = value;
    this.#size++;
    if ((this.#size + this.#deleted) * 10 > (mask + 1) * 7) this.#rebuild();
  }

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    const i = this.#find(key);
    if (i < 0) return false;
    const slots = this.#slots;
    slots[i] = DELETED;
    slots[i + 1] = undefined;
    slots[i + 2] = undefined;
    this.#size--;
    this.#deleted++;
    return true;
  }

  /** Removes every key. */
  clear(): void {
    this.#slots = emptySlots(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#size = 0;
    this.#deleted = 0;
  }

  /** Every key (see the class notes on iteration while the table changes). */
  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  /** Every key with its value. */
  *entries(): IterableIterator<[string, V]> {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i += 3) {
      const tag = slots[i];
      if (tag !== EMPTY && tag !== DELETED) yield [slots[i + 1] as string, slots[i + 2] as V];
    }
  }

  #hash(key: string): number {
    if (key !== this.#lastKey) {
      this.#lastKey = key;
      this.#lastHash = hashOf(key, this.#seed);
    }
    return this.#lastHash;
  }

  /** Index of the tag of `key`'s slot in {@link #slots}, or -1. */
  #find(key: string): number {
    const h = this.#hash(key);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const i = 3 * k;
      const tag = slots[i];
      if (tag === h && sameKey(slots[i + 1] as string, key)) return i;
      if (tag === EMPTY) return -1;
    }
  }

  /** Re-inserts every key into a table of at least twice as many slots (tombstones dropped). */
  #rebuild(): void {
    let capacity = MIN_CAPACITY;
    while (capacity < 2 * this.#size) capacity *= 2;
    const old = this.#slots;
    const slots = emptySlots<V>(capacity);
    const mask = capacity - 1;
    for (let o = 0; o < old.length; o += 3) {
      const h = old[o] as number;
      if (h === EMPTY || h === DELETED) continue;
      let k = h & mask;
      while (slots[3 * k] !== EMPTY) k = (k + 1) & mask;
      const i = 3 * k;
      slots[i] = h;
      slots[i + 1] = old[o + 1];
      slots[i + 2] = old[o + 2];
    }
    this.#slots = slots;
    this.#mask = mask;
    this.#deleted = 0;
  }
}
