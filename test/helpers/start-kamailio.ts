import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** Where Debian (and a source install) put Kamailio's modules; the first holding registrar.so wins. */
const MODULE_DIRECTORIES = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules',
  '/usr/lib/aarch64-linux-gnu/kamailio/modules',
  '/usr/lib/kamailio/modules',
  '/usr/local/lib64/kamailio/modules',
  '/usr/local/lib/kamailio/modules',
];

/** The directory of Kamailio's modules: the first of Debian's (or a source install's) that holds registrar.so. */
export function kamailioModuleDirectory(): string {
  return MODULE_DIRECTORIES.find((directory) => existsSync(join(directory, 'registrar.so'))) ?? MODULE_DIRECTORIES[0];
}

/** A TLS listener of {@link kamailioRegistrarConfig} (the `tls` module, package kamailio-tls-modules). */
export interface KamailioTlsListener {
  /** TCP port of `tls:127.0.0.1:PORT`. */
  readonly port: number;
  /** The `tls` module's config file, naming the server certificate: see `writeKamailioTlsConfig`. */
  readonly configFile: string;
}

/** More of the config of {@link kamailioRegistrarConfig}, for modules that build on usrloc and registrar. */
export interface KamailioConfigExtras {
  /** Also listen on TLS (RFC 3261 §26.2.1; TCP is enabled then, as the tls module needs). @defaultValue UDP only */
  readonly tls?: KamailioTlsListener;
  /** Modules loaded after usrloc and registrar, in this order (those that bind to them, such as pua_reginfo). @defaultValue none */
  readonly lateModules?: readonly string[];
  /** Top-level lines after the registrar's module parameters (the `modparam`s of the extra modules). @defaultValue none */
  readonly settings?: string;
}

/**
 * The config of an in-memory Kamailio registrar on `udp:127.0.0.1:port` (and `extras.tls`) for
 * interop tests: modules sl, maxfwd, pv, xlog, usrloc and registrar plus `extraModules` (loaded before usrloc)
 * and `extras.lateModules` (after registrar), usrloc in memory purged every second, lifetimes
 * from 1 s to 2 h kept as asked, then `extras.settings`, and `requestRoute` as the body of
 * `request_route` (after the Max-Forwards check).
 */
export function kamailioRegistrarConfig(port: number, requestRoute: string, extraModules: readonly string[] = [], extras: KamailioConfigExtras = {}): string {
  const modules = kamailioModuleDirectory();
  const tls = extras.tls;
  const loads = [...(tls === undefined ? [] : ['tls']), 'sl', 'maxfwd', 'pv', 'xlog', ...extraModules, 'usrloc', 'registrar', ...(extras.lateModules ?? [])].map((m) => `loadmodule "${m}.so"`).join('\n');
  const transports = tls === undefined ? 'disable_tcp=yes' : `tcp_children=2\nenable_tls=yes\nlisten=tls:127.0.0.1:${tls.port}`;
  const tlsSettings = tls === undefined ? '' : `modparam("tls", "config", "${tls.configFile}")`;
  return `#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:${port}
${transports}

mpath="${modules}/"
${loads}

modparam("usrloc", "db_mode", 0)
modparam("usrloc", "timer_interval", 1)
modparam("registrar", "min_expires", 1)
modparam("registrar", "max_expires", 7200)
modparam("registrar", "default_expires", 3600)
${tlsSettings}
${extras.settings ?? ''}

request_route {
	if (!mf_process_maxfwd_header("70")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
${requestRoute}
}
`;
}
