import cluster, { type Worker } from 'node:cluster';
import { CliRuntimeError } from './cli-runtime-error';
import { CliUsageError } from './cli-usage-error';
import type { RunningRegistrar } from './registrar-command';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV, ignoreLoss, placeOf, undeliverable, type PlacedMessage } from './worker-steering';

/** What a worker sends the primary once its sockets listen and its store is open: its startup lines. */
interface ListeningReport {
  readonly sipregListening: true;
  readonly endpoints: readonly string[];
  readonly store: string;
  readonly storeLabel?: string;
  readonly details?: readonly string[];
  readonly warnings?: readonly string[];
}

/** How long the primary waits before starting again a worker that died before it listened (a Redis down, say). */
const RETRY_MS = 1_000;

const isListeningReport = (message: unknown): message is ListeningReport =>
  typeof message === 'object' && message !== null && (message as ListeningReport).sipregListening === true;

/** `code 1` or `signal SIGKILL`, for the lines about a worker's end. */
const howItEnded = (code: number | null, signal: string | null): string => (signal === null ? `code ${code}` : `signal ${signal}`);

/** In a worker: tell the primary that `running` listens, with the lines it would have printed. */
export function reportListening(running: RunningRegistrar): void {
  const { endpoints, store, storeLabel, details, warnings } = running;
  const report: ListeningReport = { sipregListening: true, endpoints, store, storeLabel, details, warnings };
  process.send?.(report);
}

/**
 * In the primary: fork `count` workers (node:cluster), each running this same command line, and
 * resolve once every one of them listens, with the first one's startup lines and a `workers:` line
 * naming their pids. The workers bind the same sockets through the primary, which shares one
 * handle per socket (the kernel hands each UDP datagram to one of them; the primary deals out TCP
 * connections); their stdout and stderr are the primary's. Each worker has a place (0 ..),
 * kept by the one started in its stead, and the primary passes on what one worker sends the
 * worker at another place (`UdpSteering`: the datagrams of a call it steers there, the requests
 * to write on a connection that one holds or to name one it holds, and the answers to those),
 * answering at once for a place where no worker runs (closed, none held).
 * A worker that ends before all listen
 * ends the others and rejects with its exit code's error ({@link CliUsageError} for 2, else
 * {@link CliRuntimeError}): it has printed why itself. Later a worker that ends is started again,
 * with one line on stderr, until `stop()`, which sends every worker SIGTERM and resolves once all
 * have exited (rejects when one exited with a failure).
 * @param command - the command, for the lines (`registrar`).
 * @param env - more environment of the workers, e.g. one nonce secret for all of them.
 * @param forwardSighup - pass a SIGHUP of the primary on to every worker (each reloads what it reads
 *   from files: TLS certificates, a JSON subscriber file, reg-event identities); without it SIGHUP
 *   keeps its default action.
 */
export function runWorkers(command: string, count: number, env: Readonly<Record<string, string>>, forwardSighup = false): Promise<RunningRegistrar> {
  const live = new Set<Worker>();
  /** The worker at each place, for the datagrams steered to it. */
  const places: (Worker | undefined)[] = [];
  const pids: number[] = [];
  let first: ListeningReport | undefined;
  let serving = false;
  let stopping = false;
  let retry: NodeJS.Timeout | undefined;
  const exited = (worker: Worker): Promise<number | null> =>
    worker.isDead() ? Promise.resolve(worker.process.exitCode) : new Promise((resolve) => worker.once('exit', (code) => resolve(code)));
  const sighup = (): void => {
    for (const worker of live) worker.process.kill('SIGHUP');
  };
  if (forwardSighup) process.on('SIGHUP', sighup);
  const stopAll = async (): Promise<(number | null)[]> => {
    stopping = true;
    process.off('SIGHUP', sighup);
    clearTimeout(retry);
    const workers = [...live];
    for (const worker of workers) worker.process.kill('SIGTERM');
    return Promise.all(workers.map(exited));
  };
  return new Promise((resolve, reject) => {
    const start = (place: number): void => {
      const worker = cluster.fork({ ...env, [WORKER_INDEX_ENV]: String(place), [WORKER_COUNT_ENV]: String(count) });
      live.add(worker);
      places[place] = worker;
      let listening = false;
      worker.on('message', (message: unknown) => {
        const place = placeOf(message);
        if (place !== undefined) {
          const to = places[place];
          if (to !== undefined && to.isConnected()) {
            to.send(message as PlacedMessage, undefined, undefined, ignoreLoss);
          } else {
            const answer = undeliverable(message as PlacedMessage);
            if (answer !== undefined && worker.isConnected()) worker.send(answer, undefined, undefined, ignoreLoss);
          }
          return;
        }
        if (listening || !isListeningReport(message)) return;
        listening = true;
        if (serving) return;
        first ??= message;
        pids.push(worker.process.pid ?? -1);
        if (pids.length < count) return;
        serving = true;
        const { endpoints, store, storeLabel, details, warnings } = first;
        resolve({ endpoints, store, storeLabel, warnings, details: [...(details ?? []), `workers: ${count} (pids ${pids.join(', ')})`], stop: stopWorkers });
      });
      worker.once('exit', (code, signal) => {
        live.delete(worker);
        if (places[place] === worker) places[place] = undefined;
        if (stopping) return;
        const how = howItEnded(code, signal);
        if (!serving) {
          const message = `${command} worker ${worker.id} exited with ${how} before listening`;
          void stopAll().then(() => reject(code === 2 ? new CliUsageError(message) : new CliRuntimeError(message)));
          return;
        }
        process.stderr.write(`sipreg ${command}: worker ${worker.id} (pid ${worker.process.pid}) exited with ${how}; starting another\n`);
        if (listening) start(place);
        else retry = setTimeout(() => start(place), RETRY_MS);
      });
    };
    const stopWorkers = async (): Promise<void> => {
      const codes = await stopAll();
      const failed = codes.find((code) => code !== 0);
      if (failed !== undefined) throw new Error(`a ${command} worker exited with code ${failed}`);
    };
    for (let place = 0; place < count; place++) start(place);
  });
}
