/**
 * Over-the-wire REGISTER cost and throughput: SIPp (two instances, RFC 3261 §10.2 REGISTERs, a
 * new AOR per call) on loopback UDP, in the same run, against Kamailio 5.6 as the reference
 * (in-memory usrloc, 2 children), the sipreg CLI registrar (`--store memory`), two sipreg
 * processes sharing the socket and one location in Redis (`--workers 2`, when the CLI has it and
 * redis-server is installed), and the bare Node.js `dgram` responder, the floor of any Node
 * server; each under the REGISTER a modern phone sends (`register-phone.xml`) and the minimal
 * one (`register-load.xml`). See `wire-targets.ts`.
 *
 *   node --import tsx bench/sipp/wire.bench.ts [--cpu-rate N] [--rounds R] [--rate N] [--seconds S]
 *
 * Two parts, both per REGISTER kind:
 * 1. CPU per REGISTER: every server at the same moderate rate (`--cpu-rate`, default 5,000/s),
 *    in `--rounds` alternating rounds (default 3) of `--seconds` each (default 5); the figure is
 *    the median of a server's rounds of its processes' CPU time per answered REGISTER.
 * 2. The highest clean rate (< 1 % failed calls, SIPp reaching 90 % of the offer): a server
 *    steps up through the default rates (or runs the single total rate `--rate N`) until a step
 *    saturates, then bisects once between the last clean rate and that one.
 * Each server first gets an unreported 2 s warm-up at 2,000/s. Each step registers new AORs, so
 * the location grows during the run. No new step starts after about nine minutes. Prints
 * markdown tables; never part of CI.
 */
import { cpus, loadavg } from 'node:os';

import { fmt } from '../bench-kit';
import { readRateBenchOptions } from './rate-bench-options';
import { SIPP_INSTANCES, alternateRounds, searchMaxRate } from './rate-search';
import { rateStepsTable, rateSummaryTable, type RateRow, type RateTableWords } from './rate-tables';
import { WIRE_SCENARIOS, startWireTargets, type WireScenario, type WireTargets } from './wire-targets';

const DEFAULT_RATES = [5_000, 10_000, 15_000, 20_000, 30_000] as const;
const BISECTIONS = 1;
/** The whole bench stops starting new steps of the rate searches after this much wall time. */
const BUDGET_MS = 540_000;

const { stepSeconds, cpuRate, rounds, rates, sippPath } = readRateBenchOptions('wire', 5_000, DEFAULT_RATES);
const startedAt = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);

/** The words of both tables. */
const WORDS: RateTableWords = { labels: ['server', 'REGISTER'], unit: 'REGISTER', perSecond: 'REGISTER/s', rates: ['offered rate', 'achieved REGISTER/s (SIPp CallRate(C))', '200 OK/s'], decimals: 1, cpuRate };

/** Both parts for `scenario`: the alternating CPU rounds of every server, then each server's rate search. */
async function benchScenario(scenario: WireScenario, targetsFor: WireTargets['targetsFor']): Promise<RateRow[]> {
  const targets = targetsFor(scenario);
  console.log(`\n${scenario.name} REGISTER: ${targets.length} servers, CPU rounds at ${cpuRate}/s`);
  const cpuRounds = await alternateRounds(sippPath, targets, { rate: cpuRate, stepSeconds, rounds });
  const search = { rates, stepSeconds, bisections: BISECTIONS, granularity: 1000, deadline: startedAt + BUDGET_MS };
  const rows: RateRow[] = [];
  for (const [index, target] of targets.entries()) {
    const row: RateRow = { labels: [target.name, scenario.name], rounds: cpuRounds[index], search: await searchMaxRate(sippPath, target, search) };
    // A server that did not start has no row.
    if (row.rounds.length > 0 || row.search.length > 0) rows.push(row);
  }
  return rows;
}

/** Bench every installed server under both REGISTERs and print the tables. */
async function main(): Promise<void> {
  const wire = await startWireTargets();
  const rows: RateRow[] = [];
  try {
    for (const scenario of WIRE_SCENARIOS) rows.push(...(await benchScenario(scenario, wire.targetsFor)));
  } finally {
    await wire.stop();
  }
  console.log(`\n### REGISTER over UDP on loopback: CPU per REGISTER and the highest clean rate\n`);
  console.log(`${SIPP_INSTANCES} SIPp instances, ${stepSeconds} s per step, a new AOR per REGISTER; CPU at ${fmt(cpuRate)}/s as the median of ${rounds} alternating rounds; clean: < 1 % failed calls and SIPp reaching 90 % of the offered rate.`);
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp shares the cores with the server); server CPU: all its processes (Kamailio's children, the sipreg workers; not redis-server).\n`);
  console.log(rateSummaryTable(WORDS, rows));
  console.log('\n#### Every step of the rate searches\n');
  console.log(rateStepsTable(WORDS, rows));
}

await main();
