/**
 * What the in-process benches share: the REGISTER they parse, the parse itself, the rate loop
 * and the number formats. Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { Buffer } from 'node:buffer';
import { parseSipMessage } from '../src/sip/sip-parser';
import type { SipRequest } from '../src/sip/message';

/** `global.gc`, which heap figures need: the benches run with `node --expose-gc`. */
export function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  return gc;
}

/**
 * The minimal REGISTER number `cseq` of subscriber `i` (RFC 3261 §10.2): one Contact without
 * parameters, the lifetime in `Expires`; `user` names the subscriber, and `authorization`, when
 * given, is its `Authorization` value (RFC 3261 §22.4).
 */
export function registerDatagram(i: number, cseq = 1, user: (i: number) => string = benchUser, authorization?: string): Buffer {
  const u = user(i);
  return registerOf(i, cseq, authorization,
    `From: <sip:${u}@example.com>;tag=f${i}\r\n` +
    `To: <sip:${u}@example.com>\r\n`,
    `Contact: <sip:${u}@192.0.2.${i % 250}:${5060 + (i % 1000)};transport=udp>\r\n` +
    `Expires: 3600\r\n`);
}

/**
 * The REGISTER number `cseq` of subscriber `i` as a modern phone sends it (issue 19): display
 * names in From and To, `Supported: path, gruu, outbound`, a `Path` (RFC 3327 §4), and a Contact
 * with `ob`, its lifetime and `q`, a `+sip.instance` and a `reg-id` (RFC 5626 §4.2, RFC 3261
 * §10.2.1.2); `user` and `authorization` as for {@link registerDatagram}.
 */
export function phoneRegisterDatagram(i: number, cseq = 1, user: (i: number) => string = benchUser, authorization?: string): Buffer {
  const u = user(i);
  return registerOf(i, cseq, authorization,
    `From: "User ${i}" <sip:${u}@example.com>;tag=f${i}\r\n` +
    `To: "User ${i}" <sip:${u}@example.com>\r\n`,
    `Supported: path, gruu, outbound\r\n` +
    `Path: <sip:edge.example.net;lr>\r\n` +
    `Contact: <sip:${u}@192.0.2.${i % 250}:${5060 + (i % 1000)};transport=udp;ob>;expires=3600;q=0.8;` +
    `+sip.instance="<urn:uuid:00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}>";reg-id=1\r\n`);
}

/** The two REGISTERs of the benches, each with the name their tables print. */
export const REGISTER_KINDS = [
  { name: 'realistic', datagram: phoneRegisterDatagram },
  { name: 'minimal', datagram: registerDatagram },
] as const;

/** A REGISTER of subscriber `i` around its `fromTo` and `binding` header lines (each ending in CRLF). */
function registerOf(i: number, cseq: number, authorization: string | undefined, fromTo: string, binding: string): Buffer {
  return Buffer.from(
    `REGISTER sip:example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-${i}-${cseq};rport\r\n` +
    `Max-Forwards: 70\r\n` +
    fromTo +
    `Call-ID: ${i.toString(16).padStart(8, '0')}-5d1e-4f0a-9c2b-bench@192.0.2.10\r\n` +
    `CSeq: ${cseq} REGISTER\r\n` +
    binding +
    (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`) +
    `User-Agent: bench-phone/1.0\r\n` +
    `Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE\r\n` +
    `Content-Length: 0\r\n\r\n`, 'latin1');
}

/** The username of bench subscriber `i`, in the domain `example.com` of {@link registerDatagram}. */
export function benchUser(i: number): string {
  return `user${i}`;
}

/** The request in `b`, parsed by sipreg's hot path. */
export function parseRequest(b: Buffer): SipRequest {
  const r = parseSipMessage(b);
  if (!r.ok || r.message.kind !== 'request') throw new Error('bench message does not parse');
  return r.message;
}

/** Runs `run(0 .. n-1)` and answers the calls per second. */
export function rate(n: number, run: (i: number) => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run(i);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** What {@link measure} found: the calls per second of wall time, and the process CPU time per call. */
export interface Measured {
  readonly perSecond: number;
  /**
   * User + system CPU µs of the whole process per call (GC helper threads included): unlike the
   * wall-time rate, it does not grow when other processes take the core away.
   */
  readonly cpuUs: number;
}

/** Runs `run(0 .. n-1)` and answers the calls per second and the CPU µs per call. */
export function measure(n: number, run: (i: number) => unknown): Measured {
  const cpu = process.cpuUsage();
  const perSecond = rate(n, run);
  const used = process.cpuUsage(cpu);
  return { perSecond, cpuUs: (used.user + used.system) / n };
}

/** Runs `await run(0 .. n-1)` one after another, as a host awaits each answer, and answers the calls per second. */
export async function rateAsync(n: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run(i);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** A whole number with thousands separators. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The median of some figures. */
export const median = (xs: readonly number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
