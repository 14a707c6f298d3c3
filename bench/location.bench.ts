/**
 * One million bindings (not a timed test; run with
 * `node --expose-gc --import tsx bench/location.bench.ts`): lookup() per second, AORs in random
 * and in registration order, next to a plain `Map` of objects read the same way; heap bytes per
 * binding saved through the registrar, next to a plain `Map` of objects holding the same fields.
 */
import { Buffer } from 'node:buffer';
import { createRegistrar } from '../src/registrar/registrar';
import { MemoryLocationStore } from '../src/stores/memory-location-store';
import { parseSipMessage } from '../src/sip/sip-parser';
import type { SipRequest } from '../src/sip/message';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function register(i: number, cseq = 1): Buffer {
  return Buffer.from(
    `REGISTER sip:example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-${i}-${cseq};rport\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:user${i}@example.com>;tag=f${i}\r\n` +
    `To: <sip:user${i}@example.com>\r\n` +
    `Call-ID: ${i.toString(16).padStart(8, '0')}-5d1e-4f0a-9c2b-bench@192.0.2.10\r\n` +
    `CSeq: ${cseq} REGISTER\r\n` +
    `Contact: <sip:user${i}@192.0.2.${i % 250}:${5060 + (i % 1000)};transport=udp>\r\n` +
    `Expires: 3600\r\n` +
    `User-Agent: bench-phone/1.0\r\n` +
    `Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE\r\n` +
    `Content-Length: 0\r\n\r\n`, 'latin1');
}

function parse(b: Buffer): SipRequest {
  const r = parseSipMessage(b);
  if (!r.ok || r.message.kind !== 'request') throw new Error('bench message does not parse');
  return r.message;
}

function rate(n: number, run: (i: number) => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run(i);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
let sink: unknown;

// 2 and 3. One million bindings: heap per binding and lookup rate.
{
  const N = 1_000_000;
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new MemoryLocationStore();
  const registrar = createRegistrar({ store, purgeIntervalMs: 0 });
  // As the CLI saves: with the source (NAT detection off, socket from the transport's endpoint).
  const local = Object.freeze({ protocol: 'udp' as const, address: '127.0.0.1', port: 5060 });
  for (let i = 0; i < N; i++) {
    const source = { protocol: 'udp' as const, address: `192.0.2.${i % 250}`, port: 5060 + (i % 1000), local };
    registrar.save(parse(register(i)), { noReply: true, source });
  }
  gc();
  const perBinding = (process.memoryUsage().heapUsed - before) / N;

  const uris = Array.from({ length: N }, (_, i) => `sip:user${i}@example.com`);
  for (let i = 0; i < 100_000; i++) sink = registrar.lookup(uris[i]);
  const lookupRate = rate(N, (i) => { sink = registrar.lookup(uris[(i * 7919) % N]); });
  const lookupSeqRate = rate(N, (i) => { sink = registrar.lookup(uris[i]); });

  gc();
  const beforeMap = process.memoryUsage().heapUsed;
  const map = new Map<string, object>();
  for (let i = 0; i < N; i++) {
    const m = parse(register(i));
    const c = m.contacts === '*' ? undefined : m.contacts[0];
    map.set(`user${i}@example.com`, {
      contact: c?.uri, callId: m.callId, cseq: m.cseq.seq, expiresAt: Date.now() + 3_600_000, q: -1,
      updatedAt: Date.now(), flags: 0, userAgent: m.userAgent, methods: m.allow, socket: undefined,
    });
  }
  gc();
  const mapPerBinding = (process.memoryUsage().heapUsed - beforeMap) / N;
  const keys = Array.from({ length: N }, (_, i) => `user${i}@example.com`);
  const mapRate = rate(N, (i) => { sink = map.get(keys[(i * 7919) % N]); });
  const mapSeqRate = rate(N, (i) => { sink = map.get(keys[i]); });

  console.log('\n### One million bindings\n');
  console.log('| what | sipreg (registrar + memory store) | plain `Map` of objects |');
  console.log('|---|---|---|');
  console.log(`| lookup per second (R-URI → ordered targets), AORs in random order | ${fmt(lookupRate)} | ${fmt(mapRate)} (get only) |`);
  console.log(`| lookup per second, AORs in registration order | ${fmt(lookupSeqRate)} | ${fmt(mapSeqRate)} (get only) |`);
  console.log(`| heap bytes per binding | ${fmt(perBinding)} | ${fmt(mapPerBinding)} |`);
  sink = [map.size, store];
}
void sink;
