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
import { REPOSITORY_ROOT, startSipreg } from '../../test/helpers/start-sipreg';
import { SIPP_INSTANCES, searchMaxRate, type LoadTarget, type StepResult } from './rate-search';
import { startBenchKamailio } from './start-kamailio';

const DEFAULT_RATES = [5_000, 10_000, 20_000, 30_000, 40_000] as const;
const BISECTIONS = 2;
/** The whole bench stops starting new steps after this much wall time. */
const BUDGET_MS = 270_000;
const SCENARIO = fileURLToPath(new URL('./register-load.xml', import.meta.url));

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
const startedAt = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);

/** A target of this bench: REGISTERs of a new AOR each, `[prefix][call_number]` with a prefix per step and SIPp instance. */
const target = (name: string, start: LoadTarget['start']): LoadTarget => ({
  name,
  start,
  scenario: SCENARIO,
  instanceLoad: (step, instance) => ({ keys: { prefix: `${step}i${instance}u` } }),
});

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
  const targets: LoadTarget[] = [];
  const kamailioPath = findBinary('kamailio');
  if (kamailioPath === undefined) console.log('Kamailio not installed: reference rows skipped');
  else targets.push(target('Kamailio 5.6 (usrloc, 2 children)', (port) => startBenchKamailio({ kamailioPath, port })));
  if (existsSync(join(REPOSITORY_ROOT, 'src', 'cli', 'main.ts'))) {
    targets.push(target('sipreg CLI (--store memory)', (port) => startSipreg({ port })));
  } else {
    console.log('src/cli/main.ts not present: sipreg rows skipped');
  }
  const results: StepResult[] = [];
  const search = { rates, stepSeconds, bisections: BISECTIONS, granularity: 1000, deadline: startedAt + BUDGET_MS };
  for (const t of targets) results.push(...(await searchMaxRate(sippPath, t, search)));
  console.log(`\nREGISTER over UDP on loopback, ${SIPP_INSTANCES} SIPp instances, ${stepSeconds} s per step, a new AOR per REGISTER`);
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp shares the cores with the server)`);
  console.log('server CPU %: 100 = one core (all server processes); RSS: proportional set size summed over the server processes\n');
  console.log(table(results));
}

await main();
