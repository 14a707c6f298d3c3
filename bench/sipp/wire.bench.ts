/**
 * Over-the-wire REGISTER throughput: SIPp (two instances, RFC 3261 §10.2 REGISTERs, a new
 * AOR per call) against the sipreg CLI registrar (`--store memory`) and, when installed,
 * Kamailio 5.6 as the reference (in-memory usrloc, 2 workers), both on loopback UDP.
 *
 *   node --import tsx bench/sipp/wire.bench.ts [--rate N] [--seconds S]
 *
 * `--rate N` runs the single total rate N instead of the default steps; `--seconds S` is the
 * duration of each step (default 5). A target stops stepping up after the first saturated
 * step (1 % or more failed calls, or SIPp reaching under 90 % of the offered rate), then
 * bisects twice between the last clean rate and that one. Each target first gets an
 * unreported 2 s warm-up at 2,000/s. Each step registers new AORs, so the location grows
 * during the run. Prints a markdown table; never part of CI.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { findBinary } from '../../test/helpers/find-binary';
import { freePort } from '../../test/helpers/free-port';
import { runSipp, type SippRun } from '../../test/helpers/run-sipp';
import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../../test/helpers/start-sipreg';
import { createProcessTreeUsageReader } from './read-process-tree-usage';
import { startBenchKamailio } from './start-kamailio';

const DEFAULT_RATES = [5_000, 10_000, 20_000, 30_000, 40_000] as const;
const SIPP_INSTANCES = 2;
const SATURATED_FAILED_SHARE = 0.01;
/** A step whose SIPp instances together started fewer calls per second than this share of the offer is saturated too. */
const SUSTAINED_RATE_SHARE = 0.9;
/** Between steps, wait (at most SETTLE_MAX_MS) for the server to drain its backlog: under this share of a core. */
const SETTLE_CPU_SHARE = 0.2;
const SETTLE_MAX_MS = 10_000;
const BISECTIONS = 2;
/** An unreported warm-up load per target first (JIT, caches, socket buffers). */
const WARM_UP_RATE = 2_000;
const WARM_UP_SECONDS = 2;
/** The whole bench stops starting new steps after this much wall time. */
const BUDGET_MS = 270_000;
const SCENARIO = fileURLToPath(new URL('./register-load.xml', import.meta.url));

interface Target {
  readonly name: string;
  readonly start: (port: number) => Promise<ManagedProcess>;
}

interface StepResult {
  readonly target: string;
  readonly offeredRate: number;
  readonly achievedRate: number;
  readonly answeredRate: number;
  readonly failedShare: number;
  readonly retransmissions: number;
  readonly cpuPercent: number;
  readonly memoryMb: number;
}

const options = parseArgs({
  options: { rate: { type: 'string' }, seconds: { type: 'string', default: '5' } },
}).values;
const stepSeconds = Number(options.seconds);
const rates = options.rate === undefined ? [...DEFAULT_RATES] : [Number(options.rate)];
if (!(stepSeconds > 0) || rates.some((rate) => !(rate > 0))) {
  console.error('usage: node --import tsx bench/sipp/wire.bench.ts [--rate N] [--seconds S]');
  process.exit(2);
}

const sipp = findBinary('sipp');
if (sipp === undefined) {
  console.log('wire bench skipped: sipp is not installed (apt-get install sip-tester)');
  process.exit(0);
}
const sippPath = sipp;
const readUsage = createProcessTreeUsageReader();
const startedAt = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);

/** One step: SIPP_INSTANCES SIPp processes share `rate`, each with its own port and AOR prefix. */
async function runStep(
  target: Target,
  server: ManagedProcess,
  serverPort: number,
  rate: number,
  seconds: number,
  prefix: string,
): Promise<StepResult> {
  const perInstanceRate = Math.ceil(rate / SIPP_INSTANCES);
  const localPorts = await Promise.all(Array.from({ length: SIPP_INSTANCES }, () => freePort('udp')));
  const before = readUsage(server.pid);
  const beganAt = process.hrtime.bigint();
  const runs: SippRun[] = await Promise.all(
    localPorts.map((localPort, instance) =>
      runSipp({
        sippPath,
        scenario: SCENARIO,
        remotePort: serverPort,
        localPort,
        calls: perInstanceRate * seconds,
        rate: perInstanceRate,
        timeoutSec: seconds + 30,
        keys: { prefix: `${prefix}i${instance}u` },
        extraArgs: ['-recv_timeout', '4000', '-buff_size', '4194304', '-max_recv_loops', '5000', '-max_sched_loops', '5000'],
      }),
    ),
  );
  const wallSec = Number(process.hrtime.bigint() - beganAt) / 1e9;
  const after = readUsage(server.pid);
  const total = runs.reduce((sum, run) => sum + run.stats.totalCalls, 0);
  const failed = runs.reduce((sum, run) => sum + run.stats.failedCalls, 0);
  const successful = runs.reduce((sum, run) => sum + run.stats.successfulCalls, 0);
  const elapsedSec = Math.max(...runs.map((run) => run.stats.elapsedSec));
  return {
    target: target.name,
    offeredRate: perInstanceRate * SIPP_INSTANCES,
    achievedRate: runs.reduce((sum, run) => sum + run.stats.callRate, 0),
    answeredRate: elapsedSec > 0 ? successful / elapsedSec : 0,
    failedShare: total > 0 ? failed / total : 1,
    retransmissions: runs.reduce((sum, run) => sum + run.stats.retransmissions, 0),
    cpuPercent: ((after.cpuSec - before.cpuSec) / wallSec) * 100,
    memoryMb: after.pssBytes / 1024 / 1024,
  };
}

/** Resolve once the server spends under SETTLE_CPU_SHARE of a core over 500 ms (or after SETTLE_MAX_MS). */
async function settle(server: ManagedProcess): Promise<void> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  while (Date.now() < deadline) {
    const before = readUsage(server.pid).cpuSec;
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (readUsage(server.pid).cpuSec - before < 0.5 * SETTLE_CPU_SHARE) return;
  }
}

/** The midpoint of two rates, rounded to a multiple of 1,000 (`undefined` when none lies strictly between). */
function midpoint(low: number, high: number): number | undefined {
  const middle = Math.round((low + high) / 2 / 1000) * 1000;
  return middle > low && middle < high ? middle : undefined;
}

/**
 * Step through `rates` until a step is saturated, then bisect (at most BISECTIONS times)
 * between the last clean rate and the first saturated one.
 */
async function benchTarget(target: Target): Promise<StepResult[]> {
  const port = await freePort('udp');
  const server = await target.start(port);
  const results: StepResult[] = [];
  const withinBudget = (rate: number): boolean => {
    if (Date.now() - startedAt <= BUDGET_MS) return true;
    console.log(`time budget spent: ${target.name} stopped before ${rate}/s`);
    return false;
  };
  const step = async (rate: number): Promise<boolean> => {
    const result = await runStep(target, server, port, rate, stepSeconds, `s${results.length}`);
    results.push(result);
    console.log(
      `${target.name} @ ${result.offeredRate}/s: achieved ${result.achievedRate.toFixed(0)}/s, ` +
        `failed ${(result.failedShare * 100).toFixed(2)} %, CPU ${result.cpuPercent.toFixed(0)} %`,
    );
    await settle(server);
    return result.failedShare < SATURATED_FAILED_SHARE && result.achievedRate >= result.offeredRate * SUSTAINED_RATE_SHARE;
  };
  try {
    await runStep(target, server, port, WARM_UP_RATE, WARM_UP_SECONDS, 'warm');
    await settle(server);
    let clean = 0;
    let saturated: number | undefined;
    for (const rate of rates) {
      if (!withinBudget(rate)) break;
      if (await step(rate)) clean = rate;
      else {
        saturated = rate;
        break;
      }
    }
    for (let bisection = 0; bisection < BISECTIONS && saturated !== undefined; bisection++) {
      const rate = midpoint(clean, saturated);
      if (rate === undefined || !withinBudget(rate)) break;
      if (await step(rate)) clean = rate;
      else saturated = rate;
    }
  } finally {
    await server.stop();
  }
  return results;
}

function table(results: readonly StepResult[]): string {
  const rows = results.map((result) =>
    [
      result.target,
      result.offeredRate.toLocaleString('en-US'),
      Math.round(result.achievedRate).toLocaleString('en-US'),
      Math.round(result.answeredRate).toLocaleString('en-US'),
      (result.failedShare * 100).toFixed(2),
      result.retransmissions.toLocaleString('en-US'),
      result.cpuPercent.toFixed(0),
      result.memoryMb.toFixed(0),
    ].join(' | '),
  );
  return [
    '| target | offered rate | achieved REGISTER/s (SIPp CallRate(C)) | 200 OK/s | failed % | retransmissions | server CPU % | RSS MB (PSS) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** Bench every installed target in turn and print the table. */
async function main(): Promise<void> {
  const targets: Target[] = [];
  const kamailioPath = findBinary('kamailio');
  if (kamailioPath === undefined) console.log('Kamailio not installed: reference rows skipped');
  else targets.push({ name: 'Kamailio 5.6 (usrloc, 2 children)', start: (port) => startBenchKamailio({ kamailioPath, port }) });
  if (existsSync(join(REPOSITORY_ROOT, 'src', 'cli', 'main.ts'))) {
    targets.push({ name: 'sipreg CLI (--store memory)', start: (port) => startSipreg({ port }) });
  } else {
    console.log('src/cli/main.ts not present: sipreg rows skipped');
  }
  const results: StepResult[] = [];
  for (const target of targets) results.push(...(await benchTarget(target)));
  console.log(`\nREGISTER over UDP on loopback, ${SIPP_INSTANCES} SIPp instances, ${stepSeconds} s per step, a new AOR per REGISTER`);
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp shares the cores with the server)`);
  console.log('server CPU %: 100 = one core (all server processes); RSS: proportional set size summed over the server processes\n');
  console.log(table(results));
}

await main();
