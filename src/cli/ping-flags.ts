import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Transport } from '../ports/transport';
import type { Registrar } from '../registrar/registrar';
import { ConfigError } from '../errors/sdk-error';
import { createContactPinger, type ContactPinger } from '../features/nat-ping/contact-pinger';
import { resolvePingSettings, type PingSettings } from '../features/nat-ping/ping-options';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { withOptionFlag } from './extension-flags';
import { workerPlace } from './worker-steering';

/** Flags of contact pinging: the OpenSIPS `nathelper` SIP pinging parameters with a `ping-` prefix. */
export const PING_FLAGS: readonly FlagSpec[] = [
  { name: 'ping-interval', kind: 'int', help: 'natping_interval: seconds between two pings of each registered contact, for the lookup flags y and Y; 0 = off (0)' },
  { name: 'ping-method', kind: 'string', help: 'sipping_method: method of the pings (OPTIONS)' },
  { name: 'ping-from', kind: 'string', help: 'sipping_from: From URI of the pings (sip:pinger@<first listen address>)' },
  { name: 'ping-partitions', kind: 'int', help: 'natping_partitions: parts the AORs are split into, one pinged every interval/parts (1)' },
  { name: 'ping-max-lost', kind: 'int', help: 'max_pings_lost: unanswered pings in a row after which a contact counts as gone (3)' },
  { name: 'ping-remove-on-timeout', kind: 'bool', help: 'remove_on_timeout_bflag: remove a contact once --ping-max-lost pings in a row went unanswered, 0/1 (0)' },
  { name: 'ping-tcp', kind: 'bool', help: 'natping_tcp: ping contacts reached over TCP, TLS and WebSocket too, 0/1 (0)' },
];

/** The flag of each PingSettings option, for the messages of its errors. */
const FLAG_OF: Readonly<Record<string, string>> = {
  intervalMs: 'ping-interval',
  method: 'ping-method',
  from: 'ping-from',
  partitions: 'ping-partitions',
  maxPingsLost: 'ping-max-lost',
  removeOnTimeout: 'ping-remove-on-timeout',
  pingTcp: 'ping-tcp',
};

/**
 * The pinging settings of a server command when `--ping-interval` is over 0 (else undefined),
 * checked before anything is opened.
 * @throws {@link CliUsageError} naming the flag of a bad value, or a `--ping-*` flag given
 *   without `--ping-interval`.
 */
export function pingSettingsFrom(values: FlagValues): PingSettings | undefined {
  const intervalSec = flagValue<number>(values, 'ping-interval') ?? 0;
  if (intervalSec < 0) throw new CliUsageError(`--ping-interval takes seconds, 0 for no pinging, got ${intervalSec}`);
  if (intervalSec === 0) {
    const orphan = PING_FLAGS.find((f) => f.name !== 'ping-interval' && values.has(f.name));
    if (orphan !== undefined) throw new CliUsageError(`--${orphan.name} needs --ping-interval (the seconds between two pings of a contact)`);
    return undefined;
  }
  const settings: PingSettings = {
    intervalMs: intervalSec * 1000,
    method: flagValue<string>(values, 'ping-method'),
    from: flagValue<string>(values, 'ping-from'),
    partitions: flagValue<number>(values, 'ping-partitions'),
    maxPingsLost: flagValue<number>(values, 'ping-max-lost'),
    removeOnTimeout: flagValue<boolean>(values, 'ping-remove-on-timeout'),
    pingTcp: flagValue<boolean>(values, 'ping-tcp'),
  };
  try {
    resolvePingSettings(settings);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(withOptionFlag(e.message, 'ContactPingerOptions', FLAG_OF) ?? `--ping-interval: ${e.message}`);
    throw e;
  }
  return settings;
}

/**
 * Start pinging the registrar's contacts through the transport per the `--ping-*` flags
 * ({@link pingSettingsFrom}); undefined when `--ping-interval` is 0 or absent. In a `--workers`
 * worker, only the AORs placed on it (`ContactPingerOptions.share`). Close the pinger before the
 * registrar.
 * @throws {@link CliUsageError} as {@link pingSettingsFrom} does.
 */
export function startPinger(values: FlagValues, registrar: Registrar, transport: Transport, logger: Logger, clock?: Clock): ContactPinger | undefined {
  const settings = pingSettingsFrom(values);
  if (settings === undefined) return undefined;
  // A `--workers` worker pings its share of the shared location only: each AOR once in all.
  const share = workerPlace();
  const pinger = createContactPinger({ ...settings, ...(share === undefined ? {} : { share }), registrar, transport, logger, clock });
  logger.info({ intervalMs: settings.intervalMs, partitions: settings.partitions ?? 1, ...(share === undefined ? {} : { share: `${share.index}/${share.processes}` }) }, 'pinging registered contacts');
  return pinger;
}
