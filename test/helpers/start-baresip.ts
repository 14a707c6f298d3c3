import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnManaged, type ManagedProcess } from './spawn-managed';

/** Options for {@link startBaresip}. */
export interface StartBaresipOptions {
  /** The baresip executable. */
  readonly baresipPath: string;
  /** Port on 127.0.0.1 baresip listens on (UDP and TCP, `sip_listen`; TLS on the next one): see `freeBaresipPorts`. */
  readonly sipPort: number;
  /** Port of the registrar on 127.0.0.1 (over {@link StartBaresipOptions.transport}), used as the account's outbound proxy. */
  readonly registrarPort: number;
  /** User part of the account's AOR `sip:USER@DOMAIN`. */
  readonly user: string;
  /**
   * Host part of the account's AOR.
   * @defaultValue `"127.0.0.1"`
   */
  readonly domain?: string;
  /**
   * Transport of the account and its outbound proxy (`;transport=tls`: RFC 3261 §26.2.2, the
   * registrar's certificate trusted through {@link StartBaresipOptions.caFile}; over UDP its
   * flow is kept alive with STUN, RFC 5626 §4.4.2).
   * @defaultValue `"tcp"`
   */
  readonly transport?: 'udp' | 'tcp' | 'tls';
  /**
   * PEM file of the CA baresip trusts for TLS (`sip_cafile`).
   * @defaultValue none
   */
  readonly caFile?: string;
  /**
   * Modules loaded after `uuid.so` and `account.so`, e.g. `menu.so`, whose message listener
   * answers a MESSAGE with 200 (without it baresip answers 501).
   * @defaultValue none
   */
  readonly extraModules?: readonly string[];
  /**
   * Further `config` lines after the modules, e.g. `ctrl_tcp_listen\t127.0.0.1:PORT` for `ctrl_tcp.so`.
   * @defaultValue none
   */
  readonly extraConfig?: readonly string[];
  /**
   * The account's digest password (`auth_pass`; the username is the AOR's user), answering the
   * registrar's 401 challenges (RFC 3261 §22.2).
   * @defaultValue `"x"`
   */
  readonly authPass?: string;
  /** The UUID baresip sends as `+sip.instance="<urn:uuid:UUID>"` (its `uuid` file). */
  readonly instanceUuid: string;
  /**
   * Registration interval, s (the Contact's `expires`).
   * @defaultValue 60
   */
  readonly registerIntervalSec?: number;
  /**
   * Hard limit on baresip's lifetime: SIGKILL after this many milliseconds.
   * @defaultValue 25000
   */
  readonly killAfterMs?: number;
}

/** A running baresip and the throw-away configuration directory it reads. */
export interface BaresipProcess {
  /** The process; its output carries baresip's SIP trace (`-s`). */
  readonly process: ManagedProcess;
  /** The `-f` directory holding `config`, `accounts` and `uuid`. */
  readonly configDir: string;
  /** The `config` file's text. */
  readonly config: string;
  /** The `accounts` file's text. */
  readonly accounts: string;
  /** SIGTERM baresip (it unregisters, then exits; SIGKILL after `graceMs`) and remove the directory. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_REGISTER_INTERVAL_SEC = 60;
const DEFAULT_KILL_AFTER_MS = 25_000;

/**
 * Start baresip headless (no audio or video modules, no console) as a SIP Outbound UA
 * (RFC 5626 §4.2): one TCP (or TLS, or UDP) account registering through the registrar as its outbound proxy.
 * Its Contact always carries `+sip.instance` (RFC 5626 §4.1, the `uuid` file's value);
 * `sipnat=outbound` adds `reg-id=1` to it and `Supported: outbound` to the REGISTER.
 * Everything stays on 127.0.0.1.
 */
export function startBaresip(options: StartBaresipOptions): BaresipProcess {
  const configDir = mkdtempSync(join(tmpdir(), 'sipreg-baresip-'));
  const transport = options.transport ?? 'tcp';
  const config = [
    'poll_method\t\tpoll',
    `sip_listen\t\t127.0.0.1:${options.sipPort}`,
    ...(options.caFile === undefined ? [] : [`sip_cafile\t\t${options.caFile}`]),
    'module_path\t\t/usr/lib/baresip/modules',
    'module\t\t\tuuid.so',
    'module\t\t\taccount.so',
    ...(options.extraModules ?? []).map((module) => `module\t\t\t${module}`),
    ...(options.extraConfig ?? []),
    '',
  ].join('\n');
  const accounts = [
    `<sip:${options.user}@${options.domain ?? '127.0.0.1'};transport=${transport}>;auth_pass=${options.authPass ?? 'x'}`,
    `outbound="sip:127.0.0.1:${options.registrarPort};transport=${transport}"`,
    `regint=${options.registerIntervalSec ?? DEFAULT_REGISTER_INTERVAL_SEC}`,
    'sipnat=outbound',
  ].join(';') + '\n';
  writeFileSync(join(configDir, 'config'), config);
  writeFileSync(join(configDir, 'accounts'), accounts);
  writeFileSync(join(configDir, 'uuid'), options.instanceUuid); // read verbatim: no newline
  const process = spawnManaged(options.baresipPath, ['-f', configDir, '-s'], {
    killAfterMs: options.killAfterMs ?? DEFAULT_KILL_AFTER_MS,
  });
  return {
    process,
    configDir,
    config,
    accounts,
    async stop(graceMs) {
      try {
        await process.stop(graceMs);
      } finally {
        rmSync(configDir, { recursive: true, force: true });
      }
    },
  };
}
