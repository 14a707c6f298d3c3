/**
 * Memory after a flood of short registrations (issue 23): 200,000 REGISTERs of a new AOR each
 * with a 20 s lifetime (RFC 3261 §10.2.1.1: an expired binding is removed), then a wait past
 * their expiry and the purge, and the memory before, at the peak and after.
 *
 *   node --expose-gc --import tsx bench/memory-flood.bench.ts [--skip-wire] [--no-heap]
 *
 * 1. In process: a registrar over the memory store with a manual clock, fed parsed datagrams;
 *    the clock is then moved past expiry and the purge interval. Figures after a full GC: V8
 *    heap used and committed (`heapTotal`), array buffers, RSS. A second flood sends 20,000
 *    REGISTERs with distinct 8,000-character User-Agents, which nothing but the registrar's
 *    interner could keep once their bindings expired.
 * 2. Over the wire, when SIPp is installed: the CLI registrar (`--store memory --min-expires 0`,
 *    purge every 10 s) and Kamailio (usrloc in memory, `min_expires` 0, `timer_interval` 10)
 *    flooded by two SIPp instances, PSS of the server's processes at each point. The CLI writes
 *    a heap snapshot on SIGUSR2 (`--heapsnapshot-signal`, which collects garbage first) before
 *    the flood and after the purge; the sum of its objects is the V8 heap the CLI uses then.
 *    Writing the first snapshot grows the CLI's RSS (not returned either), so its peak and
 *    after figures include that; `--no-heap` leaves both snapshots out.
 *    The SIPp rate is fixed: on a loaded machine some calls time out (the table says how many
 *    succeeded), and every figure is noisy.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { parseRequest, registerDatagram, requireGc } from './bench-kit';
import { createRegistrar } from '../src/registrar/registrar';
import { ManualClock } from '../src/testing/manual-clock';
import { findBinary } from '../test/helpers/find-binary';
import { freePort } from '../test/helpers/free-port';
import { runSipp } from '../test/helpers/run-sipp';
import { sleep } from '../test/helpers/sleep';
import type { ManagedProcess } from '../test/helpers/spawn-managed';
import { startKamailio } from '../test/helpers/start-kamailio';
import { startSipreg } from '../test/helpers/start-sipreg';
import { createProcessTreeUsageReader } from './sipp/read-process-tree-usage';

const gc = requireGc();
const FLOOD = 200_000;
const LIFETIME_SEC = 20;
const PURGE_INTERVAL_MS = 10_000;
const LONG_AGENTS = 20_000;
const LONG_AGENT_CHARS = 8_000;
/** Total SIPp rate over the wire, REGISTER/s (two instances). */
const WIRE_RATE = 5_000;
/** Wait after the flood's end: its last bindings expire, a purge runs, then a margin. */
const SETTLE_MS = LIFETIME_SEC * 1000 + PURGE_INTERVAL_MS + 5_000;

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

/** Memory of this process after a full GC. */
function inProcess(): { heapUsed: number; heapTotal: number; arrayBuffers: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** REGISTER `i` of {@link registerDatagram} with a `LIFETIME_SEC` lifetime and `agent` as its User-Agent. */
function shortRegister(i: number, agent = 'bench-phone/1.0'): Buffer {
  const text = registerDatagram(i).toString('latin1').replace('Expires: 3600', `Expires: ${LIFETIME_SEC}`).replace('bench-phone/1.0', agent);
  return Buffer.from(text, 'latin1');
}

/** Floods a fresh registrar with `count` REGISTERs, purges them, and prints the memory table. */
async function floodInProcess(title: string, count: number, agent: (i: number) => string): Promise<void> {
  const clock = new ManualClock(1_700_000_000_000);
  const registrar = createRegistrar({ clock, minExpires: 0, purgeIntervalMs: PURGE_INTERVAL_MS });
  const before = inProcess();
  for (let i = 0; i < count; i++) {
    const result = registrar.saveNow(parseRequest(shortRegister(i, agent(i))));
    if (result instanceof Promise || result.status !== 200) throw new Error('expected a synchronous 200');
  }
  const peak = inProcess();
  const peakCount = await registrar.stats();
  clock.advance(LIFETIME_SEC * 1000 + PURGE_INTERVAL_MS);
  await registrar.purgeExpired();
  const after = inProcess();
  const afterCount = await registrar.stats();
  console.log(`\n${title}: ${count.toLocaleString('en-US')} REGISTERs, ${LIFETIME_SEC} s lifetime; bindings at the peak ${peakCount.bindings.toLocaleString('en-US')}, after the purge ${afterCount.bindings}\n`);
  console.log('| point | heap used MB | heap committed MB | array buffers MB | RSS MB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [point, m] of [['before', before], ['peak', peak], ['after expiry + purge', after]] as const) {
    console.log(`| ${point} | ${mb(m.heapUsed)} | ${mb(m.heapTotal)} | ${mb(m.arrayBuffers)} | ${mb(m.rss)} |`);
  }
  console.log('\nV8 heap spaces after the purge (used / committed MB): ' +
    getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => `${s.space_name} ${mb(s.space_used_size)} / ${mb(s.space_size)}`).join(', '));
  await registrar.close();
}

/**
 * Bytes of the objects in a V8 heap snapshot (what is live after the GC the snapshot starts
 * with), or undefined while the file is still being written (it does not parse yet).
 */
function liveHeapBytes(snapshotPath: string): number | undefined {
  let snapshot: { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
  try {
    snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as typeof snapshot;
  } catch {
    return undefined;
  }
  const fields = snapshot.snapshot.meta.node_fields;
  const selfSize = fields.indexOf('self_size');
  let total = 0;
  for (let i = selfSize; i < snapshot.nodes.length; i += fields.length) total += snapshot.nodes[i];
  return total;
}

/** Asks the CLI in `pid` for a heap snapshot in `dir` and answers its live heap bytes once written (the file is then removed). */
async function cliLiveHeap(pid: number, dir: string): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 120_000; waited += 1000) {
    await sleep(1000);
    const written = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    const live = written === undefined ? undefined : liveHeapBytes(join(dir, written));
    if (written !== undefined && live !== undefined) {
      rmSync(join(dir, written));
      return live;
    }
  }
  throw new Error('the CLI wrote no heap snapshot');
}

interface WireRow {
  readonly target: string;
  readonly before: number;
  readonly peak: number;
  readonly after: number;
  readonly registered: number;
  /** V8 heap live before the flood and after the purge (the CLI only). */
  readonly liveHeap?: readonly [number, number];
}

/** Floods one server over UDP and reads its PSS before, at the peak and after the purge. */
async function floodOverWire(sippPath: string, name: string, port: number, server: ManagedProcess, snapshotDir?: string): Promise<WireRow> {
  const usage = createProcessTreeUsageReader();
  const scenarioDir = mkdtempSync(join(tmpdir(), 'sipreg-flood-'));
  try {
    const scenario = join(scenarioDir, 'register-short.xml');
    const load = readFileSync(fileURLToPath(new URL('./sipp/register-load.xml', import.meta.url)), 'utf8');
    writeFileSync(scenario, load.replace('Expires: 3600', `Expires: ${LIFETIME_SEC}`));
    await sleep(2000);
    const before = usage(server.pid).pssBytes;
    // Read after the PSS: writing the snapshot grows the process by tens of MB it keeps.
    const liveBefore = snapshotDir === undefined ? undefined : await cliLiveHeap(server.pid, snapshotDir);
    const half = FLOOD / 2;
    const runs = await Promise.all([0, 1].map((instance) =>
      runSipp({
        sippPath, scenario, remotePort: port, calls: half, rate: WIRE_RATE / 2, timeoutSec: half / (WIRE_RATE / 2) + 60,
        keys: { prefix: `flood${instance}u` },
        extraArgs: ['-recv_timeout', '4000', '-buff_size', '4194304', '-max_recv_loops', '5000', '-max_sched_loops', '5000'],
      })));
    const peak = usage(server.pid).pssBytes;
    await sleep(SETTLE_MS);
    const after = usage(server.pid).pssBytes;
    const registered = runs.reduce((sum, r) => sum + r.stats.successfulCalls, 0);
    const liveHeap = snapshotDir === undefined || liveBefore === undefined ? undefined : [liveBefore, await cliLiveHeap(server.pid, snapshotDir)] as const;
    return { target: name, before, peak, after, registered, liveHeap };
  } finally {
    rmSync(scenarioDir, { recursive: true, force: true });
    await server.stop();
  }
}

/** Kamailio with the wire benches' configuration, lifetimes down to 0 s and usrloc's timer every 10 s. */
function startFloodKamailio(kamailioPath: string, port: number): Promise<ManagedProcess> {
  const config = readFileSync(fileURLToPath(new URL('./sipp/kamailio.cfg.tmpl', import.meta.url)), 'utf8')
    .replaceAll('__LISTEN__', `udp:127.0.0.1:${port}`)
    .replaceAll('__CHILDREN__', '2')
    .replace('__AUTH_MODULE__', `modparam("registrar", "min_expires", 0)\nmodparam("usrloc", "timer_interval", ${PURGE_INTERVAL_MS / 1000})`)
    .replace('__AUTH_CHECK__', '');
  return startKamailio({ kamailioPath, port, config, sharedMemoryMb: 2048, privateMemoryMb: 16 });
}

async function wire(withHeap: boolean): Promise<void> {
  const sippPath = findBinary('sipp');
  if (sippPath === undefined) {
    console.log('\nover the wire: skipped, sipp is not installed (apt-get install sip-tester)');
    return;
  }
  const rows: WireRow[] = [];
  const snapshotDir = mkdtempSync(join(tmpdir(), 'sipreg-heap-'));
  const nodeOptions = process.env.NODE_OPTIONS;
  try {
    const port = await freePort();
    if (withHeap) process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}`.trim();
    const cli = await startSipreg({ port, extraArgs: ['--min-expires', '0', '--purge-interval', String(PURGE_INTERVAL_MS)] });
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
    rows.push(await floodOverWire(sippPath, 'sipreg CLI (--store memory)', port, cli, withHeap ? snapshotDir : undefined));
    const kamailioPath = findBinary('kamailio');
    if (kamailioPath === undefined) console.log('Kamailio not installed: reference row skipped');
    else {
      const kamailioPort = await freePort();
      rows.push(await floodOverWire(sippPath, 'Kamailio 5.6 (usrloc, 2 children)', kamailioPort, await startFloodKamailio(kamailioPath, kamailioPort)));
    }
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
  console.log(`\nOver UDP on loopback: ${FLOOD.toLocaleString('en-US')} REGISTERs (a new AOR each, ${LIFETIME_SEC} s lifetime) from two SIPp instances at ${WIRE_RATE.toLocaleString('en-US')}/s in all;` +
    ` "after" is ${SETTLE_MS / 1000} s after the flood ended (expiry, a purge every ${PURGE_INTERVAL_MS / 1000} s, a margin). PSS summed over the server's processes.\n`);
  console.log('| target | registered (SIPp successful calls) | PSS before MB | PSS at peak MB | PSS after MB | V8 heap live before / after MB |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.target} | ${r.registered.toLocaleString('en-US')} | ${mb(r.before)} | ${mb(r.peak)} | ${mb(r.after)} | ${r.liveHeap === undefined ? 'n/a' : `${mb(r.liveHeap[0])} / ${mb(r.liveHeap[1])}`} |`);
  }
}

console.log(`machine: ${cpus().length} cores, load average at start ${loadavg()[0].toFixed(2)}`);
await floodInProcess('In process (memory store, manual clock)', FLOOD, () => 'bench-phone/1.0');
await floodInProcess('In process, a distinct 8,000-character User-Agent per REGISTER', LONG_AGENTS, (i) => `bench-phone/${i} ${'x'.repeat(LONG_AGENT_CHARS)}`);
if (!process.argv.includes('--skip-wire')) await wire(!process.argv.includes('--no-heap'));
