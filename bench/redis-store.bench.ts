/**
 * REGISTER throughput of the sipreg CLI registrar per location store, over loopback UDP with
 * SIPp (not a timed test; run with `npm run bench -- redis-store`):
 *   (a) one node, `--store memory`;
 *   (b) one node, `--store sqlite:<tmp file>` (WAL, synchronous=normal: the CLI default);
 *   (c) two nodes (two CLI processes on two ports) sharing one Redis, notices on, the SIPp load
 *       split over both nodes;
 *   (d) as (c) with `--store-notices 0`;
 *   (e) one node on Redis (notices on, the default), to show what Redis costs one node;
 *   (f) as (e) with Redis writing an AOF with `appendfsync everysec`;
 * and Kamailio 5.6 (in-memory usrloc, 2 children: bench/sipp/kamailio.cfg.tmpl, as the wire
 * bench runs it) as the peer in the same run.
 *
 *   node --import tsx bench/redis-store.bench.ts [--seconds S] [--in-flight N] [--rows k,a,b,c,d,e,f]
 *
 * Every row gets a fresh server (and a fresh Redis, `appendonly no` unless said otherwise) and
 * three passes of two SIPp instances (bench/sipp/register-pass.xml), each closed-loop: at most
 * `--in-flight` REGISTERs outstanding per instance (`-l`, with `-r` only a cap), so SIPp sends
 * as fast as the server answers and its CallRate(C) is the throughput reached:
 *   1. an unreported 2 s warm-up (its own AORs);
 *   2. insert: `--seconds` (default 8) of REGISTERs, a new AOR per call ([call_number]), so
 *      every REGISTER inserts; stopped with SIGUSR1 (SIPp finishes the calls in flight);
 *   3. refresh: the same AORs again, same Call-ID and Contact, CSeq 2 (as bench/register.bench.ts
 *      refreshes what it registered), until every AOR of pass 2 is refreshed or `--seconds` pass.
 * Each measured pass first waits (briefly, within a budget) for the machine to be idle. CPU is
 * read from /proc/<pid>/stat before and after each pass (each registrar process, with its
 * children for Kamailio; redis-server; SIPp; the whole machine from /proc/stat), and the Redis
 * commands from `INFO commandstats`. One pass per setup, no repetition: compare rows of one run.
 * Prints a markdown table; never part of CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { findBinary } from '../test/helpers/find-binary';
import { freePort } from '../test/helpers/free-port';
import { parseSippStats, type SippStats } from '../test/helpers/parse-sipp-stats';
import { spawnManaged, type ManagedProcess, type ProcessExit } from '../test/helpers/spawn-managed';
import { startSipreg } from '../test/helpers/start-sipreg';
import { redisCommand, startRedis, type RedisServer } from '../test/helpers/start-redis';
import { createProcessTreeUsageReader } from './sipp/read-process-tree-usage';
import { startBenchKamailio } from './sipp/start-kamailio';

const SCENARIO = fileURLToPath(new URL('./sipp/register-pass.xml', import.meta.url));
const SIPP_INSTANCES = 2;
/** `-r` of each SIPp instance: only a ceiling, the `-l` window sets the pace. */
const SIPP_RATE_CAP = 60_000;
const WARM_UP_SECONDS = 2;
/** `-m` of a time-bounded pass: never reached. */
const UNBOUNDED_CALLS = 10_000_000;
/** SIPp's own `-timeout` is this much above the pass; `timeout -s KILL` 15 s above that. */
const SIPP_TIMEOUT_MARGIN_SEC = 20;
const KILL_MARGIN_SEC = 15;
/** Between passes, wait (at most SETTLE_MAX_MS) until the servers use under this share of a core. */
const SETTLE_CPU_SHARE = 0.2;
const SETTLE_MAX_MS = 10_000;
const SIPP_SAMPLE_MS = 100;
/**
 * Before each measured pass, wait up to QUIET_MAX_MS for the machine to idle (other work skews
 * every figure), but no more than QUIET_BUDGET_MS over the whole run.
 */
const QUIET_BUSY_PERCENT = 30;
const QUIET_MAX_MS = 10_000;
const QUIET_BUDGET_MS = 60_000;
let quietBudgetMs = QUIET_BUDGET_MS;

const options = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '200' },
    rows: { type: 'string', default: 'k,a,b,c,d,e,f' },
  },
}).values;
const passSeconds = Number(options.seconds);
const inFlight = Number(options['in-flight']);
const wantedRows = new Set(options.rows.split(','));
if (!(passSeconds > 0) || !(Number.isInteger(inFlight) && inFlight > 0)) {
  console.error('usage: node --import tsx bench/redis-store.bench.ts [--seconds S] [--in-flight N] [--rows k,a,b,c,d,e,f]');
  process.exit(2);
}

const sippPath = findBinary('sipp');
const timeoutPath = findBinary('timeout');
if (sippPath === undefined || timeoutPath === undefined) {
  console.log('redis-store bench skipped: sipp (apt-get install sip-tester) or timeout is not installed');
  process.exit(0);
}
const kamailioPath = findBinary('kamailio');
const redisInstalled = findBinary('redis-server') !== undefined;
const readUsage = createProcessTreeUsageReader();
/** /proc/stat counts in USER_HZ (`getconf CLK_TCK`). */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const startedAt = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);

type Store = 'kamailio' | 'memory' | 'sqlite' | 'redis';

interface RowSpec {
  readonly id: string;
  readonly setup: string;
  readonly store: Store;
  readonly nodes: number;
  /** Redis rows: `--store-notices`. */
  readonly notices?: boolean;
  /** Redis rows: AOF off, or on with fsync every second. */
  readonly aof?: 'no' | 'everysec';
}

const ROWS: readonly RowSpec[] = [
  { id: 'k', setup: 'Kamailio 5.6, usrloc in memory (db_mode 0), 2 children', store: 'kamailio', nodes: 1 },
  { id: 'a', setup: 'sipreg, 1 node, `--store memory`', store: 'memory', nodes: 1 },
  { id: 'b', setup: 'sipreg, 1 node, `--store sqlite:<tmp>`', store: 'sqlite', nodes: 1 },
  { id: 'c', setup: 'sipreg, 2 nodes, 1 Redis, notices on', store: 'redis', nodes: 2, notices: true, aof: 'no' },
  { id: 'd', setup: 'sipreg, 2 nodes, 1 Redis, `--store-notices 0`', store: 'redis', nodes: 2, notices: false, aof: 'no' },
  { id: 'e', setup: 'sipreg, 1 node, Redis, notices on', store: 'redis', nodes: 1, notices: true, aof: 'no' },
  { id: 'f', setup: 'sipreg, 1 node, Redis AOF `appendfsync everysec`, notices on', store: 'redis', nodes: 1, notices: true, aof: 'everysec' },
];

/** What serves one row: the registrar processes (one UDP port each) and maybe a Redis. */
interface Deployment {
  readonly row: RowSpec;
  readonly servers: readonly { readonly pid: number; readonly port: number }[];
  readonly redis?: { readonly port: number; readonly pid: number };
  stop(): Promise<void>;
}

interface PassResult {
  readonly row: RowSpec;
  readonly pass: 'insert' | 'refresh';
  readonly callRate: number;
  readonly calls: number;
  readonly failed: number;
  readonly retransmissions: number;
  /** Per registrar process, in % of one core. */
  readonly serverCpu: readonly number[];
  /** Registrar CPU seconds (all processes) per REGISTER, in µs. */
  readonly serverMicrosPerRegister: number;
  /** Highest memory (PSS, MB) of each registrar process tree sampled during the pass. */
  readonly serverPeakMb: readonly number[];
  readonly redisCpu?: number;
  readonly redisMicrosPerRegister?: number;
  readonly redisCommands?: { readonly hgetall: number; readonly evalsha: number; readonly publish: number };
  readonly sippCpu: number;
  readonly machineBusy: number;
  /** Machine busy time not used by the processes above nor by this bench: other processes, softirq. */
  readonly unattributed: number;
  /** Calls created by each SIPp instance (the refresh pass replays exactly these AORs). */
  readonly perInstanceCalls: readonly number[];
}

const sum = (xs: readonly number[]): number => xs.reduce((total, x) => total + x, 0);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Busy jiffies of the whole machine (first line of /proc/stat). */
function machineTicks(): { busy: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - fields[3] - fields[4] };
}

/** The pids whose parent is `pid` (SIPp under `timeout`). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** `name:calls=N,...` lines of `INFO commandstats`. */
async function redisCommandCalls(port: number): Promise<Record<string, number>> {
  const info = String(await redisCommand(port, ['INFO', 'commandstats']));
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]] = Number(match[2]);
  return calls;
}

interface SippPass {
  /** `timeout`'s pid: SIPp is its child. */
  readonly treePid: number;
  /** SIGUSR1 to SIPp: no new calls, exit once the calls in flight end. */
  stop(): void;
  readonly done: Promise<{ readonly exit: ProcessExit; readonly stats: SippStats; readonly errors: string; readonly output: string }>;
}

/** One SIPp UAC instance under `timeout -s KILL`, bounded by `-m`, `-timeout` and the kill. */
function startSippPass(serverPort: number, localPort: number, prefix: string, cseq: number, calls: number, seconds: number): SippPass {
  const workDir = mkdtempSync(join(tmpdir(), 'sipreg-sipp-'));
  const statsFile = join(workDir, 'stats.csv');
  const errorFile = join(workDir, 'errors.log');
  const sippTimeout = Math.ceil(seconds) + SIPP_TIMEOUT_MARGIN_SEC;
  const args = [
    '-s', 'KILL', String(sippTimeout + KILL_MARGIN_SEC), sippPath as string,
    `127.0.0.1:${serverPort}`,
    '-sf', SCENARIO,
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-m', String(calls),
    '-r', String(SIPP_RATE_CAP),
    '-l', String(inFlight),
    '-timeout', `${sippTimeout}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_stat', '-stf', statsFile, '-fd', '1',
    '-trace_err', '-error_file', errorFile,
    '-key', 'prefix', prefix,
    '-key', 'reg_cseq', String(cseq),
    '-cid_str', `${prefix}%u@bench.test`,
    '-recv_timeout', '4000',
    '-buff_size', '4194304',
    '-max_recv_loops', '5000',
    '-max_sched_loops', '5000',
  ];
  const proc: ManagedProcess = spawnManaged(timeoutPath as string, args, { cwd: workDir, outputLimit: 16_384 });
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const done = proc.exited
    .then((exit) => {
      const csv = read(statsFile);
      if (csv === '') throw new Error(`SIPp wrote no statistics (exit ${exit.code}, signal ${exit.signal}):\n${proc.output()}`);
      return { exit, stats: parseSippStats(csv), errors: read(errorFile), output: proc.output() };
    })
    .finally(() => rmSync(workDir, { recursive: true, force: true }));
  return {
    treePid: proc.pid,
    stop() {
      for (const pid of childrenOf(proc.pid)) {
        try {
          process.kill(pid, 'SIGUSR1');
        } catch {
          // already gone
        }
      }
    },
    done,
  };
}

/** Wait until the row's servers (and Redis) use under SETTLE_CPU_SHARE of a core for 500 ms. */
async function settle(deployment: Deployment): Promise<void> {
  const pids = [...deployment.servers.map((s) => s.pid), ...(deployment.redis === undefined ? [] : [deployment.redis.pid])];
  const cpu = (): number => pids.reduce((sum, pid) => sum + readUsage(pid).cpuSec, 0);
  const deadline = Date.now() + SETTLE_MAX_MS;
  while (Date.now() < deadline) {
    const before = cpu();
    await sleep(500);
    if (cpu() - before < 0.5 * SETTLE_CPU_SHARE * pids.length) return;
  }
}

/**
 * One pass of SIPP_INSTANCES SIPp instances, instance i sending to server i mod nodes from its
 * own fixed local port: `calls[i]` calls each (undefined: unbounded), stopped after `seconds`.
 */
async function runPass(
  deployment: Deployment,
  localPorts: readonly number[],
  prefix: string,
  cseq: number,
  seconds: number,
  calls?: readonly number[],
): Promise<Omit<PassResult, 'pass'>> {
  const { row, servers, redis } = deployment;
  const redisBefore = redis === undefined ? undefined : await redisCommandCalls(redis.port);
  const serverBefore = servers.map((s) => readUsage(s.pid).cpuSec);
  const redisCpuBefore = redis === undefined ? 0 : readUsage(redis.pid).cpuSec;
  const machineBefore = machineTicks();
  const benchBefore = process.cpuUsage();
  const beganAt = process.hrtime.bigint();
  const sipps = localPorts.map((localPort, i) =>
    startSippPass(servers[i % servers.length].port, localPort, `${prefix}${i}u`, cseq, calls?.[i] ?? UNBOUNDED_CALLS, seconds),
  );
  // SIPp's CPU is sampled while it runs (its /proc entry goes with it): the last sample counts.
  const sippCpu = sipps.map(() => 0);
  const serverPeakBytes = servers.map(() => 0);
  const sampleSipp = (): void => {
    sipps.forEach((sipp, i) => {
      const usage = readUsage(sipp.treePid);
      if (usage.processes > 1) sippCpu[i] = usage.cpuSec;
    });
    servers.forEach((server, i) => {
      serverPeakBytes[i] = Math.max(serverPeakBytes[i], readUsage(server.pid).pssBytes);
    });
  };
  const sampler = setInterval(sampleSipp, SIPP_SAMPLE_MS);
  const timer = setTimeout(() => {
    sampleSipp();
    for (const sipp of sipps) sipp.stop();
  }, seconds * 1000);
  let runs;
  try {
    runs = await Promise.all(sipps.map((sipp) => sipp.done));
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
  const wallSec = Number(process.hrtime.bigint() - beganAt) / 1e9;
  const machineAfter = machineTicks();
  const benchCpu = process.cpuUsage(benchBefore);
  const serverCpuSec = servers.map((s, i) => readUsage(s.pid).cpuSec - serverBefore[i]);
  const redisCpuSec = redis === undefined ? 0 : readUsage(redis.pid).cpuSec - redisCpuBefore;
  const redisAfter = redis === undefined ? undefined : await redisCommandCalls(redis.port);
  for (const run of runs) {
    if (run.exit.code !== 0 && run.exit.code !== 1) throw new Error(`SIPp exited with ${run.exit.code ?? run.exit.signal}:\n${run.output}`);
  }
  const created = runs.reduce((sum, run) => sum + run.stats.totalCalls, 0);
  const machineBusy = ((machineAfter.busy - machineBefore.busy) / ticksPerSecond / wallSec) * 100;
  const delta = (name: string): number => (redisAfter?.[name] ?? 0) - (redisBefore?.[name] ?? 0);
  return {
    row,
    callRate: runs.reduce((sum, run) => sum + run.stats.callRate, 0),
    calls: created,
    failed: runs.reduce((sum, run) => sum + run.stats.failedCalls, 0),
    retransmissions: runs.reduce((sum, run) => sum + run.stats.retransmissions, 0),
    serverCpu: serverCpuSec.map((sec) => (sec / wallSec) * 100),
    serverMicrosPerRegister: (serverCpuSec.reduce((sum, sec) => sum + sec, 0) / created) * 1e6,
    serverPeakMb: serverPeakBytes.map((bytes) => bytes / 2 ** 20),
    redisCpu: redis === undefined ? undefined : (redisCpuSec / wallSec) * 100,
    redisMicrosPerRegister: redis === undefined ? undefined : (redisCpuSec / created) * 1e6,
    redisCommands: redis === undefined ? undefined : { hgetall: delta('hgetall'), evalsha: delta('evalsha') + delta('eval'), publish: delta('publish') },
    sippCpu: (sippCpu.reduce((sum, sec) => sum + sec, 0) / wallSec) * 100,
    machineBusy: machineBusy,
    unattributed: Math.max(0, machineBusy - sum([...serverCpuSec, redisCpuSec, ...sippCpu, (benchCpu.user + benchCpu.system) / 1e6]) / wallSec * 100),
    perInstanceCalls: runs.map((run) => run.stats.totalCalls),
  };
}

/** Start what a row needs; everything started is stopped again if a later start fails. */
async function deploy(row: RowSpec): Promise<Deployment> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    if (row.store === 'kamailio') {
      const port = await freePort('udp');
      const kamailio = await startBenchKamailio({ kamailioPath: kamailioPath as string, port });
      cleanups.push(() => kamailio.stop());
      return { row, servers: [{ pid: kamailio.pid, port }], stop };
    }
    let store: string = row.store;
    let redis: { port: number; pid: number } | undefined;
    const extraArgs: string[] = [];
    if (row.store === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'sipreg-bench-sqlite-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      store = `sqlite:${join(dir, 'location.db')}`;
    } else if (row.store === 'redis') {
      const server: RedisServer = await startRedis(
        row.aof === 'everysec' ? { appendOnly: true, extraArgs: ['--appendfsync', 'everysec'] } : { appendOnly: false },
      );
      cleanups.push(() => server.stop());
      const info = String(await redisCommand(server.port, ['INFO', 'server']));
      redis = { port: server.port, pid: Number(/^process_id:(\d+)/m.exec(info)?.[1]) };
      const aof = String((await redisCommand(server.port, ['CONFIG', 'GET', 'appendonly'])) as string[]);
      const fsync = String((await redisCommand(server.port, ['CONFIG', 'GET', 'appendfsync'])) as string[]);
      const expected = row.aof === 'everysec' ? 'appendonly,yes/appendfsync,everysec' : 'appendonly,no';
      if (!`${aof}/${fsync}`.startsWith(expected)) throw new Error(`redis-server runs with ${aof}/${fsync}, expected ${expected}`);
      store = server.url;
      extraArgs.push('--store-notices', row.notices === false ? '0' : '1');
    }
    const servers: { pid: number; port: number }[] = [];
    for (let node = 0; node < row.nodes; node++) {
      const port = await freePort('udp');
      const sipreg = await startSipreg({ port, store, extraArgs });
      cleanups.push(() => sipreg.stop());
      servers.push({ pid: sipreg.pid, port });
    }
    return { row, servers, redis, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Wait (at most QUIET_MAX_MS, within what is left of QUIET_BUDGET_MS) until the machine is
 * quiet: under QUIET_BUSY_PERCENT of a core busy over 500 ms. Logs when it gives up.
 */
async function waitForQuietMachine(what: string): Promise<void> {
  const began = Date.now();
  const deadline = began + Math.min(QUIET_MAX_MS, quietBudgetMs);
  for (;;) {
    const before = machineTicks().busy;
    await sleep(500);
    const busy = ((machineTicks().busy - before) / ticksPerSecond / 0.5) * 100;
    if (busy < QUIET_BUSY_PERCENT) break;
    if (Date.now() >= deadline) {
      console.log(`${what}: starting on a busy machine (${busy.toFixed(0)} % of a core in use by others)`);
      break;
    }
  }
  quietBudgetMs = Math.max(0, quietBudgetMs - (Date.now() - began - 500));
}

async function benchRow(row: RowSpec): Promise<PassResult[]> {
  const deployment = await deploy(row);
  try {
    const localPorts = await Promise.all(Array.from({ length: SIPP_INSTANCES }, () => freePort('udp')));
    await runPass(deployment, localPorts, `${row.id}w`, 1, WARM_UP_SECONDS);
    await settle(deployment);
    await waitForQuietMachine(`(${row.id}) insert`);
    const insert: PassResult = { ...(await runPass(deployment, localPorts, row.id, 1, passSeconds)), pass: 'insert' };
    log(insert);
    await settle(deployment);
    await waitForQuietMachine(`(${row.id}) refresh`);
    const refresh: PassResult = { ...(await runPass(deployment, localPorts, row.id, 2, passSeconds, insert.perInstanceCalls)), pass: 'refresh' };
    log(refresh);
    return [insert, refresh];
  } finally {
    await deployment.stop();
  }
}

function log(result: PassResult): void {
  console.log(
    `(${result.row.id}) ${result.pass}: ${Math.round(result.callRate)}/s, ${result.calls} calls, ${result.failed} failed, ` +
      `registrar CPU ${result.serverCpu.map((c) => c.toFixed(0)).join('+')} %` +
      (result.redisCpu === undefined ? '' : `, redis ${result.redisCpu.toFixed(0)} %`) +
      (result.redisCommands === undefined ? '' : `, PUBLISH/REGISTER ${(result.redisCommands.publish / result.calls).toFixed(2)}`) +
      `, SIPp ${result.sippCpu.toFixed(0)} %, machine ${result.machineBusy.toFixed(0)} % (unattributed ${result.unattributed.toFixed(0)} %)`,
  );
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(results: readonly PassResult[]): string {
  const rows = results.map((r) => {
    const commands = r.redisCommands;
    const perRegister =
      commands === undefined
        ? '–'
        : `${((commands.hgetall + commands.evalsha) / r.calls).toFixed(2)} (${(commands.hgetall / r.calls).toFixed(2)} + ${(commands.evalsha / r.calls).toFixed(2)})`;
    return [
      `(${r.row.id}) ${r.row.setup}`,
      r.pass,
      int(r.callRate),
      int(r.calls),
      int(r.failed),
      int(r.retransmissions),
      r.serverCpu.map((c) => c.toFixed(0)).join(' + '),
      r.serverMicrosPerRegister.toFixed(1),
      r.serverPeakMb.map((mb) => mb.toFixed(0)).join(' + '),
      r.redisCpu === undefined ? '–' : r.redisCpu.toFixed(0),
      r.redisMicrosPerRegister === undefined ? '–' : r.redisMicrosPerRegister.toFixed(1),
      perRegister,
      r.sippCpu.toFixed(0),
      r.machineBusy.toFixed(0),
      r.unattributed.toFixed(0),
    ].join(' | ');
  });
  return [
    '| setup | pass | REGISTER/s reached (SIPp CallRate(C), 2 instances) | REGISTERs | failed calls | retransmissions | registrar CPU % (per process) | registrar CPU µs / REGISTER | registrar peak memory MB (PSS, per process) | redis-server CPU % | redis-server CPU µs / REGISTER | Redis round trips / REGISTER (HGETALL + EVALSHA) | SIPp CPU % | machine busy % (of 200) | of which unattributed % |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const rows = ROWS.filter((row) => {
    if (!wantedRows.has(row.id)) return false;
    if (row.store === 'kamailio' && kamailioPath === undefined) {
      console.log('Kamailio not installed: peer row skipped');
      return false;
    }
    if (row.store === 'redis' && !redisInstalled) {
      console.log(`redis-server not installed: row (${row.id}) skipped`);
      return false;
    }
    return true;
  });
  const results: PassResult[] = [];
  for (const row of rows) results.push(...(await benchRow(row)));

  console.log(
    `\nREGISTER over UDP on loopback: ${SIPP_INSTANCES} SIPp instances, each closed-loop with at most ${inFlight} REGISTERs in flight ` +
      `(-l ${inFlight}, -r ${SIPP_RATE_CAP} only a cap), after an unreported ${WARM_UP_SECONDS} s warm-up per setup`,
  );
  console.log(
    `insert: ${passSeconds} s, a new AOR per REGISTER ([call_number]); refresh: the same AORs again (same Call-ID and Contact, CSeq 2), ` +
      `until all are refreshed or ${passSeconds} s pass`,
  );
  const tmpFs = execFileSync('stat', ['-f', '-c', '%T', tmpdir()], { encoding: 'utf8' }).trim();
  console.log(
    `machine: ${cpus().length} cores, load average before the run ${loadAtStart}; SQLite file and Redis AOF in ${tmpdir()} (${tmpFs}); ` +
      `run took ${((Date.now() - startedAt) / 1000).toFixed(0)} s\n`,
  );
  console.log(table(results));
  console.log(`
- Only ${cpus().length} cores: SIPp (two processes), the registrar node(s) and redis-server all share them. A sipreg node is one Node.js event loop, so about 100 % is one node's ceiling; with two nodes "machine busy %" near 200 means the cores, not a node, are the limit. Two nodes therefore cannot double one node's rate here (SIPp and Redis take their share of the same two cores); compare "registrar CPU µs / REGISTER" (what one REGISTER costs the nodes) rather than the rates.
- Redis 7.0 is started fresh for each Redis row with \`appendonly no\` and no RDB snapshots (\`save ""\`), except row (f): \`appendonly yes\`, \`appendfsync everysec\`. SQLite (b) is the CLI default: WAL, synchronous=normal.
- Redis round trips: counted from \`INFO commandstats\` over the pass (HGETALL + EVALSHA per REGISTER, EVAL counted with EVALSHA). The two are sequential (load, then the compare-and-set commit script), so each REGISTER waits for two replies; ioredis auto-pipelining may put the commands of concurrent REGISTERs in one TCP write.
- Notices on: each commit's script PUBLISHes the changes on one channel, and every node subscribed to it (also the committing node, which drops its own) receives and parses each notice.
- CPU % (100 = one core) from /proc/<pid>/stat utime+stime over the pass; Kamailio counts its main process and all its children; SIPp's is sampled every ${SIPP_SAMPLE_MS} ms while it runs. "registrar CPU µs / REGISTER" sums all registrar processes of the row.
- "registrar peak memory": the highest PSS (/proc/<pid>/smaps_rollup, the whole process tree) sampled every ${SIPP_SAMPLE_MS} ms during the pass.
- "of which unattributed": machine busy time not spent by the processes above nor by the bench process: softirq (loopback UDP/TCP) and any other work on the machine; a large figure means the row ran on a busy machine.
- Failed calls: SIPp FailedCall(C) (no 200 within 4 s, or another final response such as a 503 from a Redis timeout).`);
}

await main();
