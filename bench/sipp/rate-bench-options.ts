/**
 * The command line of a bench that measures CPU per call in alternating rounds and then searches
 * the highest clean rate (`rate-search.ts`):
 *
 *   node --import tsx bench/sipp/NAME.bench.ts [--cpu-rate N] [--rounds R] [--rate N] [--seconds S]
 *
 * Exits 2 with the usage on a bad value, and 0 with a note when SIPp is not installed.
 * Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { parseArgs } from 'node:util';

import { findBinary } from '../../test/helpers/find-binary';

/** What a rate bench runs with. */
export interface RateBenchOptions {
  /** Seconds of each step (`--seconds`, default 5). */
  readonly stepSeconds: number;
  /** Calls/s of the alternating CPU rounds (`--cpu-rate`). */
  readonly cpuRate: number;
  /** Alternating CPU rounds per target (`--rounds`, default 3). */
  readonly rounds: number;
  /** The rates the search steps through: the bench's defaults, or the single `--rate N`. */
  readonly rates: number[];
  readonly sippPath: string;
}

/** Read the options of `bench/sipp/{name}.bench.ts`, whose defaults are `defaultCpuRate` and `defaultRates`. */
export function readRateBenchOptions(name: string, defaultCpuRate: number, defaultRates: readonly number[]): RateBenchOptions {
  const options = parseArgs({
    options: {
      'cpu-rate': { type: 'string', default: String(defaultCpuRate) },
      rounds: { type: 'string', default: '3' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '5' },
    },
  }).values;
  const stepSeconds = Number(options.seconds);
  const cpuRate = Number(options['cpu-rate']);
  const rounds = Number(options.rounds);
  const rates = options.rate === undefined ? [...defaultRates] : [Number(options.rate)];
  if (!(stepSeconds > 0) || !(cpuRate > 0) || !Number.isInteger(rounds) || rounds < 1 || rates.some((rate) => !(rate > 0))) {
    console.error(`usage: node --import tsx bench/sipp/${name}.bench.ts [--cpu-rate N] [--rounds R] [--rate N] [--seconds S]`);
    process.exit(2);
  }
  const sippPath = findBinary('sipp');
  if (sippPath === undefined) {
    console.log(`${name} bench skipped: sipp is not installed (apt-get install sip-tester)`);
    process.exit(0);
  }
  return { stepSeconds, cpuRate, rounds, rates, sippPath };
}
