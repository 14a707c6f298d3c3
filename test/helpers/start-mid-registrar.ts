import type { ManagedProcess } from './spawn-managed';
import { startCliCommand } from './start-sipreg';

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

/**
 * Start the sipreg CLI mid-registrar on `udp:127.0.0.1:PORT` in front of a main registrar on
 * `udp:127.0.0.1:UPSTREAM_PORT` (see {@link startCliCommand}).
 */
export function startMidRegistrar(options: StartMidRegistrarOptions): Promise<ManagedProcess> {
  return startCliCommand('mid-registrar', `udp:127.0.0.1:${options.port}`, [
    '--store', options.store ?? 'memory',
    '--upstream', `udp:127.0.0.1:${options.upstreamPort}`,
    '--mode', options.mode ?? 'mirror',
    ...(options.extraArgs ?? []),
  ], options.readyTimeoutMs);
}
