/**
 * One million bindings (not a timed test; run with
 * `node --expose-gc --import tsx bench/location.bench.ts`): lookup() per second, AORs in random
 * and in registration order, and lookupMany() in batches of 16, next to a plain `Map` of objects
 * read the same way; heap bytes per binding saved through the registrar, next to a plain `Map`
 * of objects holding the same fields. Lookups go through `lookupNow`/`lookupManyNow`, the
 * synchronous path the bundled server takes; `bench/register.bench.ts` prices the promise of the
 * public methods. Taken for the bindings of both REGISTERs of `bench-kit.ts`: the realistic one a
 * modern phone sends (`+sip.instance`, `reg-id`, `q`, a Path: RFC 5626 §4.2, RFC 3327) and the
 * minimal one.
 */
import { Buffer } from 'node:buffer';
import { REGISTER_KINDS, fmt, median, parseRequest, rate, requireGc } from './bench-kit';
import { createRegistrar } from '../src/registrar/registrar';
import { MemoryLocationStore } from '../src/stores/memory-location-store';

const gc = requireGc();
/** The user part of subscriber `i`: seven digits, so a Request-URI for it can be written in place. */
const user = (i: number): string => `user${String(i).padStart(7, '0')}`;
const parse = parseRequest;

let sink: unknown;

/** Heap in use plus the memory of array buffers (typed-array indexes live outside the JS heap). */
const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const ROUNDS = 5;

/**
 * Request-URIs as a proxy gets them: `sip:userNNNNNNN@example.com` written into a datagram-like
 * buffer and copied out as an owned flat string (what the parser does), so each lookup reads a
 * string it has never hashed and that sits in the cache, as the Request-URI just parsed does.
 */
const datagram = Buffer.from('sip:user0000000@example.com', 'latin1') as Buffer & { latin1Slice(a: number, b: number): string };
function received(i: number, from: number): string {
  for (let p = 14, n = i; p >= 8; p--, n = Math.floor(n / 10)) datagram[p] = 48 + (n % 10);
  return datagram.latin1Slice(from, datagram.length);
}
const requestUri = (i: number): string => received(i, 0);
/** The `user@domain` key of that Request-URI, for the plain `Map`. */
const mapKey = (i: number): string => received(i, 4);

/** One million bindings saved from REGISTERs of the kind `kind` names: heap per binding and lookup rate. */
function millionBindings(kind: (typeof REGISTER_KINDS)[number]): void {
  const register = (i: number): Buffer => kind.datagram(i, 1, user);
  const N = 1_000_000;
  gc();
  const before = used();
  const store = new MemoryLocationStore();
  const registrar = createRegistrar({ store, purgeIntervalMs: 0 });
  // As the CLI saves: with the source (NAT detection off, socket from the transport's endpoint).
  const local = Object.freeze({ protocol: 'udp' as const, address: '127.0.0.1', port: 5060 });
  for (let i = 0; i < N; i++) {
    const source = { protocol: 'udp' as const, address: `192.0.2.${i % 250}`, port: 5060 + (i % 1000), local };
    registrar.saveNow(parse(register(i)), { noReply: true, source });
  }
  gc();
  const perBinding = (used() - before) / N;

  const beforeMap = used();
  const map = new Map<string, object>();
  for (let i = 0; i < N; i++) {
    const m = parse(register(i));
    const c = m.contacts === '*' ? undefined : m.contacts[0];
    map.set(mapKey(i), {
      contact: c?.uri, callId: m.callId, cseq: m.cseq.seq, expiresAt: Date.now() + 3_600_000, q: -1,
      updatedAt: Date.now(), flags: 0, userAgent: m.userAgent, methods: m.allow, socket: undefined,
    });
  }
  gc();
  const mapPerBinding = (used() - beforeMap) / N;

  // Rounds alternate between sipreg and the Map so that both see the same machine. Each round
  // also times the harness alone (writing and copying out the Request-URI or key), and the
  // lookup rates are given net of it: a proxy's parser has already paid for that string.
  const random = (i: number): number => (i * 7919) % N;
  for (let i = 0; i < 100_000; i++) sink = registrar.lookupNow(requestUri(i));
  const nsPer = (run: (i: number) => unknown): number => 1e9 / rate(N, run);
  // A proxy holding a burst of requests routes them with one lookupMany() call (batches of 16).
  const BATCH = 16;
  const batch = new Array<string>(BATCH);
  const lookupMany = (uri: string, i: number): void => {
    batch[i % BATCH] = uri;
    if (i % BATCH === BATCH - 1) sink = registrar.lookupManyNow(batch);
  };
  const rows = { lookupRandom: [] as number[], lookupSeq: [] as number[], manyRandom: [] as number[], mapRandom: [] as number[], mapSeq: [] as number[] };
  const harness = { uri: [] as number[], key: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    harness.uri.push(nsPer((i) => { sink = requestUri(random(i)); }));
    rows.lookupRandom.push(nsPer((i) => { sink = registrar.lookupNow(requestUri(random(i))); }));
    rows.lookupSeq.push(nsPer((i) => { sink = registrar.lookupNow(requestUri(i)); }));
    rows.manyRandom.push(nsPer((i) => lookupMany(requestUri(random(i)), i)));
    harness.key.push(nsPer((i) => { sink = mapKey(random(i)); }));
    rows.mapRandom.push(nsPer((i) => { sink = map.get(mapKey(random(i))); }));
    rows.mapSeq.push(nsPer((i) => { sink = map.get(mapKey(i)); }));
  }
  const uriNs = median(harness.uri);
  const keyNs = median(harness.key);
  /** Net and gross rates of a row, from its median time per operation and the harness's. */
  const cell = (xs: number[], harnessNs: number): string =>
    `${fmt(1e9 / (median(xs) - harnessNs))} (${fmt(1e9 / median(xs))} with the harness)`;

  console.log(`\n### One million bindings, from the ${kind.name} REGISTER (median of ${ROUNDS} alternating rounds)\n`);
  console.log('| what | sipreg (registrar + memory store) | plain `Map` of objects |');
  console.log('|---|---|---|');
  console.log(`| lookup per second (R-URI → ordered targets), AORs in random order | ${cell(rows.lookupRandom, uriNs)} | ${cell(rows.mapRandom, keyNs)} (get only) |`);
  console.log(`| lookupMany() per second in batches of ${BATCH}, AORs in random order | ${cell(rows.manyRandom, uriNs)} | |`);
  console.log(`| lookup per second, AORs in registration order | ${cell(rows.lookupSeq, uriNs)} | ${cell(rows.mapSeq, keyNs)} (get only) |`);
  console.log(`| harness: write and copy out the Request-URI / key, ns per lookup | ${uriNs.toFixed(0)} | ${keyNs.toFixed(0)} |`);
  console.log(`| memory bytes per binding (heap + array buffers) | ${fmt(perBinding)} | ${fmt(mapPerBinding)} |`);
  sink = [map.size, store];
}

for (const kind of REGISTER_KINDS) millionBindings(kind);
void sink;
