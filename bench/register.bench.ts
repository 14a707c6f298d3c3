/**
 * In-process REGISTER benchmark (not a timed test; run with
 * `node --expose-gc --import tsx bench/register.bench.ts`): REGISTER handled end to end on one
 * core (parse the datagram, plan, commit to the memory store, build the 200), next to the bare
 * parse of the same message by SIP.js and by drachtio-sip, measured in the same run, for both
 * REGISTERs of `bench-kit.ts`: the one a modern phone sends (display names, `Supported`, `Path`,
 * a Contact with `ob`, `+sip.instance` and `reg-id`, RFC 5626 §4.2) and the minimal one. Each
 * REGISTER row is taken twice: through `saveNow`, the synchronous path the bundled server takes
 * (a value, no promise, with a synchronous store), and through the public `save`, which always
 * answers with a promise, awaited one after another as a host's handler awaits it. The
 * contenders run in short alternating rounds and each figure is the median of its rounds, so a
 * burst of load on a shared machine skews one round of each rather than one contender.
 * Target (issue 19): the realistic new REGISTER end to end at 120,000/s or more, and at least
 * drachtio-sip's rate for parsing it and reading the same fields.
 */
import type { Buffer } from 'node:buffer';
import { REGISTER_KINDS, fmt, median, parseRequest, rate, rateAsync, requireGc } from './bench-kit';
import { Core } from 'sip-parser';
import drachtio from 'drachtio-sip';
import { createRegistrar } from '../src/registrar/registrar';
import type { SaveResult } from '../src/registrar/save-result';

const parse = parseRequest;
/** Every timed loop starts on a collected heap, so none pays for the garbage of the one before it. */
const gc = requireGc();

let sink: unknown;

/** Alternating rounds of each contender; every figure is the median of its rounds. */
const ROUNDS = 5;
/** REGISTERs per round: each round saves them as new registrations into a fresh registrar, then refreshes them. */
const N = 100_000;
/** The target of the realistic new REGISTER end to end, per second (issue 19). */
const TARGET_PER_SECOND = 120_000;
const noopLogger = { debug() {}, log() {}, warn() {}, error() {} };

/** One REGISTER kind's datagrams: N new registrations and their N refreshes. */
interface Load {
  readonly name: string;
  readonly datagrams: readonly Buffer[];
  readonly refresh: readonly Buffer[];
}

const loads: Load[] = REGISTER_KINDS.map(({ name, datagram }) => ({
  name,
  datagrams: Array.from({ length: N }, (_, i) => datagram(i)),
  refresh: Array.from({ length: N }, (_, i) => datagram(i, 2)),
}));

interface SipregRound {
  readonly first: number;
  readonly refresh: number;
  /** The same through the public, promise-returning `save`, each awaited. */
  readonly firstAwaited: number;
  readonly refreshAwaited: number;
  readonly scan: number;
}

/** N new REGISTERs of `load` end to end into a fresh registrar, then their N refreshes, through `saveNow`. */
function syncSaves(load: Load): { first: number; refresh: number } {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  gc();
  const save = (b: Buffer): SaveResult => {
    const r = registrar.saveNow(parse(b));
    if (r instanceof Promise) throw new Error('expected a synchronous answer from the memory store');
    return r;
  };
  const first = rate(N, (i) => {
    const r = save(load.datagrams[i]);
    if (r.response === undefined) throw new Error('expected a 200');
    sink = r.response;
  });
  const again = rate(N, (i) => { sink = save(load.refresh[i]).response; });
  void registrar.close();
  return { first, refresh: again };
}

/** The same through the public `save`: a promise per REGISTER, awaited before the next. */
async function awaitedSaves(load: Load): Promise<{ first: number; refresh: number }> {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  gc();
  const first = await rateAsync(N, async (i) => {
    const r = await registrar.save(parse(load.datagrams[i]));
    if (r.response === undefined) throw new Error('expected a 200');
    sink = r.response;
  });
  const again = await rateAsync(N, async (i) => { sink = (await registrar.save(parse(load.refresh[i]))).response; });
  await registrar.close();
  return { first, refresh: again };
}

/** Round `round` of sipreg on `load`: N new REGISTERs end to end and their N refreshes, each way; then N bare parses. */
async function sipregRound(load: Load, round: number): Promise<SipregRound> {
  // Which way goes first alternates too, so neither always inherits the other's garbage.
  const awaitedFirst = round % 4 >= 2;
  const early = awaitedFirst ? await awaitedSaves(load) : syncSaves(load);
  const late = awaitedFirst ? syncSaves(load) : await awaitedSaves(load);
  const [sync, awaited] = awaitedFirst ? [late, early] : [early, late];
  gc();
  return { first: sync.first, refresh: sync.refresh, firstAwaited: awaited.first, refreshAwaited: awaited.refresh, scan: rate(N, (i) => { sink = parse(load.datagrams[i]); }) };
}

/**
 * One round of drachtio-sip on `load`: parse the same datagrams and read the fields a registrar
 * needs, parsed where it needs their parts (the top Via for the reply, the To URI for the AOR,
 * the Contact URIs with their parameters, the CSeq number) and as text otherwise (Call-ID,
 * Expires, Supported, Path).
 */
function drachtioRound(load: Load): number {
  gc();
  return rate(N / 2, (i) => {
    const m = new drachtio.SipMessage(load.datagrams[i].toString('latin1'));
    sink = [m.getParsedHeader('Via'), m.getParsedHeader('To'), m.getParsedHeader('Contact'), m.getParsedHeader('CSeq'), m.get('Call-ID'), m.get('Expires'), m.get('Supported'), m.get('Path')];
  });
}

// Warm-up: every path compiled, for both messages, before the first timed round.
for (const load of loads) {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  for (let i = 0; i < 20_000; i++) sink = (registrar.saveNow(parse(load.datagrams[i])) as SaveResult).response;
  void registrar.close();
  const awaited = createRegistrar({ purgeIntervalMs: 0 });
  for (let i = 0; i < 20_000; i++) sink = (await awaited.save(parse(load.datagrams[i]))).response;
  await awaited.close();
  for (let i = 0; i < 5_000; i++) sink = new drachtio.SipMessage(load.datagrams[i].toString('latin1')).get('Contact');
}

const sipreg = loads.map((): SipregRound[] => []);
const drachtioRates = loads.map((): number[] => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, load] of loads.entries()) {
    if ((round + k) % 2 === 0) {
      sipreg[k].push(await sipregRound(load, round));
      drachtioRates[k].push(drachtioRound(load));
    } else {
      drachtioRates[k].push(drachtioRound(load));
      sipreg[k].push(await sipregRound(load, round));
    }
  }
}
const sipjsRates = loads.map((load) => {
  const one = load.datagrams[0].toString('latin1');
  return rate(300, () => { sink = Core.Parser.parseMessage(one, noopLogger as never); });
});

console.log(`\n### REGISTER handling, one core (in process; median of ${ROUNDS} alternating rounds)\n`);
console.log(`| what | ${loads.map((load) => `${load.name} REGISTER, per second`).join(' | ')} |`);
console.log(`|---|${loads.map(() => '---:').join('|')}|`);
const medianOf = (k: number, pick: (r: SipregRound) => number): number => median(sipreg[k].map(pick));
/** One table row: `cell(k)` for each REGISTER kind k. */
const row = (what: string, cell: (k: number) => string): void => console.log(`| ${what} | ${loads.map((_, k) => cell(k)).join(' | ')} |`);
/** A rate, with what the promise of the public `save` costs per REGISTER next to it when `sync` is given. */
const perSecond = (pick: (r: SipregRound) => number, sync?: (r: SipregRound) => number) => (k: number): string =>
  fmt(medianOf(k, pick)) + (sync === undefined ? '' : ` (${signedNs(1e9 / medianOf(k, pick) - 1e9 / medianOf(k, sync))})`);
/** A difference in ns with its sign. */
const signedNs = (ns: number): string => `${ns >= 0 ? '+' : '−'}${Math.abs(ns).toFixed(0)} ns`;
row('sipreg: new REGISTER end to end (parse, plan, commit to memory store, 200 OK bytes), `saveNow` (the server\'s synchronous path)', perSecond((r) => r.first));
row('sipreg: new REGISTER end to end, public `await registrar.save()` (+ ns per REGISTER for the promise)', perSecond((r) => r.firstAwaited, (r) => r.first));
row('sipreg: refresh REGISTER end to end, `saveNow`', perSecond((r) => r.refresh));
row('sipreg: refresh REGISTER end to end, public `await registrar.save()`', perSecond((r) => r.refreshAwaited, (r) => r.refresh));
row('sipreg scanner: parse only', perSecond((r) => r.scan));
row('drachtio-sip 0.6: parse + read the registrar\'s fields (top Via, To, Contact with its parameters, CSeq, Call-ID, Expires, Supported, Path)', (k) => fmt(median(drachtioRates[k])));
row('SIP.js 0.21 `Parser.parseMessage`: parse only', (k) => fmt(sipjsRates[k]));

const realistic = loads.findIndex((load) => load.name === 'realistic');
const reached = medianOf(realistic, (r) => r.first);
const drachtioReached = median(drachtioRates[realistic]);
const met = reached >= TARGET_PER_SECOND && reached >= drachtioReached;
console.log(`\nTarget (issue 19): realistic new REGISTER end to end ≥ ${fmt(TARGET_PER_SECOND)}/s and ≥ drachtio-sip's parse of it: ${fmt(reached)}/s against ${fmt(drachtioReached)}/s, ${met ? 'met' : 'NOT met'}.`);

void sink;
