import { LRUCache } from 'lru-cache';
import type { Endpoint } from '../ports/transport';
import { formatEndpoint } from '../sip/socket-address';
import type { Interner } from './interner';
import { sameList } from './same-list';

/** Values each cache of {@link lruInterner} keeps at most. */
const KEPT_VALUES = 10_000;
/**
 * Characters each cache of {@link lruInterner} keeps at most: the User-Agents (RFC 3261 §20.41)
 * and `Allow` lists (§20.5) of a fleet's phone models fit many times over, while a flood of
 * distinct long values (one 8,000-character User-Agent per REGISTER) can no longer keep 10,000
 * of them, 80 MB, alive after their bindings expired.
 */
const KEPT_CHARS = 1 << 20;

/** An {@link Interner} that tells how much text it keeps. */
export interface LruInterner extends Interner {
  /** Characters of the values kept (User-Agents, and method lists joined by commas). */
  readonly keptChars: number;
}

/** A cache of at most `maxValues` values and `maxChars` characters of keys (an empty key counts one). */
const boundedCache = <V extends object | string>(maxValues: number, maxChars: number): LRUCache<string, V> =>
  new LRUCache<string, V>({ max: maxValues, maxSize: maxChars, sizeCalculation: (_value, key) => key.length + 1 });

/**
 * An {@link Interner} over two bounded LRU caches, with the last value of each kept in front
 * (a fleet of one phone model hits it without building a cache key), and the socket strings of
 * the transport's endpoint objects, formatted once each. A value longer than a cache's whole
 * character budget is not kept: it is returned as given, shared with no other binding.
 */
export function lruInterner(maxValues = KEPT_VALUES, maxChars = KEPT_CHARS): LruInterner {
  const agents = boundedCache<string>(maxValues, maxChars);
  const methods = boundedCache<readonly string[]>(maxValues, maxChars);
  const sockets = new WeakMap<Endpoint, string>();
  let lastAgent = '';
  let lastMethods: readonly string[] = [];
  return {
    get keptChars() {
      return agents.calculatedSize + methods.calculatedSize;
    },
    socket(local) {
      let s = sockets.get(local);
      if (s === undefined) {
        s = formatEndpoint(local);
        sockets.set(local, s);
      }
      return s;
    },
    userAgent(value) {
      if (value === lastAgent) return lastAgent;
      let hit = agents.get(value);
      if (hit === undefined) {
        hit = value;
        agents.set(value, value);
      }
      lastAgent = hit;
      return hit;
    },
    methods(value) {
      if (sameList(value, lastMethods)) return lastMethods;
      const key = value.join(',');
      let hit = methods.get(key);
      if (hit === undefined) {
        hit = Object.freeze(value.slice());
        methods.set(key, hit);
      }
      lastMethods = hit;
      return hit;
    },
  };
}
