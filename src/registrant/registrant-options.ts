import { systemResolver, type SrvRecord } from '../sip/request-destination';
import { ConfigError } from '../errors/sdk-error';
import { integerOption } from '../errors/integer-option';
import { systemClock, type Clock } from '../ports/clock';
import { silentLogger, type Logger } from '../ports/logger';
import type { RegistrantStore } from '../ports/registrant-store';
import type { Transport } from '../ports/transport';

/**
 * Options of {@link createRegistrantScheduler}: the OpenSIPS `uac_registrant` module parameters
 * in camelCase with the module's defaults, plus the ports and what OpenSIPS lacks (backoff,
 * pre-emptive authentication, unregistering on close).
 */
export interface RegistrantSchedulerOptions {
  /** Where the registrant records come from (`db_url` + `table_name`). */
  readonly store: RegistrantStore;
  /** Sends the REGISTERs as client transactions (RFC 3261 §17.1.2). */
  readonly transport: Transport;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Receives one `info` line per state change. @defaultValue silent */
  readonly logger?: Logger;
  /** `hash_size`: the registrants are spread over 2^hashSize buckets by their AOR. @defaultValue 1 */
  readonly hashSize?: number;
  /**
   * `timer_interval` (s): every bucket is checked once per interval, one bucket every
   * `timerIntervalSec / 2^hashSize` s; a registration is refreshed at least this long before it
   * runs out. Must be at least the number of buckets. @defaultValue 100
   */
  readonly timerIntervalSec?: number;
  /**
   * `failure_retry_interval` (s): the longest wait before retrying a failed registration. 0 (not
   * set) waits the registrant's expiry, as OpenSIPS does. @defaultValue 0
   */
  readonly failureRetryIntervalSec?: number;
  /**
   * First step of the RFC 5626 §4.5 backoff after failures: the n-th consecutive failure waits a
   * random 50–100 % of `min(cap, backoffBaseSec · 2^n)`, where the cap is
   * `failureRetryIntervalSec` or the expiry. 0 waits the cap every time (OpenSIPS). @defaultValue 30
   */
  readonly backoffBaseSec?: number;
  /** `enable_clustering`: a registrant with a sharing tag registers only while the tag is active here. @defaultValue false */
  readonly enableClustering?: boolean;
  /** Whether this node holds a sharing tag (`tag_name`, `cluster_id`); needed with `enableClustering`. */
  readonly isTagActive?: (tag: string, clusterId: number) => boolean;
  /** Expiry (s) asked for a registrant without one. @defaultValue 3600 */
  readonly defaultExpirySec?: number;
  /**
   * Re-use the last challenge's nonce (next nonce count, RFC 7616 §3.4) on refreshes, saving the
   * 401 round trip with registrars that accept it. @defaultValue true
   */
  readonly preemptiveAuth?: boolean;
  /** Send the unREGISTER of every registration on {@link RegistrantScheduler.close}. @defaultValue false */
  readonly unregisterOnClose?: boolean;
  /** `User-Agent` of the REGISTERs; '' for none. @defaultValue 'sipreg' */
  readonly userAgent?: string;
  /** Resolves a registrar or proxy host name to an IP address. @defaultValue `dns.lookup` */
  readonly resolveHost?: (host: string) => Promise<string>;
  /** SRV records of `_sip._udp.<host>` and the like, for a host name without a port (RFC 3263 §4.2). @defaultValue `dns.resolveSrv` */
  readonly resolveSrv?: (name: string) => Promise<readonly SrvRecord[]>;
  /** Random numbers in [0, 1) for Call-IDs, tags and backoff jitter. @defaultValue Math.random */
  readonly random?: () => number;
}

/** {@link RegistrantSchedulerOptions} with every default applied, frozen. */
export interface ResolvedRegistrantOptions {
  readonly store: RegistrantStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hashSize: number;
  readonly timerIntervalSec: number;
  readonly failureRetryIntervalSec: number;
  readonly backoffBaseSec: number;
  readonly enableClustering: boolean;
  readonly isTagActive: (tag: string, clusterId: number) => boolean;
  readonly defaultExpirySec: number;
  readonly preemptiveAuth: boolean;
  readonly unregisterOnClose: boolean;
  readonly userAgent: string;
  readonly resolveHost: (host: string) => Promise<string>;
  readonly resolveSrv: (name: string) => Promise<readonly SrvRecord[]>;
  readonly random: () => number;
}

const integer = (name: string, value: number | undefined, fallback: number, min: number, max?: number): number =>
  integerOption('RegistrantSchedulerOptions', name, value, fallback, min, max);

/**
 * Check and freeze the options.
 * @throws {@link ConfigError} for a missing store or transport, a value out of range, fewer
 *   seconds in `timerIntervalSec` than buckets (OpenSIPS refuses to start), or clustering without
 *   `isTagActive`.
 */
export function resolveRegistrantOptions(options: RegistrantSchedulerOptions): ResolvedRegistrantOptions {
  if (options?.store === undefined) throw new ConfigError('registrant scheduler needs options.store (a RegistrantStore)');
  if (options.transport === undefined) throw new ConfigError('registrant scheduler needs options.transport');
  return Object.freeze({ ...resolveRegistrantSettings(options), store: options.store, transport: options.transport });
}

/** The ports of {@link RegistrantSchedulerOptions}: the parts that exist only once a table and sockets are open. */
type RegistrantPorts = 'store' | 'transport';

/**
 * Check the options that are values, not ports: what a command line can check before it opens a
 * table or a socket.
 * @throws {@link ConfigError} as {@link resolveRegistrantOptions} does, but for the ports.
 */
export function resolveRegistrantSettings(options: Omit<RegistrantSchedulerOptions, RegistrantPorts>): Omit<ResolvedRegistrantOptions, RegistrantPorts> {
  const hashSize = integer('hashSize', options.hashSize, 1, 0, 20);
  const timerIntervalSec = integer('timerIntervalSec', options.timerIntervalSec, 100, 1);
  if (timerIntervalSec < 2 ** hashSize) {
    throw new ConfigError(`RegistrantSchedulerOptions.timerIntervalSec (${timerIntervalSec}) must be at least the number of buckets 2^hashSize (${2 ** hashSize}): lower hashSize or raise timerIntervalSec`);
  }
  const enableClustering = options.enableClustering ?? false;
  if (enableClustering && typeof options.isTagActive !== 'function') {
    throw new ConfigError('RegistrantSchedulerOptions.enableClustering needs options.isTagActive(tag, clusterId)');
  }
  return {
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    hashSize,
    timerIntervalSec,
    failureRetryIntervalSec: integer('failureRetryIntervalSec', options.failureRetryIntervalSec, 0, 0),
    backoffBaseSec: integer('backoffBaseSec', options.backoffBaseSec, 30, 0),
    enableClustering,
    isTagActive: options.isTagActive ?? (() => true),
    defaultExpirySec: integer('defaultExpirySec', options.defaultExpirySec, 3600, 1),
    preemptiveAuth: options.preemptiveAuth ?? true,
    unregisterOnClose: options.unregisterOnClose ?? false,
    userAgent: options.userAgent ?? 'sipreg',
    resolveHost: options.resolveHost ?? systemResolver.resolveHost,
    resolveSrv: options.resolveSrv ?? systemResolver.resolveSrv,
    random: options.random ?? Math.random,
  };
}
