import { ConfigError } from '../../errors/sdk-error';
import { integerOption } from '../../errors/integer-option';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type { Transport } from '../../ports/transport';
import type { Registrar } from '../../registrar/registrar';
import { allInTable, TOKEN_CHARS } from '../../sip/chars';
import { parseUri } from '../../sip/uri';

/**
 * Options of {@link createContactPinger}: the SIP pinging parameters of the OpenSIPS and Kamailio
 * `nathelper` module in camelCase, with the module's defaults.
 */
export interface ContactPingerOptions {
  /** The location pinged: its live bindings get the pings, its lookups read the latencies (`recordLatency`). */
  readonly registrar: Registrar;
  /** Sends each ping as a non-INVITE client transaction (`request()`: retransmissions, Timer F). */
  readonly transport: Transport;
  /**
   * `natping_interval` (in ms here, seconds in nathelper): every binding is pinged once per
   * interval. Must be positive; a host that does not ping creates no pinger.
   */
  readonly intervalMs: number;
  /** `sipping_method`: the method of the pings (RFC 3261 §11: OPTIONS asks a UA what it can do). @defaultValue `OPTIONS` */
  readonly method?: string;
  /** `sipping_from`: the From URI of the pings. @defaultValue `sip:pinger@<address of the transport's first socket>` */
  readonly from?: string;
  /**
   * `natping_partitions`: the AORs are split into this many parts by a hash of the AOR, and one
   * part is pinged every `intervalMs / partitions`, so a large location is not pinged in one
   * burst. At most `intervalMs`. @defaultValue 1
   */
  readonly partitions?: number;
  /**
   * `max_pings_lost`: consecutive pings without a final response after which a binding counts as
   * gone (removed with {@link removeOnTimeout}). @defaultValue 3
   */
  readonly maxPingsLost?: number;
  /**
   * `remove_on_timeout_bflag` set on every binding: remove a binding once `maxPingsLost` pings in a
   * row were lost (`registrar.remove`, listeners see `deleted`). @defaultValue false: kept until it expires
   */
  readonly removeOnTimeout?: boolean;
  /**
   * `natping_tcp`: ping bindings reached over TCP, TLS or WebSocket too (over their flow when they
   * have one). Off, only bindings reached over UDP are pinged: a connection has its own keep-alive
   * (RFC 5626 §4.4.1). @defaultValue false
   */
  readonly pingTcp?: boolean;
  /**
   * When several processes ping one shared location (`sipreg registrar --workers`), this one's
   * place among them: it pings only the AORs placed on it (by a hash of the AOR, the same in
   * every process), so each AOR is pinged by one process, once per interval, rather than once by
   * each. @defaultValue `{ processes: 1, index: 0 }`: this process pings every AOR
   */
  readonly share?: PingShare;
  /** @defaultValue the registrar's clock */
  readonly clock?: Clock;
  /** @defaultValue the registrar's logger */
  readonly logger?: Logger;
}

/** A process's place among the processes that ping one location ({@link ContactPingerOptions.share}). */
export interface PingShare {
  /** How many processes ping the location. */
  readonly processes: number;
  /** This one's place, 0 to `processes - 1`. */
  readonly index: number;
}

/** The options that are values, not ports: what a command line checks before it opens anything. */
export type PingSettings = Omit<ContactPingerOptions, 'registrar' | 'transport' | 'clock' | 'logger'>;

/** {@link PingSettings} checked, with the defaults applied (`from` still undefined: it needs the transport). */
export interface ResolvedPingSettings {
  readonly intervalMs: number;
  readonly method: string;
  readonly from: string | undefined;
  readonly partitions: number;
  readonly maxPingsLost: number;
  readonly removeOnTimeout: boolean;
  readonly pingTcp: boolean;
  readonly share: PingShare;
}

/** The longest timer delay (`setTimeout` fires at once beyond 2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Methods that are not pings: they start or end INVITE transactions (RFC 3261 §17), or change the location. */
const NOT_PINGS: ReadonlySet<string> = new Set(['INVITE', 'ACK', 'CANCEL', 'REGISTER']);

const integer = (name: string, value: number | undefined, fallback: number, min: number, max?: number): number =>
  integerOption('ContactPingerOptions', name, value, fallback, min, max);

/**
 * Check {@link PingSettings} and apply the defaults, frozen.
 * @throws {@link ConfigError} for an interval that is not a positive integer (at most 2^31-1 ms), more partitions than
 *   milliseconds in the interval, a method that is not a token or is INVITE/ACK/CANCEL/REGISTER,
 *   a `from` that is not a sip:/sips: URI, `maxPingsLost` below 1, or a `share` whose index is not
 *   one of `0 .. processes - 1`.
 */
export function resolvePingSettings(settings: PingSettings): ResolvedPingSettings {
  const intervalMs = integer('intervalMs', settings.intervalMs, 0, 1, MAX_TIMER_MS);
  const method = settings.method ?? 'OPTIONS';
  if (!allInTable(TOKEN_CHARS, method)) throw new ConfigError(`ContactPingerOptions.method must be a SIP method such as 'OPTIONS', got '${method}'`);
  if (NOT_PINGS.has(method.toUpperCase())) throw new ConfigError(`ContactPingerOptions.method cannot be ${method}: ping with OPTIONS (RFC 3261 §11), or another non-INVITE method such as INFO or NOTIFY`);
  const from = settings.from;
  if (from !== undefined) {
    const u = parseUri(from);
    if (u === undefined || u.scheme === 'tel') throw new ConfigError(`ContactPingerOptions.from must be a sip: or sips: URI such as 'sip:pinger@192.0.2.1', got '${from}'`);
  }
  return Object.freeze({
    intervalMs,
    method,
    from,
    partitions: integer('partitions', settings.partitions, 1, 1, intervalMs),
    maxPingsLost: integer('maxPingsLost', settings.maxPingsLost, 3, 1),
    removeOnTimeout: settings.removeOnTimeout ?? false,
    pingTcp: settings.pingTcp ?? false,
    share: resolveShare(settings.share),
  });
}

/** `share` checked: a positive number of processes, an index among them. */
function resolveShare(share: PingShare | undefined): PingShare {
  if (share === undefined) return ONE_PROCESS;
  const processes = integer('share.processes', share.processes, 1, 1);
  return Object.freeze({ processes, index: integer('share.index', share.index, 0, 0, processes - 1) });
}

const ONE_PROCESS: PingShare = Object.freeze({ processes: 1, index: 0 });
