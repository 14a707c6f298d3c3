/**
 * Mid-registrar simulation (not a timed test; run with
 * `node --expose-gc --import tsx bench/mid-registrar-sim.bench.ts`, or with `N=200` in front for
 * a quick smoke run): N UAs (default 10,000), each its own AOR `sip:ua<i>@example.com` and
 * Contact, REGISTER through a mid-registrar in each mode ('mirror', 'throttle-contact',
 * 'throttle-aor') with `outgoingExpires` 3600, in front of a real main registrar
 * (`createRegistrar`) reached through a `FakeTransport`, on simulated time (a `ManualClock`).
 * `MODES=throttle-contact,throttle-aor` in front runs only some of the modes.
 *
 * Each UA asks `Expires: 120` and refreshes every 60 s (phones refresh before expiry, here at
 * half the lifetime), with its own Call-ID and a CSeq that goes up by one per REGISTER. UA i
 * sends its first REGISTER at i·60000/N ms, so the starts are spread evenly over the first
 * minute, then one every 60 s for two simulated hours (120 REGISTERs per UA). Then every UA
 * vanishes: no more REGISTERs. Time keeps moving in 100 ms steps until every local binding has
 * expired and been purged.
 *
 * Time is moved exactly: each REGISTER is sent at its own due time, and the mid-registrar's
 * timers (the expiry purge, every second) fire at theirs, with the promises they start settled
 * (a few `setImmediate` turns and `mid.drain()`) before time moves on. So the de-registration
 * delay below is the SDK's, not the step size of the simulation.
 *
 * Printed per mode: the UA REGISTERs, how many the mid-registrar answered itself (absorbed) or
 * forwarded, the de-REGISTERs it sent on its own (Via branch `z9hG4bK-mrd-`), the upstream
 * REGISTER rate over the whole simulated span (two hours plus the vanishing tail), the same per
 * UA per hour, the main registrar's bindings still alive once every UA vanished and its local
 * binding expired, and the worst time from a UA's local expiry (its last REGISTER + 120 s) to
 * the end of its upstream binding (the de-REGISTER in the throttling modes; in mirror mode the
 * main registrar's binding expires by itself, as the mirror forwards the UA's own 120 s and
 * sends no de-REGISTER by design). Targets: ≥ 97 % absorbed in the throttling modes, 0
 * upstream bindings left, each ended within 1 s of local expiry.
 */
import { Buffer } from 'node:buffer';
import { fmt, median } from './bench-kit';
import { createMidRegistrar } from '../src/mid-registrar/mid-registrar';
import type { MidRegistrar } from '../src/mid-registrar/mid-registrar';
import type { MidRegistrarMode } from '../src/mid-registrar/mid-registrar-options';
import type { TimerHandle } from '../src/ports/clock';
import { createRegistrar } from '../src/registrar/registrar';
import type { SipRequest } from '../src/sip/message';
import { parseSipMessage } from '../src/sip/sip-parser';
import { FakeTransport } from '../src/testing/fake-transport';
import { ManualClock } from '../src/testing/manual-clock';
import { buildRegister, IdSequence } from '../src/testing/message-builders';

/** Number of UAs; `N=200 node ...` for a smoke run. */
const N = Number.parseInt(process.env.N ?? '10000', 10);
if (!Number.isInteger(N) || N < 1) throw new Error(`N must be a positive integer, got ${process.env.N}`);
const T0 = 1_700_000_000_000;
const REFRESH_MS = 60_000;
const UA_EXPIRES_S = 120;
const OUTGOING_EXPIRES_S = 3600;
const HOURS = 2;
const REGISTERS_PER_UA = Math.ceil((HOURS * 3600_000) / REFRESH_MS);
const STEP_MS = 100;
const UPSTREAM = { protocol: 'udp', address: '10.0.0.3', port: 5060 } as const;
const HERE = { protocol: 'udp', address: '10.0.0.2', port: 5060 } as const;
const ALL_MODES: readonly MidRegistrarMode[] = ['mirror', 'throttle-contact', 'throttle-aor'];
/** Modes to simulate; `MODES=throttle-contact,throttle-aor node ...` for some of them. */
const MODES = (process.env.MODES?.split(',') ?? ALL_MODES) as readonly MidRegistrarMode[];
for (const m of MODES) if (!ALL_MODES.includes(m)) throw new Error(`MODES: unknown mode '${m}', expected some of ${ALL_MODES.join(',')}`);

const aorOf = (i: number): string => `ua${i}@example.com`;
/** When UA i sends its first REGISTER, ms after T0. */
const startOf = (i: number): number => Math.floor((i * REFRESH_MS) / N);

/**
 * A {@link ManualClock} that also knows when its next timer falls due, so the simulation can
 * stop there and let what the timer started (the purge and its de-REGISTERs) finish at that
 * instant instead of at the end of a step.
 */
class SimClock extends ManualClock {
  readonly #due = new Set<{ readonly at: number }>();

  override setTimer(delayMs: number, fn: () => void): TimerHandle {
    const entry = { at: this.now() + (Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0) };
    this.#due.add(entry);
    const handle = super.setTimer(delayMs, () => {
      this.#due.delete(entry);
      fn();
    });
    return {
      cancel: () => {
        this.#due.delete(entry);
        handle.cancel();
      },
    };
  }

  /** Due time of the earliest pending timer, or undefined. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const e of this.#due) if (min === undefined || e.at < min) min = e.at;
    return min;
  }
}

/** Each UA's REGISTER as text, built once and split around the CSeq number, which each send splices in. */
function registerTemplates(): { head: string[]; tail: string[] } {
  const ids = new IdSequence('sim');
  const head: string[] = [];
  const tail: string[] = [];
  for (let i = 0; i < N; i++) {
    const host = `192.0.2.${(i % 250) + 1}`;
    const port = 5060 + Math.floor(i / 250);
    const text = buildRegister({
      aor: `sip:${aorOf(i)}`,
      contacts: [{ uri: `sip:ua${i}@${host}:${port}` }],
      callId: `ua${i}-${i.toString(16).padStart(8, '0')}@${host}`,
      cseq: 1,
      expires: UA_EXPIRES_S,
      via: { host, port, rport: true },
      userAgent: 'sim-phone/1.0',
      ids,
    });
    const at = text.indexOf('CSeq: 1 REGISTER');
    head.push(text.slice(0, at + 'CSeq: '.length));
    tail.push(text.slice(at + 'CSeq: 1'.length));
  }
  return { head, tail };
}

function parseRequest(text: string): SipRequest {
  const r = parseSipMessage(Buffer.from(text, 'latin1'));
  if (!r.ok || r.message.kind !== 'request') throw new Error('bench REGISTER does not parse');
  return r.message;
}

/** `SIP/2.0 200 ` at the start of a reply: checked on the bytes, a full parse would cost ~10 % of the run. */
const OK_200 = Buffer.from('SIP/2.0 200 ', 'latin1');
const is200 = (data: Uint8Array | undefined): boolean => data !== undefined && OK_200.every((b, k) => data[k] === b);

interface ModeResult {
  readonly mode: MidRegistrarMode;
  readonly uaRegisters: number;
  readonly absorbed: number;
  readonly forwarded: number;
  readonly upstreamForwarded: number;
  readonly deRegisters: number;
  readonly deRegistersFailed: number;
  readonly deregisteredEvents: number;
  readonly simulatedSeconds: number;
  readonly upstreamAlive: number;
  readonly notDeregistered: number;
  readonly worstDelayMs: number;
  readonly medianDelayMs: number;
  readonly bestDelayMs: number;
  readonly lateOver1s: number;
  readonly non200: number;
  readonly localLeft: number;
  readonly wallSeconds: number;
}

async function simulate(mode: MidRegistrarMode, templates: { head: string[]; tail: string[] }): Promise<ModeResult> {
  const wall0 = performance.now();
  const clock = new SimClock(T0);
  const main = createRegistrar({ clock, purgeIntervalMs: 0, minExpires: 1, maxExpires: 0 });
  const transport = new FakeTransport({ endpoints: [HERE] });
  let upstreamForwarded = 0;
  let deRegisters = 0;
  transport.respondWith(async (request) => {
    transport.requests.length = 0; // keep no history: a million requests would fill the heap
    if (request.via[0]?.branch?.startsWith('z9hG4bK-mrd-') === true) deRegisters++;
    else upstreamForwarded++;
    return (await main.save(request)).response!;
  });
  const mid: MidRegistrar = createMidRegistrar({ mode, clock, transport, upstream: UPSTREAM, outgoingExpires: OUTGOING_EXPIRES_S });
  const indexOfAor = new Map<string, number>();
  for (let i = 0; i < N; i++) indexOfAor.set(aorOf(i), i);
  /** When each UA's upstream binding was de-registered (ms), NaN until then. */
  const deregisteredAt = new Float64Array(N).fill(Number.NaN);
  let deregisteredEvents = 0;
  mid.on('deregistered', (e) => {
    deregisteredEvents++;
    const i = indexOfAor.get(e.aor);
    if (i !== undefined && 'status' in e.outcome && e.outcome.status >= 200 && e.outcome.status < 300) deregisteredAt[i] = clock.now();
  });
  mid.on('error', (e) => console.error(`${mode}: mid-registrar error: ${e.message}`));

  /** Let what a timer or a REGISTER started run to its end at the current instant. */
  const settle = async (): Promise<void> => {
    for (let k = 0; k < 2; k++) await new Promise((r) => setImmediate(r));
    await mid.drain();
  };
  /** Move to `t`, stopping at each timer due on the way and settling after it fires. */
  const advanceTo = async (t: number): Promise<void> => {
    for (let due = clock.nextDue(); due !== undefined && due <= t; due = clock.nextDue()) {
      clock.advance(due - clock.now());
      await settle();
    }
    if (t > clock.now()) clock.advance(t - clock.now());
  };

  // Two hours of refreshes: UA i at startOf(i) + k·60 s, k = 0 .. 119 (already in time order).
  const lastRegisterAt = new Float64Array(N);
  let uaRegisters = 0;
  let non200 = 0;
  for (let k = 0; k < REGISTERS_PER_UA; k++) {
    for (let i = 0; i < N; i++) {
      const at = T0 + startOf(i) + k * REFRESH_MS;
      if (at >= T0 + HOURS * 3600_000) continue;
      await advanceTo(at);
      const { response: reply } = await mid.process(parseRequest(templates.head[i] + (k + 1) + templates.tail[i]));
      uaRegisters++;
      lastRegisterAt[i] = at;
      if (!is200(reply)) non200++;
    }
  }
  await settle();

  // Every UA vanishes. Walk in 100 ms steps until every local binding has expired and been purged.
  const lastLocalExpiry = lastRegisterAt.reduce((a, b) => Math.max(a, b), 0) + UA_EXPIRES_S * 1000;
  for (let guard = 0; ; guard++) {
    await advanceTo(clock.now() + STEP_MS);
    await settle();
    const local = (await mid.registrar.stats()).bindings;
    if (clock.now() > lastLocalExpiry + 1000 && local === 0) break;
    if (guard > 100_000) throw new Error(`${mode}: local bindings never all expired`);
  }
  await settle();

  // The main registrar's bindings still alive, and when each upstream binding ended.
  let upstreamAlive = 0;
  let notDeregistered = 0;
  const delays: number[] = [];
  let lateOver1s = 0;
  for (let i = 0; i < N; i++) {
    const aor = aorOf(i);
    upstreamAlive += (await main.bindings(aor)).length;
    const localExpiry = lastRegisterAt[i] + UA_EXPIRES_S * 1000;
    let endedAt: number;
    if (mode === 'mirror') {
      // No de-REGISTER by design: the main registrar's binding (kept, unpurged) ends by its own expiry.
      const stored = (await main.options.store.load(aor)).bindings;
      endedAt = stored.length === 0 ? Number.NaN : Math.max(...stored.map((b) => b.expiresAt));
    } else {
      endedAt = deregisteredAt[i];
    }
    if (Number.isNaN(endedAt)) {
      notDeregistered++;
      continue;
    }
    const delay = endedAt - localExpiry;
    delays.push(delay);
    if (delay > 1000) lateOver1s++;
  }
  const stats = await mid.stats();
  await mid.close();
  await main.close();
  return {
    mode,
    uaRegisters,
    absorbed: stats.absorbed,
    forwarded: stats.forwarded,
    upstreamForwarded,
    deRegisters,
    deRegistersFailed: stats.deRegistersFailed,
    deregisteredEvents,
    simulatedSeconds: (clock.now() - T0) / 1000,
    upstreamAlive,
    notDeregistered,
    worstDelayMs: delays.length === 0 ? Number.NaN : delays.reduce((a, b) => Math.max(a, b)),
    medianDelayMs: delays.length === 0 ? Number.NaN : median(delays),
    bestDelayMs: delays.length === 0 ? Number.NaN : delays.reduce((a, b) => Math.min(a, b)),
    lateOver1s,
    non200,
    localLeft: stats.registrar.bindings,
    wallSeconds: (performance.now() - wall0) / 1000,
  };
}

const wall0 = performance.now();
const templates = registerTemplates();
const gc = (globalThis as { gc?: () => void }).gc;
const results: ModeResult[] = [];
for (const mode of MODES) {
  gc?.();
  results.push(await simulate(mode, templates));
}
const totalWall = (performance.now() - wall0) / 1000;

/** A delay in ms, or a dash when there was none to measure. */
const ms = (x: number): string => (Number.isNaN(x) ? '–' : fmt(x));
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(2)} %`;
console.log(`\n### Mid-registrar simulation: ${fmt(N)} UAs, Expires ${UA_EXPIRES_S} s refreshed every ${REFRESH_MS / 1000} s for ${HOURS} simulated hours, outgoing_expires ${OUTGOING_EXPIRES_S}\n`);
console.log('| mode | UA REGISTERs | absorbed | absorbed % | forwarded | de-REGISTERs | upstream REGISTER/s | upstream REGISTERs per UA per hour | upstream bindings alive after UAs vanished | worst de-registration delay after local expiry (ms) | wall time (s) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const upstream = r.upstreamForwarded + r.deRegisters;
  const delay = r.mode === 'mirror'
    ? `${ms(r.worstDelayMs)} (expired upstream by itself; no de-REGISTER by design)`
    : r.notDeregistered > 0
      ? `${ms(r.worstDelayMs)}; ${fmt(r.notDeregistered)} never de-registered`
      : ms(r.worstDelayMs);
  console.log(`| ${r.mode} | ${fmt(r.uaRegisters)} | ${fmt(r.absorbed)} | ${pct(r.absorbed, r.uaRegisters)} | ${fmt(r.forwarded)} | ${fmt(r.deRegisters)} | ${(upstream / r.simulatedSeconds).toFixed(2)} | ${(upstream / N / (r.simulatedSeconds / 3600)).toFixed(2)} | ${fmt(r.upstreamAlive)} | ${delay} | ${r.wallSeconds.toFixed(1)} |`);
}
console.log('\nTargets: ≥ 97 % absorbed in the throttling modes; 0 upstream bindings left after the UAs vanished; each ended within 1 s (1,000 ms) of local expiry.');
for (const r of results) {
  if (r.mode !== 'mirror') console.log(`De-registration delay after local expiry, ${r.mode}: min ${ms(r.bestDelayMs)} ms, median ${ms(r.medianDelayMs)} ms, max ${ms(r.worstDelayMs)} ms (bounded by the mid-registrar's purge interval, 1 s by default).`);
}
console.log(`Upstream REGISTER/s: (forwarded + de-REGISTERs) over the whole simulated span, ${results[0].simulatedSeconds.toFixed(1)} s (two hours of refreshes, then the vanishing tail).`);
console.log(`Wall time: ${totalWall.toFixed(1)} s in all (${results.map((r) => `${r.mode} ${r.wallSeconds.toFixed(1)} s`).join(', ')}).`);
console.log('Run: `node --expose-gc --import tsx bench/mid-registrar-sim.bench.ts` (`N=200 node --expose-gc --import tsx bench/mid-registrar-sim.bench.ts` for a smoke run).');

// Cross-checks: the figures above mean what they say only if these hold.
const problems: string[] = [];
for (const r of results) {
  if (r.non200 > 0) problems.push(`${r.mode}: ${r.non200} UA REGISTERs were not answered 200`);
  if (r.absorbed + r.forwarded !== r.uaRegisters) problems.push(`${r.mode}: absorbed + forwarded = ${r.absorbed + r.forwarded}, UA REGISTERs = ${r.uaRegisters}`);
  if (r.upstreamForwarded !== r.forwarded) problems.push(`${r.mode}: the main registrar got ${r.upstreamForwarded} forwarded REGISTERs, the mid-registrar counted ${r.forwarded}`);
  if (r.deregisteredEvents !== r.deRegisters) problems.push(`${r.mode}: ${r.deregisteredEvents} 'deregistered' events for ${r.deRegisters} de-REGISTERs`);
  if (r.deRegistersFailed > 0) problems.push(`${r.mode}: ${r.deRegistersFailed} de-REGISTERs failed`);
  if (r.localLeft > 0) problems.push(`${r.mode}: ${r.localLeft} local bindings left after the vanishing`);
  if (r.notDeregistered > 0) problems.push(`${r.mode}: ${r.notDeregistered} UAs' upstream bindings never ended`);
  if (r.bestDelayMs < 0) problems.push(`${r.mode}: an upstream binding ended ${-r.bestDelayMs} ms before the UA's local expiry`);
  if (r.lateOver1s > 0) problems.push(`${r.mode}: ${r.lateOver1s} upstream bindings ended more than 1 s after local expiry`);
}
console.log(problems.length === 0
  ? '\nCross-checks hold: every UA REGISTER answered 200, absorbed + forwarded = UA REGISTERs, every de-REGISTER accepted, no local binding left.'
  : `\nCross-checks failed:\n${problems.map((p) => `- ${p}`).join('\n')}`);
