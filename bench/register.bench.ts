/**
 * In-process REGISTER benchmark (not a timed test; run with
 * `node --expose-gc --import tsx bench/register.bench.ts`): REGISTER handled end to end on one
 * core (parse the datagram, plan, commit to the memory store, build the 200), next to the bare
 * parse of the same message by SIP.js and by drachtio-sip, measured in the same run. Each
 * REGISTER row is taken twice: through `saveNow`, the synchronous path the bundled server takes
 * (a value, no promise, with a synchronous store), and through the public `save`, which always
 * answers with a promise, awaited one after another as a host's handler awaits it. The
 * contenders run in short alternating rounds and each figure is the median of its rounds, so a
 * burst of load on a shared machine skews one round of each rather than one contender.
 */
import type { Buffer } from 'node:buffer';
import { fmt, median, parseRequest, rate, rateAsync, registerDatagram } from './bench-kit';
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

interface SipregRound {
  readonly first: number;
  readonly refresh: number;
  /** The same through the public, promise-returning `save`, each awaited. */
  readonly firstAwaited: number;
  readonly refreshAwaited: number;
  readonly scan: number;
}

/** N new REGISTERs end to end into a fresh registrar, then their N refreshes, through `saveNow`. */
function syncSaves(): { first: number; refresh: number } {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  const save = (b: Buffer): SaveResult => {
    const r = registrar.saveNow(parse(b));
    if (r instanceof Promise) throw new Error('expected a synchronous answer from the memory store');
    return r;
  };
  const first = rate(N, (i) => {
    const r = save(datagrams[i]);
    if (r.response === undefined) throw new Error('expected a 200');
    sink = r.response;
  });
  const again = rate(N, (i) => { sink = save(refresh[i]).response; });
  void registrar.close();
  return { first, refresh: again };
}

/** The same through the public `save`: a promise per REGISTER, awaited before the next. */
async function awaitedSaves(): Promise<{ first: number; refresh: number }> {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  const first = await rateAsync(N, async (i) => {
    const r = await registrar.save(parse(datagrams[i]));
    if (r.response === undefined) throw new Error('expected a 200');
    sink = r.response;
  });
  const again = await rateAsync(N, async (i) => { sink = (await registrar.save(parse(refresh[i]))).response; });
  await registrar.close();
  return { first, refresh: again };
}

/** Round `round` of sipreg: N new REGISTERs end to end and their N refreshes, each way; then N bare parses. */
async function sipregRound(round: number): Promise<SipregRound> {
  // Which way goes first alternates too, so neither always inherits the other's garbage.
  const awaitedFirst = round % 4 >= 2;
  const early = awaitedFirst ? await awaitedSaves() : syncSaves();
  const late = awaitedFirst ? syncSaves() : await awaitedSaves();
  const [sync, awaited] = awaitedFirst ? [late, early] : [early, late];
  return { first: sync.first, refresh: sync.refresh, firstAwaited: awaited.first, refreshAwaited: awaited.refresh, scan: rate(N, (i) => { sink = parse(datagrams[i]); }) };
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
  for (let i = 0; i < 20_000; i++) sink = (registrar.saveNow(parse(datagrams[i])) as SaveResult).response;
  void registrar.close();
  const awaited = createRegistrar({ purgeIntervalMs: 0 });
  for (let i = 0; i < 20_000; i++) sink = (await awaited.save(parse(datagrams[i]))).response;
  await awaited.close();
  for (let i = 0; i < 5_000; i++) sink = new drachtio.SipMessage(datagrams[i].toString('latin1')).get('Contact');
}

const sipreg: SipregRound[] = [];
const drachtioRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    sipreg.push(await sipregRound(round));
    drachtioRates.push(drachtioRound());
  } else {
    drachtioRates.push(drachtioRound());
    sipreg.push(await sipregRound(round));
  }
}
const sipjsRate = rate(300, () => { sink = Core.Parser.parseMessage(one, noopLogger as never); });

console.log(`\n### REGISTER handling, one core (in process; median of ${ROUNDS} alternating rounds)\n`);
console.log('| what | per second |');
console.log('|---|---|');
const perSecond = (pick: (r: SipregRound) => number): string => fmt(median(sipreg.map(pick)));
/** What the promise of the public `save` costs per REGISTER, from the medians of the two ways. */
const promiseNs = (sync: (r: SipregRound) => number, awaited: (r: SipregRound) => number): string =>
  (1e9 / median(sipreg.map(awaited)) - 1e9 / median(sipreg.map(sync))).toFixed(0);
console.log(`| sipreg: new REGISTER end to end (parse, plan, commit to memory store, 200 OK bytes), \`saveNow\` (the server's synchronous path) | ${perSecond((r) => r.first)} |`);
console.log(`| sipreg: new REGISTER end to end, public \`await registrar.save()\` (+${promiseNs((r) => r.first, (r) => r.firstAwaited)} ns per REGISTER) | ${perSecond((r) => r.firstAwaited)} |`);
console.log(`| sipreg: refresh REGISTER end to end, \`saveNow\` | ${perSecond((r) => r.refresh)} |`);
console.log(`| sipreg: refresh REGISTER end to end, public \`await registrar.save()\` (+${promiseNs((r) => r.refresh, (r) => r.refreshAwaited)} ns per REGISTER) | ${perSecond((r) => r.refreshAwaited)} |`);
console.log(`| sipreg scanner: parse only | ${fmt(median(sipreg.map((r) => r.scan)))} |`);
console.log(`| drachtio-sip 0.6: parse + read the registrar's headers | ${fmt(median(drachtioRates))} |`);
console.log(`| SIP.js 0.21 \`Parser.parseMessage\`: parse only | ${fmt(sipjsRate)} |`);

void sink;
