/**
 * Heap cost and lookup speed of the in-memory location store at one million AORs.
 *
 *   node --expose-gc --import tsx bench/memory-store.bench.ts [aorCount]
 *
 * Bytes per binding = (memory after building - memory before) / aorCount, both after a full GC,
 * where memory is the JS heap plus array buffers (the store's hash tags live in one). The count includes the binding objects and their strings, the same in every row,
 * built as a parser would (flat strings decoded from wire bytes).
 */
import { performance } from 'node:perf_hooks';
import type { Binding } from '../src/ports/binding';
import { MemoryLocationStore } from '../src/stores/memory-location-store';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with: node --expose-gc --import tsx bench/memory-store.bench.ts');
  process.exit(1);
}

const AOR_COUNT = Number(process.argv[2] ?? 1_000_000);
const NOW = 1_700_000_000_000;
const USER_AGENT = 'Linphone/5.2.0 (belle-sip/5.2.0)';

/** A flat string, as decoded from a received datagram (no cons or sliced string). */
const wire = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');

const aorOf = (i: number): string => wire(`sip:user${100000 + i}@example.com`);

const bindingOf = (i: number): Binding => ({
  contact: wire(`sip:user${100000 + i}@192.0.2.${i % 250}:${5060 + (i % 1000)};transport=udp`),
  callId: wire((i * 2654435761).toString(16).padStart(16, '0') + (i * 40503).toString(16).padStart(16, '0')).slice(-32),
  cseq: 1 + (i % 100),
  expiresAt: NOW + 3_600_000 + (i % 3_600) * 1000,
  q: -1,
  updatedAt: NOW + (i % 1000),
  flags: 0,
  userAgent: USER_AGENT,
});

const heapUsed = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Heap bytes per AOR retained by `build()`'s result. */
const bytesPerBinding = (build: () => unknown): number => {
  const before = heapUsed();
  const kept = build();
  const after = heapUsed();
  if (kept === undefined) throw new Error('nothing built');
  return (after - before) / AOR_COUNT;
};

const rows: { structure: string; bytesPerBinding: string }[] = [];
const measure = (structure: string, build: () => unknown): void => {
  rows.push({ structure, bytesPerBinding: bytesPerBinding(build).toFixed(0) });
};

measure('Binding objects only (array, data floor)', () => {
  const all: Binding[] = new Array(AOR_COUNT);
  for (let i = 0; i < AOR_COUNT; i++) all[i] = bindingOf(i);
  return all;
});
measure('baseline Map<string, Binding>', () => {
  const map = new Map<string, Binding>();
  for (let i = 0; i < AOR_COUNT; i++) map.set(aorOf(i), bindingOf(i));
  return map;
});
measure('baseline Map<string, {bindings, version}>', () => {
  const map = new Map<string, { bindings: Binding[]; version: number }>();
  for (let i = 0; i < AOR_COUNT; i++) map.set(aorOf(i), { bindings: [bindingOf(i)], version: 1 });
  return map;
});

let store: MemoryLocationStore | undefined;
measure('MemoryLocationStore', () => {
  store = new MemoryLocationStore();
  for (let i = 0; i < AOR_COUNT; i++) store.commit(aorOf(i), null, [bindingOf(i)]);
  return store;
});
console.table(rows);

if (store === undefined) throw new Error('store not built');
const built: MemoryLocationStore = store;
const LOOKUPS = 4_000_000;
const keys: string[] = new Array(4096);
for (let k = 0; k < keys.length; k++) keys[k] = aorOf(Math.floor((k * 2654435761) % AOR_COUNT));

const rate = (ops: number, run: () => number): string => {
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    const sink = run();
    const perSec = ops / ((performance.now() - start) / 1000);
    if (sink < 0) throw new Error('unreachable');
    best = Math.max(best, perSec);
  }
  return Math.round(best).toLocaleString('en-US');
};

const speed: { operation: string; opsPerSec: string }[] = [];
speed.push({
  operation: `load() at ${AOR_COUNT.toLocaleString('en-US')} AORs`,
  opsPerSec: rate(LOOKUPS, () => {
    let found = 0;
    for (let i = 0; i < LOOKUPS; i++) found += built.load(keys[i & 4095]).bindings.length;
    return found;
  }),
});
const REFRESHES = 1_000_000;
speed.push({
  operation: 'load() + commit() refresh (CAS)',
  opsPerSec: rate(REFRESHES, () => {
    let committed = 0;
    for (let i = 0; i < REFRESHES; i++) {
      const snapshot = built.load(keys[i & 4095]);
      const refreshed = { ...snapshot.bindings[0], expiresAt: snapshot.bindings[0].expiresAt + 1000 };
      if (built.commit(snapshot.aor, snapshot.version, [refreshed]).ok) committed++;
    }
    return committed;
  }),
});
const startPurge = performance.now();
const due = built.expiredAors(NOW + 3_600_000 + 10_000, 1000);
speed.push({
  operation: `expiredAors(limit 1000) -> ${due.length} AORs, ms`,
  opsPerSec: (performance.now() - startPurge).toFixed(3),
});
console.table(speed);
