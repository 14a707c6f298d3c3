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
  /**
   * Challenge every REGISTER and accept it only with a digest (RFC 3261 §22.4, MD5, qop
   * `auth`, nonce counts checked) for this password, whatever the username, from a user
   * registering their own AOR (auth module `pv_www_authenticate`, no database).
   * @defaultValue none: every REGISTER is saved unauthenticated
   */
  readonly authPassword?: string;
}

const TEMPLATE = new URL('./kamailio.cfg.tmpl', import.meta.url);

/** The auth module with qop `auth` and nonce-count checking, as sipreg's digest authenticator does by default. */
const AUTH_MODULE = 'loadmodule "auth.so"\nmodparam("auth", "qop", "auth")\nmodparam("auth", "nonce_count", 1)';

/** The REGISTER branch's check: a 401 challenge without valid credentials (flag 1: qop=auth), 403 for another user's AOR. */
function authCheck(password: string): string {
  return [
    `\t\tif (!pv_www_authenticate("$td", "${password}", "0")) {`,
    '\t\t\twww_challenge("$td", "1");',
    '\t\t\texit;',
    '\t\t}',
    '\t\tif ($au != $tU) {',
    '\t\t\tsl_send_reply("403", "Forbidden");',
    '\t\t\texit;',
    '\t\t}',
  ].join('\n');
}

/**
 * Start Kamailio as the reference in-memory registrar of the wire benches
 * (`bench/sipp/kamailio.cfg.tmpl`), with or without digest authentication, and wait until it
 * answers SIP.
 */
export function startBenchKamailio(options: StartBenchKamailioOptions): Promise<ManagedProcess> {
  const config = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('__LISTEN__', `udp:127.0.0.1:${options.port}`)
    .replaceAll('__CHILDREN__', String(options.children ?? 2))
    .replace('__AUTH_MODULE__', options.authPassword === undefined ? '' : AUTH_MODULE)
    .replace('__AUTH_CHECK__', options.authPassword === undefined ? '' : authCheck(options.authPassword));
  return startKamailio({ kamailioPath: options.kamailioPath, port: options.port, config, sharedMemoryMb: options.sharedMemoryMb ?? 2048, privateMemoryMb: 16 });
}
