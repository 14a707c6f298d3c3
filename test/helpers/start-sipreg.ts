import { fileURLToPath } from 'node:url';

import { spawnManaged, type ManagedProcess } from './spawn-managed';

/** Options for {@link startSipreg}. */
export interface StartSipregOptions {
  /** UDP port on 127.0.0.1 to listen on. */
  readonly port: number;
  /**
   * Location store flag value.
   * @defaultValue `"memory"`
   */
  readonly store?: string;
  /**
   * Further CLI flags (e.g. `["--min-expires", "60"]`).
   * @defaultValue none
   */
  readonly extraArgs?: readonly string[];
  /**
   * How long to wait for the ready line.
   * @defaultValue 20000
   */
  readonly readyTimeoutMs?: number;
}

/** The repository root, where `src/cli/main.ts` and `node_modules/tsx` live. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const DEFAULT_READY_TIMEOUT_MS = 20_000;

/**
 * Start a sipreg CLI command (`node --import tsx src/cli/main.ts COMMAND`) listening on
 * `listen` with further `args`, and resolve once it has printed its ready line
 * `sipreg COMMAND listening on LISTEN`. The process is stopped again when it does not get ready
 * in time.
 */
export async function startCliCommand(
  command: 'registrar' | 'mid-registrar' | 'registrant',
  listen: string,
  args: readonly string[],
  readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS,
): Promise<ManagedProcess> {
  const server = spawnManaged(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command, '--listen', listen, ...args], { cwd: REPOSITORY_ROOT });
  try {
    await server.waitForLine(`sipreg ${command} listening on ${listen}`, readyTimeoutMs);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Start the sipreg CLI registrar on `udp:127.0.0.1:PORT` (see {@link startCliCommand}). */
export function startSipreg(options: StartSipregOptions): Promise<ManagedProcess> {
  return startCliCommand('registrar', `udp:127.0.0.1:${options.port}`, ['--store', options.store ?? 'memory', ...(options.extraArgs ?? [])], options.readyTimeoutMs);
}
