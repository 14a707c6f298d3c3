/**
 * Calls per second through a forking proxy (RFC 3261 §16): a SIPp caller (two instances) makes
 * INVITE → 180 → 200 → ACK → BYE → 200 calls (`test/interop/scenarios/forking-call.xml`, no pause) to
 * one AOR over loopback UDP, in the same run, through Kamailio 5.6 as the reference (usrloc in
 * memory, `lookup("location")` then `t_relay()` of tm, 2 children: `kamailioForkingConfig`) and
 * through the sipreg CLI registrar (`--store memory`). The AOR is registered by one SIPp phone that
 * answers at once (`forking-phone-answers.xml`), and then by two: that one and one that
 * only rings and is cancelled (`forking-phone-rings.xml`: CANCEL, 200, 487, ACK), so each call forks.
 *
 *   node --import tsx bench/sipp/forking.bench.ts [--cpu-rate N] [--rounds R] [--rate N] [--seconds S]
 *
 * Two parts per phone count, as `wire.bench.ts`: the proxy's CPU time per call (its processes
 * only, not the phones') at `--cpu-rate` calls/s (default 200) as the median of `--rounds`
 * alternating rounds (default 3) of `--seconds` each (default 5); then the highest clean rate
 * (< 1 % failed calls, SIPp reaching 90 % of the offer) stepping through the default rates (or
 * the single `--rate N`), bisecting once. No new step starts after about nine minutes. Prints
 * markdown tables; never part of CI.
 */
import { cpus, loadavg } from 'node:os';

import { findBinary } from '../../test/helpers/find-binary';
import { kamailioForkingConfig } from '../../test/helpers/kamailio-forking-config';
import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { startKamailio } from '../../test/helpers/start-kamailio';
import { REPOSITORY_ROOT, startSipreg } from '../../test/helpers/start-sipreg';
import { fmt } from '../bench-kit';
import { readRateBenchOptions } from './rate-bench-options';
import { SIPP_INSTANCES, alternateRounds, searchMaxRate, type LoadTarget } from './rate-search';
import { rateStepsTable, rateSummaryTable, type RateRow, type RateTableWords } from './rate-tables';
import { withPhones } from './with-phones';

const DEFAULT_RATES = [250, 500, 1_000, 2_000, 4_000] as const;
const BISECTIONS = 1;
const BUDGET_MS = 540_000;
const SCENARIOS = `${REPOSITORY_ROOT}test/interop/scenarios`;
const CALL_SCENARIO = `${SCENARIOS}/forking-call.xml`;
/** The phones of the AOR in each part: one answering, then one answering and one cancelled. */
const PHONE_SETS = [
  { name: '1 phone', scenarios: [`${SCENARIOS}/forking-phone-answers.xml`] },
  { name: '2 phones (fork, 1 cancelled)', scenarios: [`${SCENARIOS}/forking-phone-answers.xml`, `${SCENARIOS}/forking-phone-rings.xml`] },
] as const;

const { stepSeconds, cpuRate, rounds, rates, sippPath } = readRateBenchOptions('forking', 200, DEFAULT_RATES);
const kamailioPath = findBinary('kamailio');
if (kamailioPath === undefined) console.log('Kamailio not installed: reference rows skipped');
const startedAt = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);

/** The proxies, each in front of `scenarios`' phones of the AOR `sip:USER@example.com`. */
function targetsFor(scenarios: readonly string[]): LoadTarget[] {
  const target = (name: string, user: string, start: (port: number) => Promise<ManagedProcess>): LoadTarget => ({
    name,
    start: (port) => withPhones(start, port, sippPath, user, scenarios),
    scenario: CALL_SCENARIO,
    instanceLoad: () => ({ keys: { callee: user }, extraArgs: ['-d', '0'] }),
  });
  const targets: LoadTarget[] = [];
  if (kamailioPath !== undefined) {
    targets.push(target('Kamailio 5.6 (tm, lookup + t_relay, 2 children)', 'kam', (port) => startKamailio({ kamailioPath, port, config: kamailioForkingConfig(port), sharedMemoryMb: 512, privateMemoryMb: 16 })));
  }
  targets.push(target('sipreg CLI registrar (--store memory)', 'sipreg', (port) => startSipreg({ port })));
  return targets;
}

/** The words of both tables. */
const WORDS: RateTableWords = { labels: ['proxy', 'AOR'], unit: 'call', perSecond: 'calls/s', rates: ['offered calls/s', 'achieved (SIPp CallRate(C))', 'completed calls/s'], decimals: 0, cpuRate };

async function main(): Promise<void> {
  const rows: RateRow[] = [];
  for (const phones of PHONE_SETS) {
    const targets = targetsFor(phones.scenarios);
    console.log(`\n${phones.name}: ${targets.length} proxies, CPU rounds at ${cpuRate}/s`);
    const cpuRounds = await alternateRounds(sippPath, targets, { rate: cpuRate, stepSeconds, rounds });
    const search = { rates, stepSeconds, bisections: BISECTIONS, granularity: 50, deadline: startedAt + BUDGET_MS };
    for (const [index, target] of targets.entries()) {
      const row: RateRow = { labels: [target.name, phones.name], rounds: cpuRounds[index], search: await searchMaxRate(sippPath, target, search) };
      if (row.rounds.length > 0 || row.search.length > 0) rows.push(row);
    }
  }
  console.log('\n### Calls through a forking proxy over UDP on loopback: CPU per call and the highest clean rate\n');
  console.log(`${SIPP_INSTANCES} SIPp callers, ${stepSeconds} s per step, INVITE → 180 → 200 → ACK → BYE, no pauses; CPU at ${fmt(cpuRate)}/s as the median of ${rounds} alternating rounds; clean: < 1 % failed calls and SIPp reaching 90 % of the offered rate.`);
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp callers and phones share the cores with the proxy); proxy CPU: its processes only (Kamailio's children), not the phones'.\n`);
  console.log(rateSummaryTable(WORDS, rows));
  console.log('\n#### Every step of the rate searches\n');
  console.log(rateStepsTable(WORDS, rows));
}

await main();
