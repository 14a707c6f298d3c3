/**
 * In-process REGISTER benchmark (not a timed test; run with
 * `node --expose-gc --import tsx bench/register.bench.ts`): REGISTER handled end to end on one
 * core (parse the datagram, plan, commit to the memory store, build the 200), next to the bare
 * parse of the same message by SIP.js and by drachtio-sip, measured in the same run. The
 * contenders run in short alternating rounds and each figure is the median of its rounds, so a
 * burst of load on a shared machine skews one round of each rather than one contender.
 */
import type { Buffer } from 'node:buffer';
import { fmt, median, parseRequest, rate, registerDatagram } from './bench-kit';
import { Core } from 'sip-parser';
import drachtio from 'drachtio-sip';
import { createRegistrar } from '../src/registrar/registrar';
import type { SaveResult } from '../src/registrar/save-result';

const register = registerDatagram;
const parse = parseRequest;

let sink: unknown;

/** Alternating rounds of each contender; every figure is the median of its rounds. */
const ROUNDS = 5;
/** REGISTERs per round: each round saves them as new registrations into a fresh registrar, then refreshes them. */
const N = 100_000;
const datagrams = Array.from({ length: N }, (_, i) => register(i));
const refresh = Array.from({ length: N }, (_, i) => register(i, 2));
const one = datagrams[0].toString('latin1');
const noopLogger = { debug() {}, log() {}, warn() {}, error() {} };

interface SipregRound { readonly first: number; readonly refresh: number; readonly scan: number }

/** One round of sipreg: N new REGISTERs end to end, their N refreshes, then N bare parses. */
function sipregRound(): SipregRound {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  const save = (b: Buffer): SaveResult => registrar.save(parse(b)) as SaveResult;
  const first = rate(N, (i) => {
    const r = save(datagrams[i]);
    if (r.response === undefined) throw new Error('expected a synchronous 200');
    sink = r.response;
  });
  const again = rate(N, (i) => { sink = save(refresh[i]).response; });
  void registrar.close();
  return { first, refresh: again, scan: rate(N, (i) => { sink = parse(datagrams[i]); }) };
}

/**
 * One round of drachtio-sip: parse the same datagrams and read the fields a registrar needs,
 * parsed where it needs their parts (the top Via for the reply, the To URI for the AOR, the
 * Contact URIs with their parameters, the CSeq number) and as text otherwise.
 */
function drachtioRound(): number {
  return rate(N / 2, (i) => {
    const m = new drachtio.SipMessage(datagrams[i].toString('latin1'));
    sink = [m.getParsedHeader('Via'), m.getParsedHeader('To'), m.getParsedHeader('Contact'), m.getParsedHeader('CSeq'), m.get('Call-ID'), m.get('Expires')];
  });
}

// Warm-up: every path compiled before the first timed round.
{
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  for (let i = 0; i < 20_000; i++) sink = (registrar.save(parse(datagrams[i])) as SaveResult).response;
  void registrar.close();
  for (let i = 0; i < 5_000; i++) sink = new drachtio.SipMessage(datagrams[i].toString('latin1')).get('Contact');
}

const sipreg: SipregRound[] = [];
const drachtioRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    sipreg.push(sipregRound());
    drachtioRates.push(drachtioRound());
  } else {
    drachtioRates.push(drachtioRound());
    sipreg.push(sipregRound());
  }
}
const sipjsRate = rate(300, () => { sink = Core.Parser.parseMessage(one, noopLogger as never); });

console.log(`\n### REGISTER handling, one core (in process; median of ${ROUNDS} alternating rounds)\n`);
console.log('| what | per second |');
console.log('|---|---|');
console.log(`| sipreg: new REGISTER end to end (parse, plan, commit to memory store, 200 OK bytes) | ${fmt(median(sipreg.map((r) => r.first)))} |`);
console.log(`| sipreg: refresh REGISTER end to end | ${fmt(median(sipreg.map((r) => r.refresh)))} |`);
console.log(`| sipreg scanner: parse only | ${fmt(median(sipreg.map((r) => r.scan)))} |`);
console.log(`| drachtio-sip 0.6: parse + read the registrar's headers | ${fmt(median(drachtioRates))} |`);
console.log(`| SIP.js 0.21 \`Parser.parseMessage\`: parse only | ${fmt(sipjsRate)} |`);

void sink;
