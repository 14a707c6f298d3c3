import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnManaged, type ManagedProcess } from './spawn-managed';
import { waitForSip } from './wait-for-sip';

/** Options for {@link startKamailio}. */
export interface StartKamailioOptions {
  /** Path of the `kamailio` executable. */
  readonly kamailioPath: string;
  /** UDP port on 127.0.0.1 the config listens on (readiness is probed there). */
  readonly port: number;
  /** The whole `kamailio.cfg` text. */
  readonly config: string;
  /**
   * Shared memory in MB (`-m`); usrloc keeps every binding there.
   * @defaultValue 64
   */
  readonly sharedMemoryMb?: number;
  /**
   * Private memory per process in MB (`-M`).
   * @defaultValue 8
   */
  readonly privateMemoryMb?: number;
  /**
   * Kill it after this long whatever happens (a safety net for tests).
   * @defaultValue none
   */
  readonly killAfterMs?: number;
}

/**
 * Start Kamailio in the foreground (`-DD -E`, logging to stderr) with `config` written to a
 * temporary directory, wait until it answers SIP on 127.0.0.1:`port`, and return it with a stop
 * that also removes the directory.
 */
export async function startKamailio(options: StartKamailioOptions): Promise<ManagedProcess> {
  const workDir = mkdtempSync(join(tmpdir(), 'sipreg-kamailio-'));
  const configPath = join(workDir, 'kamailio.cfg');
  writeFileSync(configPath, options.config);
  const kamailio = spawnManaged(
    options.kamailioPath,
    ['-f', configPath, '-DD', '-E', '-m', String(options.sharedMemoryMb ?? 64), '-M', String(options.privateMemoryMb ?? 8)],
    { cwd: workDir, killAfterMs: options.killAfterMs },
  );
  void kamailio.exited.then(() => rmSync(workDir, { recursive: true, force: true }));
  try {
    await Promise.race([
      waitForSip(options.port, 15_000),
      kamailio.exited.then((exit) => {
        throw new Error(`kamailio exited (code ${exit.code}) before serving:\n${kamailio.output()}`);
      }),
    ]);
  } catch (error) {
    await kamailio.stop();
    throw error;
  }
  return kamailio;
}
