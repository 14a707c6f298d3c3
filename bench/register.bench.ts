/**
 * In-process REGISTER benchmark (not a timed test; run with
 * `node --expose-gc --import tsx bench/register.bench.ts`): REGISTER handled end to end on one
 * core (parse the datagram, plan, commit to the memory store, build the 200), next to the bare
 * parse of the same message by SIP.js and by drachtio-sip, measured in the same run.
 */
import { Buffer } from 'node:buffer';
import { Core } from 'sip-parser';
import drachtio from 'drachtio-sip';
import { createRegistrar } from '../src/registrar/registrar';
import { parseSipMessage } from '../src/sip/sip-parser';
import type { SipRequest } from '../src/sip/message';
import type { SaveResult } from '../src/registrar/save-result';

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

// 1. End-to-end REGISTER handling.
{
  const N = 200_000;
  const datagrams = Array.from({ length: N }, (_, i) => register(i));
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  const handle = (i: number): void => {
    const r = registrar.save(parse(datagrams[i])) as SaveResult;
    if (r.response === undefined) throw new Error('expected a synchronous 200');
    sink = r.response;
  };
  for (let i = 0; i < 20_000; i++) handle(i); // warm-up (first registrations)
  const firstRate = rate(N - 20_000, (i) => handle(i + 20_000));
  const refresh = Array.from({ length: N }, (_, i) => register(i, 2));
  const refreshRate = rate(N, (i) => { sink = (registrar.save(parse(refresh[i])) as SaveResult).response; });
  const one = datagrams[0].toString('latin1');
  const noopLogger = { debug() {}, log() {}, warn() {}, error() {} };
  const sipjsRate = rate(300, () => { sink = Core.Parser.parseMessage(one, noopLogger as never); });
  const drachtioRate = rate(50_000, (i) => {
    const m = new drachtio.SipMessage(datagrams[i % N].toString('latin1'));
    sink = [m.get('Call-ID'), m.get('CSeq'), m.get('Contact'), m.get('To'), m.get('Expires')];
  });
  const scanRate = rate(N, (i) => { sink = parse(datagrams[i]); });
  console.log('\n### REGISTER handling, one core (in process)\n');
  console.log('| what | per second |');
  console.log('|---|---|');
  console.log(`| sipreg: new REGISTER end to end (parse, plan, commit to memory store, 200 OK bytes) | ${fmt(firstRate)} |`);
  console.log(`| sipreg: refresh REGISTER end to end | ${fmt(refreshRate)} |`);
  console.log(`| sipreg scanner: parse only | ${fmt(scanRate)} |`);
  console.log(`| drachtio-sip 0.6: parse + read the registrar's headers | ${fmt(drachtioRate)} |`);
  console.log(`| SIP.js 0.21 \`Parser.parseMessage\`: parse only | ${fmt(sipjsRate)} |`);
  void registrar.close();
}

void sink;
