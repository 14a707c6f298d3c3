/**
 * REGISTER response times over the wire under 1, 2 and 4 SIPp instances, each at the same rate
 * (`--rate`, default 2,500/s, so 2,500, 5,000 and 10,000 REGISTER/s in all), in the same run
 * for every server of `wire-targets.ts` (Kamailio 5.6, the sipreg CLI, sipreg `--workers 2` on
 * Redis when available, the bare Node.js `dgram` responder) and both REGISTERs (the one a modern
 * phone sends and the minimal one). A response time is from the first sending of a REGISTER to
 * its final response, as SIPp timestamps them in its message trace (`response-times.ts`), so it
 * includes SIPp's own scheduling; each figure is over every REGISTER of the step, all instances
 * together, a new AOR each.
 *
 *   node --import tsx bench/sipp/latency.bench.ts [--rate N] [--seconds S]
 *
 * Prints a markdown table; never part of CI.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { findBinary } from '../../test/helpers/find-binary';
import { fmt } from '../bench-kit';
import { responseTimeSteps, type StepResult } from './rate-search';
import { WIRE_SCENARIOS, startWireTargets } from './wire-targets';

/** SIPp instances of the steps, each at the per-instance rate. */
const INSTANCE_COUNTS = [1, 2, 4] as const;

const options = parseArgs({ options: { rate: { type: 'string', default: '2500' }, seconds: { type: 'string', default: '5' } } }).values;
const perInstanceRate = Number(options.rate);
const stepSeconds = Number(options.seconds);
if (!(perInstanceRate > 0) || !(stepSeconds > 0)) {
  console.error('usage: node --import tsx bench/sipp/latency.bench.ts [--rate N] [--seconds S]');
  process.exit(2);
}

const sipp = findBinary('sipp');
if (sipp === undefined) {
  console.log('latency bench skipped: sipp is not installed (apt-get install sip-tester)');
  process.exit(0);
}
const sippPath = sipp;
const loadAtStart = loadavg()[0].toFixed(2);

/** One table line: a server under one REGISTER kind and one instance count. */
function line(scenario: string, step: StepResult): string {
  const times = step.responseTimes;
  const ms = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(2));
  return `| ${step.target} | ${scenario} | ${step.instances} | ${fmt(step.offeredRate)} | ${fmt(step.achievedRate)} | ${ms(times?.medianMs)} | ${ms(times?.p99Ms)} | ${(step.failedShare * 100).toFixed(2)} |`;
}

const wire = await startWireTargets();
const lines: string[] = [];
try {
  for (const scenario of WIRE_SCENARIOS) {
    const targets = wire.targetsFor(scenario);
    const results = await responseTimeSteps(sippPath, targets, { perInstanceRate, instances: INSTANCE_COUNTS, stepSeconds });
    for (const steps of results) lines.push(...steps.map((step) => line(scenario.name, step)));
  }
} finally {
  await wire.stop();
}
console.log(`\n### REGISTER response times over UDP on loopback, 1, 2 and 4 SIPp instances at ${fmt(perInstanceRate)}/s each\n`);
console.log(`${stepSeconds} s per step, a new AOR per REGISTER; from SIPp's message trace (µs timestamps), SIPp's scheduling included.`);
console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp shares the cores with the server).\n`);
console.log('| server | REGISTER | SIPp instances | offered REGISTER/s | achieved REGISTER/s (SIPp CallRate(C)) | median response ms | 99th percentile ms | failed % |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const text of lines) console.log(text);
