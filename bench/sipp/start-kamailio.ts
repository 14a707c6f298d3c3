import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnManaged, type ManagedProcess } from '../../test/helpers/spawn-managed';
import { waitForSip } from './wait-for-sip';

/** Options for {@link startKamailio}. */
export interface StartKamailioOptions {
  /** Path of the `kamailio` executable. */
  readonly kamailioPath: string;
  /** UDP port on 127.0.0.1 to listen on. */
  readonly port: number;
  /**
   * SIP worker processes (`children`).
   * @defaultValue 2
   */
  readonly children?: number;
  /**
   * Shared memory in MB (`-m`); usrloc keeps every binding there.
   * @defaultValue 2048
   */
  readonly sharedMemoryMb?: number;
}

const TEMPLATE = new URL('./kamailio.cfg.tmpl', import.meta.url);

/**
 * Start Kamailio in the foreground as the reference in-memory registrar
 * (`bench/sipp/kamailio.cfg.tmpl`), wait until it answers SIP, and return it with a stop
 * that also removes the generated config.
 */
export async function startKamailio(options: StartKamailioOptions): Promise<ManagedProcess> {
  const workDir = mkdtempSync(join(tmpdir(), 'sipreg-kamailio-'));
  const configPath = join(workDir, 'kamailio.cfg');
  const config = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('__LISTEN__', `udp:127.0.0.1:${options.port}`)
    .replaceAll('__CHILDREN__', String(options.children ?? 2));
  writeFileSync(configPath, config);
  const kamailio = spawnManaged(
    options.kamailioPath,
    ['-f', configPath, '-DD', '-E', '-m', String(options.sharedMemoryMb ?? 2048), '-M', '16'],
    { cwd: workDir },
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
