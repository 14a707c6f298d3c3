/**
 * The servers and REGISTERs the REGISTER wire benches (`wire.bench.ts`, `latency.bench.ts`)
 * compare in the same run: Kamailio 5.6 as the reference, the sipreg CLI registrar in one
 * process, several sipreg processes sharing the socket and one location in Redis, and the bare
 * Node.js `dgram` responder as the floor; each under the REGISTER a modern phone sends and the
 * minimal one. Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findBinary } from '../../test/helpers/find-binary';
import { REPOSITORY_ROOT, startSipreg } from '../../test/helpers/start-sipreg';
import { startRedis, type RedisServer } from '../../test/helpers/start-redis';
import { startDgramFloor } from './dgram-floor';
import type { LoadTarget } from './rate-search';
import { startBenchKamailio } from './start-kamailio';

/** A REGISTER of the wire benches: the SIPp scenario sending it, and the name the tables print. */
export interface WireScenario {
  readonly name: string;
  readonly file: string;
}

/** The REGISTER a modern phone sends (`register-phone.xml`), then the minimal one (`register-load.xml`). */
export const WIRE_SCENARIOS: readonly WireScenario[] = [
  { name: 'realistic', file: fileURLToPath(new URL('./register-phone.xml', import.meta.url)) },
  { name: 'minimal', file: fileURLToPath(new URL('./register-load.xml', import.meta.url)) },
];

/** sipreg processes sharing the socket in the Redis row. */
const WORKERS = 2;

/** The servers a wire bench runs, for each scenario, and what to stop when it is done. */
export interface WireTargets {
  /** Every installed server with `scenario` as its load. */
  readonly targetsFor: (scenario: WireScenario) => LoadTarget[];
  /** Stop what {@link startWireTargets} started for every target (Redis). */
  readonly stop: () => Promise<void>;
}

/** True when the CLI registrar takes `--workers` (node:cluster processes sharing the socket). */
function cliHasWorkers(): boolean {
  try {
    return execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'registrar', '--help'], { cwd: REPOSITORY_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).includes('--workers');
  } catch {
    return false;
  }
}

/**
 * Find the installed servers (logging each one skipped and why) and start what their targets
 * share: a Redis without persistence for the `--workers` row, when `redis-server` is installed
 * and the CLI has `--workers`.
 */
export async function startWireTargets(): Promise<WireTargets> {
  const kamailioPath = findBinary('kamailio');
  if (kamailioPath === undefined) console.log('Kamailio not installed: reference rows skipped');
  const cli = existsSync(join(REPOSITORY_ROOT, 'src', 'cli', 'main.ts'));
  if (!cli) console.log('src/cli/main.ts not present: sipreg rows skipped');
  let redis: RedisServer | undefined;
  if (cli && findBinary('redis-server') === undefined) console.log(`redis-server not installed: the --workers ${WORKERS} row skipped`);
  else if (cli && !cliHasWorkers()) console.log(`the CLI has no --workers (see \`sipreg registrar --help\`): the --workers ${WORKERS} row skipped`);
  else if (cli) redis = await startRedis({ appendOnly: false });
  const redisUrl = redis?.url;
  const targetsFor = (scenario: WireScenario): LoadTarget[] => {
    const target = (name: string, start: LoadTarget['start']): LoadTarget => ({
      name,
      start,
      scenario: scenario.file,
      // A new AOR per call: `[prefix][call_number]`, with a prefix per scenario, step and SIPp instance.
      instanceLoad: (step, instance) => ({ keys: { prefix: `${scenario.name[0]}${step}i${instance}u` } }),
    });
    const targets: LoadTarget[] = [];
    if (kamailioPath !== undefined) targets.push(target('Kamailio 5.6 (usrloc, 2 children)', (port) => startBenchKamailio({ kamailioPath, port })));
    if (cli) targets.push(target('sipreg CLI (--store memory)', (port) => startSipreg({ port })));
    if (redisUrl !== undefined) {
      targets.push(target(`sipreg CLI (--workers ${WORKERS}, --store redis)`, (port) => startSipreg({ port, store: redisUrl, extraArgs: ['--workers', String(WORKERS)] })));
    }
    targets.push(target('bare Node.js dgram responder (the floor)', startDgramFloor));
    return targets;
  };
  return { targetsFor, stop: async () => redis?.stop() };
}
