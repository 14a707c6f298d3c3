/**
 * What the over-the-wire benches share: a step of load from SIPp instances (two unless told)
 * against one server on loopback UDP, measured from SIPp's own counters and the server's `/proc`
 * usage, and when asked the response times from SIPp's message trace; the search for the highest
 * rate the server sustains (step up until a step saturates, then bisect); the same load on
 * several servers in alternating rounds; and the response times under 1, 2, 4… SIPp instances.
 * Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../test/helpers/free-port';
import { runSipp, type SippRun } from '../../test/helpers/run-sipp';
import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { createProcessTreeUsageReader } from './read-process-tree-usage';
import { readResponseTimes, summarizeResponseTimes, type ResponseTimes } from './response-times';

/** SIPp processes sharing each step's rate, each on its own port, unless a step says otherwise. */
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
/** The unreported warm-up step of a target. */
const warmUp = (sippArgs: readonly string[]): StepSpec => ({ rate: WARM_UP_RATE, seconds: WARM_UP_SECONDS, step: 'warm', sippArgs });

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
  /** SIPp processes that shared the step's rate. */
  readonly instances: number;
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
  /** Over every instance's answered calls, when the step traced them; `undefined` otherwise or when none was answered. */
  readonly responseTimes?: ResponseTimes;
}

/** One step of load: `rate` shared by `instances` SIPp processes for `seconds`. */
interface StepSpec {
  readonly rate: number;
  readonly seconds: number;
  /** Names the step uniquely within the target (see {@link LoadTarget.instanceLoad}). */
  readonly step: string;
  readonly sippArgs: readonly string[];
  /** @defaultValue {@link SIPP_INSTANCES} */
  readonly instances?: number;
  /** Trace every message (`-trace_shortmsg`) and answer the response times. @defaultValue false */
  readonly responseTimes?: boolean;
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

/** One step: `spec.instances` SIPp processes share `spec.rate`, each with its own port and load. */
async function runStep(sippPath: string, target: LoadTarget, server: ManagedProcess, serverPort: number, spec: StepSpec): Promise<StepResult> {
  const { rate, seconds, step, sippArgs } = spec;
  const instances = spec.instances ?? SIPP_INSTANCES;
  const perInstanceRate = Math.ceil(rate / instances);
  const calls = perInstanceRate * seconds;
  const localPorts = await Promise.all(Array.from({ length: instances }, () => freePort('udp')));
  const loads = await Promise.all(localPorts.map((_, instance) => target.instanceLoad(step, instance, calls)));
  const traceDir = spec.responseTimes === true ? mkdtempSync(join(tmpdir(), 'sipreg-bench-trace-')) : undefined;
  const traceFile = (instance: number): string => join(traceDir as string, `sipp-${instance}.log`);
  const traceArgs = (instance: number): string[] => (traceDir === undefined ? [] : ['-trace_shortmsg', '-shortmessage_file', traceFile(instance)]);
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
        extraArgs: ['-recv_timeout', '4000', '-buff_size', '4194304', '-max_recv_loops', '5000', '-max_sched_loops', '5000', ...traceArgs(instance), ...sippArgs, ...(loads[instance].extraArgs ?? [])],
      }),
    ),
  );
  const wallSec = Number(process.hrtime.bigint() - beganAt) / 1e9;
  const after = readUsage(server.pid);
  let responseTimes: ResponseTimes | undefined;
  if (traceDir !== undefined) {
    responseTimes = summarizeResponseTimes(localPorts.flatMap((_, instance) => readResponseTimes(traceFile(instance))));
    rmSync(traceDir, { recursive: true, force: true });
  }
  const total = runs.reduce((sum, run) => sum + run.stats.totalCalls, 0);
  const failed = runs.reduce((sum, run) => sum + run.stats.failedCalls, 0);
  const successful = runs.reduce((sum, run) => sum + run.stats.successfulCalls, 0);
  const elapsedSec = Math.max(...runs.map((run) => run.stats.elapsedSec));
  const offeredRate = perInstanceRate * instances;
  const achievedRate = runs.reduce((sum, run) => sum + run.stats.callRate, 0);
  const failedShare = total > 0 ? failed / total : 1;
  return {
    target: target.name,
    instances,
    offeredRate,
    achievedRate,
    answeredRate: elapsedSec > 0 ? successful / elapsedSec : 0,
    failedShare,
    retransmissions: runs.reduce((sum, run) => sum + run.stats.retransmissions, 0),
    cpuPercent: ((after.cpuSec - before.cpuSec) / wallSec) * 100,
    cpuUsPerCall: successful > 0 ? ((after.cpuSec - before.cpuSec) / successful) * 1e6 : 0,
    memoryMb: after.pssBytes / 1024 / 1024,
    clean: failedShare < SATURATED_FAILED_SHARE && achievedRate >= offeredRate * SUSTAINED_RATE_SHARE,
    responseTimes,
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
 * as it ends. No steps when the target does not start.
 */
export async function searchMaxRate(sippPath: string, target: LoadTarget, options: SearchOptions): Promise<StepResult[]> {
  const running = await tryStart(target);
  if (running === undefined) return [];
  const { server, port } = running;
  const sippArgs = options.sippArgs ?? [];
  const results: StepResult[] = [];
  const withinBudget = (rate: number): boolean => {
    if (Date.now() <= options.deadline) return true;
    console.log(`time budget spent: ${target.name} stopped before ${rate}/s`);
    return false;
  };
  const step = async (rate: number): Promise<boolean> => {
    const result = await runStep(sippPath, target, server, port, { rate, seconds: options.stepSeconds, step: `s${results.length}`, sippArgs });
    results.push(result);
    console.log(
      `${target.name} @ ${result.offeredRate}/s: achieved ${result.achievedRate.toFixed(0)}/s, ` +
        `failed ${(result.failedShare * 100).toFixed(2)} %, CPU ${result.cpuPercent.toFixed(0)} %`,
    );
    await settle(server);
    return result.clean;
  };
  try {
    await runStep(sippPath, target, server, port, warmUp(sippArgs));
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

/** A target started on its port and warmed up. */
interface StartedTarget {
  /** Its place in the targets given. */
  readonly index: number;
  readonly target: LoadTarget;
  readonly server: ManagedProcess;
  readonly port: number;
}

/**
 * Start `target` on a free port; `undefined`, logged, when it does not start (a server that
 * fails leaves the others of the run their rows).
 */
async function tryStart(target: LoadTarget): Promise<{ server: ManagedProcess; port: number } | undefined> {
  const port = await freePort('udp');
  try {
    return { server: await target.start(port), port };
  } catch (error) {
    console.log(`${target.name} did not start, its rows skipped: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
    return undefined;
  }
}

/**
 * Start every target once on a port of its own and warm each up (unreported), run `body` on
 * those that started, and stop them whatever happens.
 */
async function withStartedTargets<T>(sippPath: string, targets: readonly LoadTarget[], argsOf: (target: LoadTarget) => readonly string[], body: (started: readonly StartedTarget[]) => Promise<T>): Promise<T> {
  const started: StartedTarget[] = [];
  try {
    for (const [index, target] of targets.entries()) {
      const running = await tryStart(target);
      if (running === undefined) continue;
      started.push({ index, target, ...running });
      await runStep(sippPath, target, running.server, running.port, warmUp(argsOf(target)));
    }
    return await body(started);
  } finally {
    await Promise.all(started.map(({ server }) => server.stop()));
  }
}

/**
 * The same load at `rate` against every target in turn, `rounds` times, with all their servers
 * started once and warmed up: alternating rounds, so that what disturbs the machine for a while
 * (other processes, a neighbour of the VM) falls on every target alike and the median of each
 * target's rounds compares with the others'. Each step is logged as it ends; the servers are
 * stopped at the end. Answers the steps of each target, in the order of `targets`.
 */
export function alternateRounds(sippPath: string, targets: readonly LoadTarget[], options: { readonly rate: number; readonly stepSeconds: number; readonly rounds: number; readonly sippArgs?: (target: LoadTarget) => readonly string[] }): Promise<StepResult[][]> {
  const argsOf = (target: LoadTarget): readonly string[] => options.sippArgs?.(target) ?? [];
  return withStartedTargets(sippPath, targets, argsOf, async (started) => {
    const results = targets.map((): StepResult[] => []);
    for (let round = 0; round < options.rounds; round++) {
      for (const { index, target, server, port } of started) {
        await settle(server);
        const result = await runStep(sippPath, target, server, port, { rate: options.rate, seconds: options.stepSeconds, step: `r${round}`, sippArgs: argsOf(target) });
        results[index].push(result);
        console.log(`${target.name} round ${round + 1} @ ${result.offeredRate}/s: CPU ${result.cpuUsPerCall.toFixed(1)} µs/registration, failed ${(result.failedShare * 100).toFixed(2)} %`);
      }
    }
    return results;
  });
}

/**
 * The response times of every target under 1, 2, 4… SIPp instances (`options.instances`), each
 * instance at `options.perInstanceRate`, so the total load doubles from one count to the next:
 * all servers started once and warmed up, then for each count every target in turn, every
 * message traced (`-trace_shortmsg`). Each step is logged as it ends; the servers are stopped at
 * the end. Answers the steps of each target, in the order of `targets`, one per count.
 */
export function responseTimeSteps(sippPath: string, targets: readonly LoadTarget[], options: { readonly perInstanceRate: number; readonly instances: readonly number[]; readonly stepSeconds: number }): Promise<StepResult[][]> {
  return withStartedTargets(sippPath, targets, () => [], async (started) => {
    const results = targets.map((): StepResult[] => []);
    for (const instances of options.instances) {
      for (const { index, target, server, port } of started) {
        await settle(server);
        const spec = { rate: options.perInstanceRate * instances, seconds: options.stepSeconds, step: `l${instances}`, sippArgs: [], instances, responseTimes: true };
        const result = await runStep(sippPath, target, server, port, spec);
        results[index].push(result);
        const times = result.responseTimes;
        console.log(`${target.name} ×${instances} @ ${result.offeredRate}/s: ${times === undefined ? 'no answer' : `median ${times.medianMs.toFixed(2)} ms, p99 ${times.p99Ms.toFixed(2)} ms`}, failed ${(result.failedShare * 100).toFixed(2)} %`);
      }
    }
    return results;
  });
}
