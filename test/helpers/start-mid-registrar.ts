import { spawnManaged, type ManagedProcess } from './spawn-managed';
import { REPOSITORY_ROOT } from './start-sipreg';

/** Options for {@link startMidRegistrar}. */
export interface StartMidRegistrarOptions {
  /** UDP port on 127.0.0.1 to listen on. */
  readonly port: number;
  /** UDP port on 127.0.0.1 of the main registrar (`--upstream udp:127.0.0.1:PORT`). */
  readonly upstreamPort: number;
  /**
   * `--mode` flag value.
   * @defaultValue `"mirror"`
   */
  readonly mode?: 'mirror' | 'throttle-contact' | 'throttle-aor';
  /**
   * Location store flag value.
   * @defaultValue `"memory"`
   */
  readonly store?: string;
  /**
   * Further CLI flags (e.g. `["--outgoing-expires", "60"]`).
   * @defaultValue none
   */
  readonly extraArgs?: readonly string[];
  /**
   * How long to wait for the ready line.
   * @defaultValue 20000
   */
  readonly readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;

/**
 * Start the sipreg CLI mid-registrar (`node --import tsx src/cli/main.ts mid-registrar`) on
 * `udp:127.0.0.1:PORT` in front of a main registrar on `udp:127.0.0.1:UPSTREAM_PORT`, and resolve
 * once it has printed its ready line `sipreg mid-registrar listening on udp:127.0.0.1:PORT`. The
 * process is stopped again when it does not get ready in time.
 */
export async function startMidRegistrar(options: StartMidRegistrarOptions): Promise<ManagedProcess> {
  const listen = `udp:127.0.0.1:${options.port}`;
  const server = spawnManaged(
    process.execPath,
    [
      '--import', 'tsx',
      'src/cli/main.ts', 'mid-registrar',
      '--listen', listen,
      '--store', options.store ?? 'memory',
      '--upstream', `udp:127.0.0.1:${options.upstreamPort}`,
      '--mode', options.mode ?? 'mirror',
      ...(options.extraArgs ?? []),
    ],
    { cwd: REPOSITORY_ROOT },
  );
  try {
    await server.waitForLine(`sipreg mid-registrar listening on ${listen}`, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
