import type { SaveOptions } from '../registrar/save-options';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import type { StoreFlag } from './store-flag';

/** Most `--workers`: more processes than this only contend for the one socket and store. */
const MAX_WORKERS = 64;

/** `--workers N`: N processes sharing the sockets and the store, with what each keeps to itself. */
export const WORKERS_FLAG: FlagSpec = {
  name: 'workers',
  kind: 'int',
  help: 'processes on the same --listen sockets (node:cluster); N > 1 needs --store redis:// or sqlite: and no --reginfo-*. '
    + 'Per process: the nonce-count replay table, the pike and ban counts; connections are reached from every worker through their holder; worker 0 purges (1)',
};

/**
 * `--workers` (1 without it), checked against what the processes must share: the location store
 * (`memory` is one per process: a REGISTER on one would be unknown to the others), the
 * memory-only bindings an SQLite store keeps in each process (save flag `m`), and reg-event,
 * whose subscriptions and client transactions (RFC 3265 §3.1, RFC 3261 §17.1.2) live in the
 * process that created them while their next request or response may reach any other.
 * @throws {@link CliUsageError} saying what to use instead.
 */
export function workersFrom(values: FlagValues, store: StoreFlag, saveOptions: SaveOptions): number {
  const workers = flagValue<number>(values, 'workers') ?? 1;
  if (workers < 1 || workers > MAX_WORKERS) throw new CliUsageError(`--workers takes 1 to ${MAX_WORKERS}, got ${workers}`);
  if (workers === 1) return workers;
  if (store.kind === 'memory') {
    throw new CliUsageError(`--workers ${workers} needs a store every worker shares: --store redis://HOST:PORT (or sqlite:PATH), not memory, which is one per process`);
  }
  if (store.kind === 'sqlite' && saveOptions.memoryOnly === true) {
    throw new CliUsageError(`--workers ${workers} with --store ${store.spec}: memory-only bindings (save flag m) stay in the worker that saved them; drop m from --save-flags or use --store redis://HOST:PORT`);
  }
  const reginfo = [...values.keys()].find((name) => name.startsWith('reginfo-'));
  if (reginfo !== undefined) {
    throw new CliUsageError(`--workers ${workers} cannot run reg-event (--${reginfo}): its subscriptions and transactions live in one worker while the next request or response may reach another; run reg-event in a process of its own`);
  }
  return workers;
}
