/**
 * What the over-the-wire benches share: a step of load from two SIPp instances against one
 * server on loopback UDP, measured from SIPp's own counters and the server's `/proc` usage, and
 * the search for the highest rate the server sustains (step up until a step saturates, then
 * bisect). Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { freePort } from '../../test/helpers/free-port';
import { runSipp, type SippRun } from '../../test/helpers/run-sipp';
import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { createProcessTreeUsageReader } from './read-process-tree-usage';

/** SIPp processes sharing each step's rate, each on its own port. */
export const SIPP_INSTANCES = 2;
const SATURATED_FAILED_SHARE = 0.01;
/** A step whose SIPp instances together started fewer calls per second than this share of the offer is saturated too. */
const SUSTAINED_RATE_SHARE = 0.9;
/** Between steps, wait (at most SETTLE_MAX_MS) for the server to drain its backlog: under this share of a core. */
const SETTLE_CPU_SHARE = 0.2;
const SETTLE_MAX_MS = 10_000;
/** An unreported warm-up load per target first (JIT, caches, socket buffers). */
const WARM_UP_RATE = 2_000;
const WARM_UP_SECONDS = 2;

/** A server under load and the SIPp scenario it gets. */
export interface LoadTarget {
  readonly name: string;
  /** Start the server on UDP 127.0.0.1:`port`, resolving once it serves. */
  readonly start: (port: number) => Promise<ManagedProcess>;
  /** The SIPp scenario (`-sf`); one call of it is one registration, however many requests it takes. */
  readonly scenario: string;
  /**
   * The keywords and further SIPp arguments of one instance's share of a step (`step` names the
   * step uniquely within the target; `calls` is the instance's number of calls), e.g. an AOR prefix
   * or an injection file; prepared before the server's CPU time of the step is read.
   */
  readonly instanceLoad: (step: string, instance: number, calls: number) => InstanceLoad | Promise<InstanceLoad>;
}

/** What one SIPp instance of a step gets: keywords (`-key`) and further arguments. */
export interface InstanceLoad {
  readonly keys?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
}

/** One step of load against one target. */
export interface StepResult {
  readonly target: string;
  readonly offeredRate: number;
  /** Calls per second the SIPp instances really started (SIPp `CallRate(C)`), summed. */
  readonly achievedRate: number;
  /** Calls that reached the end of the scenario, per second of the longest run. */
  readonly answeredRate: number;
  readonly failedShare: number;
  readonly retransmissions: number;
  /** Server CPU over the step's wall time: 100 = one core, all server processes. */
  readonly cpuPercent: number;
  /** Server CPU time per successful call, µs. */
  readonly cpuUsPerCall: number;
  /** Proportional set size summed over the server processes, MB, at the step's end. */
  readonly memoryMb: number;
  /** Neither failed calls (1 % or more) nor SIPp reaching under 90 % of the offered rate. */
  readonly clean: boolean;
}

/** How {@link searchMaxRate} steps. */
export interface SearchOptions {
  /** Rates to step through, ascending, until one saturates. */
  readonly rates: readonly number[];
  readonly stepSeconds: number;
  /** Times to bisect between the last clean rate and the first saturated one. */
  readonly bisections: number;
  /** Bisection midpoints are rounded to a multiple of this. */
  readonly granularity: number;
  /** Epoch ms after which no new step starts. */
  readonly deadline: number;
  /** Extra SIPp arguments of every step (e.g. `-auth_uri`). @defaultValue none */
  readonly sippArgs?: readonly string[];
}

const readUsage = createProcessTreeUsageReader();

/** One step: SIPP_INSTANCES SIPp processes share `rate`, each with its own port and load. */
async function runStep(sippPath: string, target: LoadTarget, server: ManagedProcess, serverPort: number, rate: number, seconds: number, step: string, sippArgs: readonly string[]): Promise<StepResult> {
  const perInstanceRate = Math.ceil(rate / SIPP_INSTANCES);
  const calls = perInstanceRate * seconds;
  const localPorts = await Promise.all(Array.from({ length: SIPP_INSTANCES }, () => freePort('udp')));
  const loads = await Promise.all(localPorts.map((_, instance) => target.instanceLoad(step, instance, calls)));
  // Preparing the loads may have kept the server busy (challenges fetched from it): not this step's work.
  await settle(server);
  const before = readUsage(server.pid);
  const beganAt = process.hrtime.bigint();
  const runs: SippRun[] = await Promise.all(
    localPorts.map((localPort, instance) =>
      runSipp({
        sippPath,
        scenario: target.scenario,
        remotePort: serverPort,
        localPort,
        calls,
        rate: perInstanceRate,
        timeoutSec: seconds + 30,
        keys: loads[instance].keys,
        extraArgs: ['-recv_timeout', '4000', '-buff_size', '4194304', '-max_recv_loops', '5000', '-max_sched_loops', '5000', ...sippArgs, ...(loads[instance].extraArgs ?? [])],
      }),
    ),
  );
  const wallSec = Number(process.hrtime.bigint() - beganAt) / 1e9;
  const after = readUsage(server.pid);
  const total = runs.reduce((sum, run) => sum + run.stats.totalCalls, 0);
  const failed = runs.reduce((sum, run) => sum + run.stats.failedCalls, 0);
  const successful = runs.reduce((sum, run) => sum + run.stats.successfulCalls, 0);
  const elapsedSec = Math.max(...runs.map((run) => run.stats.elapsedSec));
  const offeredRate = perInstanceRate * SIPP_INSTANCES;
  const achievedRate = runs.reduce((sum, run) => sum + run.stats.callRate, 0);
  const failedShare = total > 0 ? failed / total : 1;
  return {
    target: target.name,
    offeredRate,
    achievedRate,
    answeredRate: elapsedSec > 0 ? successful / elapsedSec : 0,
    failedShare,
    retransmissions: runs.reduce((sum, run) => sum + run.stats.retransmissions, 0),
    cpuPercent: ((after.cpuSec - before.cpuSec) / wallSec) * 100,
    cpuUsPerCall: successful > 0 ? ((after.cpuSec - before.cpuSec) / successful) * 1e6 : 0,
    memoryMb: after.pssBytes / 1024 / 1024,
    clean: failedShare < SATURATED_FAILED_SHARE && achievedRate >= offeredRate * SUSTAINED_RATE_SHARE,
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

/** The midpoint of two rates, rounded to a multiple of `granularity` (`undefined` when none lies strictly between). */
function midpoint(low: number, high: number, granularity: number): number | undefined {
  const middle = Math.round((low + high) / 2 / granularity) * granularity;
  return middle > low && middle < high ? middle : undefined;
}

/**
 * Start `target` on a free port, give it an unreported 2 s warm-up at 2,000/s, step through
 * `options.rates` until a step is saturated, then bisect (at most `options.bisections` times)
 * between the last clean rate and the first saturated one; stop the server. Each step is logged
 * as it ends.
 */
export async function searchMaxRate(sippPath: string, target: LoadTarget, options: SearchOptions): Promise<StepResult[]> {
  const port = await freePort('udp');
  const server = await target.start(port);
  const sippArgs = options.sippArgs ?? [];
  const results: StepResult[] = [];
  const withinBudget = (rate: number): boolean => {
    if (Date.now() <= options.deadline) return true;
    console.log(`time budget spent: ${target.name} stopped before ${rate}/s`);
    return false;
  };
  const step = async (rate: number): Promise<boolean> => {
    const result = await runStep(sippPath, target, server, port, rate, options.stepSeconds, `s${results.length}`, sippArgs);
    results.push(result);
    console.log(
      `${target.name} @ ${result.offeredRate}/s: achieved ${result.achievedRate.toFixed(0)}/s, ` +
        `failed ${(result.failedShare * 100).toFixed(2)} %, CPU ${result.cpuPercent.toFixed(0)} %`,
    );
    await settle(server);
    return result.clean;
  };
  try {
    await runStep(sippPath, target, server, port, WARM_UP_RATE, WARM_UP_SECONDS, 'warm', sippArgs);
    await settle(server);
    let clean = 0;
    let saturated: number | undefined;
    for (const rate of options.rates) {
      if (!withinBudget(rate)) break;
      if (await step(rate)) clean = rate;
      else {
        saturated = rate;
        break;
      }
    }
    for (let bisection = 0; bisection < options.bisections && saturated !== undefined; bisection++) {
      const rate = midpoint(clean, saturated, options.granularity);
      if (rate === undefined || !withinBudget(rate)) break;
      if (await step(rate)) clean = rate;
      else saturated = rate;
    }
  } finally {
    await server.stop();
  }
  return results;
}

/**
 * The same load at `rate` against every target in turn, `rounds` times, with all their servers
 * started once and warmed up: alternating rounds, so that what disturbs the machine for a while
 * (other processes, a neighbour of the VM) falls on every target alike and the median of each
 * target's rounds compares with the others'. Each step is logged as it ends; the servers are
 * stopped at the end. Answers the steps of each target, in the order of `targets`.
 */
export async function alternateRounds(sippPath: string, targets: readonly LoadTarget[], options: { readonly rate: number; readonly stepSeconds: number; readonly rounds: number; readonly sippArgs?: (target: LoadTarget) => readonly string[] }): Promise<StepResult[][]> {
  const started: { target: LoadTarget; server: ManagedProcess; port: number }[] = [];
  const results = targets.map((): StepResult[] => []);
  const argsOf = (target: LoadTarget): readonly string[] => options.sippArgs?.(target) ?? [];
  try {
    for (const target of targets) {
      const port = await freePort('udp');
      started.push({ target, server: await target.start(port), port });
      await runStep(sippPath, target, started[started.length - 1].server, port, WARM_UP_RATE, WARM_UP_SECONDS, 'warm', argsOf(target));
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const [index, { target, server, port }] of started.entries()) {
        await settle(server);
        const result = await runStep(sippPath, target, server, port, options.rate, options.stepSeconds, `r${round}`, argsOf(target));
        results[index].push(result);
        console.log(`${target.name} round ${round + 1} @ ${result.offeredRate}/s: CPU ${result.cpuUsPerCall.toFixed(1)} µs/registration, failed ${(result.failedShare * 100).toFixed(2)} %`);
      }
    }
  } finally {
    await Promise.all(started.map(({ server }) => server.stop()));
  }
  return results;
}
