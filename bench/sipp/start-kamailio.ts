import { readFileSync } from 'node:fs';

import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { startKamailio } from '../../test/helpers/start-kamailio';

/** Options for {@link startBenchKamailio}. */
export interface StartBenchKamailioOptions {
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
 * Start Kamailio as the reference in-memory registrar of the wire bench
 * (`bench/sipp/kamailio.cfg.tmpl`) and wait until it answers SIP.
 */
export function startBenchKamailio(options: StartBenchKamailioOptions): Promise<ManagedProcess> {
  const config = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('__LISTEN__', `udp:127.0.0.1:${options.port}`)
    .replaceAll('__CHILDREN__', String(options.children ?? 2));
  return startKamailio({ kamailioPath: options.kamailioPath, port: options.port, config, sharedMemoryMb: options.sharedMemoryMb ?? 2048, privateMemoryMb: 16 });
}
