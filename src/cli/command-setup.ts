import cluster from 'node:cluster';
import type { RedisClient } from '../stores/redis-client';
import type { Logger } from '../ports/logger';
import type { RegistrarOptions } from '../registrar/registrar-options';
import type { LookupOptions } from '../registrar/lookup-options';
import type { SaveOptions } from '../registrar/save-options';
import { parseSaveFlags } from '../registrar/parse-save-flags';
import { parseLookupFlags } from '../registrar/parse-lookup-flags';
import { createNodeTransport } from '../transports/node-transport';
import type { NodeTransport, NodeTransportOptions } from '../transports/node-transport';
import { ConfigError, TransportError } from '../errors/sdk-error';
import { parseListenAddress } from '../transports/listen-address';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { loadDriver } from './load-driver';
import { redactUrl } from './redact-url';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import type { LogLevel } from './stderr-logger';
import { LOG_LEVELS, stderrLogger } from './stderr-logger';
import { extensionOptions } from './extension-flags';
import { TLS_FLAGS, tlsOptionsFrom } from './tls-flags';
import { workerSteering } from './worker-steering';

/** Registrar module parameters as flags: kebab-case name → option key (same value syntax as OpenSIPS). */
export const REGISTRAR_MODULE_FLAGS: readonly (FlagSpec & { readonly option: keyof RegistrarOptions })[] = [
  { name: 'default-expires', kind: 'int', option: 'defaultExpires', help: 'lifetime when the REGISTER gives none, s (3600)' },
  { name: 'min-expires', kind: 'int', option: 'minExpires', help: 'shorter lifetimes are raised to this, s; 0 disables (registrar 60, mid-registrar 10)' },
  { name: 'max-expires', kind: 'int', option: 'maxExpires', help: 'longer lifetimes are lowered to this, s; 0 disables (registrar 0, mid-registrar 3600)' },
  { name: 'min-expires-mode', kind: 'string', option: 'minExpiresMode', help: "clamp | reject (423 + Min-Expires) (clamp)" },
  { name: 'default-q', kind: 'int', option: 'defaultQ', help: 'q for Contacts without one, thousandths; -1 unspecified (-1)' },
  { name: 'realm-prefix', kind: 'string', option: 'realmPrefix', help: "prefix stripped from AOR domains, e.g. 'sip.' (none)" },
  { name: 'case-sensitive', kind: 'bool', option: 'caseSensitive', help: 'compare AOR users case-sensitively, 0/1 (1)' },
  { name: 'received-param', kind: 'string', option: 'receivedParam', help: 'Contact parameter carrying received in the 200 (received)' },
  { name: 'received-mode', kind: 'string', option: 'receivedMode', help: 'explicit | nat | always: when to store the source as received (nat)' },
  { name: 'max-contacts', kind: 'int', option: 'maxContacts', help: 'bindings per AOR; 0 unlimited (0)' },
  { name: 'max-username-len', kind: 'int', option: 'maxUsernameLen', help: 'longest AOR user part (64)' },
  { name: 'max-domain-len', kind: 'int', option: 'maxDomainLen', help: 'longest AOR domain (64)' },
  { name: 'max-aor-len', kind: 'int', option: 'maxAorLen', help: 'longest AOR (256)' },
  { name: 'max-contact-len', kind: 'int', option: 'maxContactLen', help: 'longest Contact URI (255)' },
  { name: 'retry-after', kind: 'int', option: 'retryAfter', help: 'Retry-After on 5xx replies, s; 0 none (0)' },
  { name: 'sock-hdr-name', kind: 'string', option: 'sockHdrName', help: 'header read by the socket-header save flag (none)' },
  { name: 'cseq-delay', kind: 'int', option: 'cseqDelay', help: 'window in which an equal CSeq is a retransmission, s (20)' },
  { name: 'purge-interval', kind: 'int', option: 'purgeIntervalMs', help: "how often expired bindings are removed, ms; usrloc's timer_interval (registrar 10000, mid-registrar 1000)" },
];

/** Node transport options as flags: kebab-case name → option key. */
export const TRANSPORT_FLAGS: readonly (FlagSpec & { readonly option: keyof NodeTransportOptions })[] = [
  { name: 'max-message-bytes', kind: 'int', option: 'maxMessageBytes', help: 'largest SIP message accepted; a larger one gets 513 (65536)' },
  { name: 'grammar-parses-per-second', kind: 'int', option: 'grammarParsesPerSecond', help: 'messages per second the slow grammar parser may read of those the fast scanner declines (unusual or malformed); more are dropped unparsed; 0 never (100)' },
  { name: 'tcp-message-timeout', kind: 'int', option: 'tcpMessageTimeoutMs', help: "close a TCP connection whose message is not complete this long after its first byte, ms; OpenSIPS tcp_max_msg_time (10000)" },
  { name: 'tcp-max-connections', kind: 'int', option: 'tcpMaxConnections', help: 'most accepted TCP connections open at once; more are closed at once; tcp_max_connections (2048)' },
  { name: 'tcp-max-connections-per-ip', kind: 'int', option: 'tcpMaxConnectionsPerIp', help: 'most accepted TCP connections open at once from one IP address (512)' },
  { name: 'ws-ping-interval', kind: 'int', option: 'wsPingIntervalMs', help: 'ws:/wss: ping each WebSocket this often; one that has not answered the last ping is closed, ms (30000)' },
  { name: 'ws-max-messages-per-second', kind: 'int', option: 'wsMaxMessagesPerSecond', help: 'ws:/wss: close a WebSocket sending more SIP messages than this in one second (100)' },
  { name: 'via-maddr', kind: 'bool', option: 'viaMaddr', help: "send UDP responses to the top Via's maddr (RFC 3261 §18.2.2), 0/1 (0)" },
];

/** Flags of every server command: sockets, store, script flags, logging. */
export const SERVER_FLAGS: readonly FlagSpec[] = [
  { name: 'listen', kind: 'string', repeatable: true, help: 'udp:IP:PORT, tcp:IP:PORT, tls:IP:PORT, ws:IP:PORT or wss:IP:PORT (tls and wss with --tls-cert, --tls-key), repeatable (udp:127.0.0.1:5060)' },
  ...TLS_FLAGS,
  { name: 'store', kind: 'string', help: 'memory | sqlite:PATH | redis://HOST:PORT[/DB] | redis-cluster://HOST:PORT,HOST:PORT,... (registrar sqlite:./sipreg-location.db, mid-registrar sqlite:./sipreg-mid-location.db)' },
  { name: 'store-key-prefix', kind: 'string', help: 'Redis store: prefix of its keys and channel (sipreg:)' },
  { name: 'store-notices', kind: 'bool', help: "Redis store: publish each commit's changes so every node emits every registration's events, 0/1 (1)" },
  { name: 'store-timeout', kind: 'int', help: 'Redis store: a command unanswered after this many ms fails and the REGISTER gets 503 + Retry-After (2000)' },
  { name: 'domain', kind: 'string', repeatable: true, help: 'domain served; others get 404; repeatable (any)' },
  { name: 'save-flags', kind: 'string', help: "OpenSIPS save() flags, e.g. 'c5f' or 'max-contacts=5,force-registration'; Path (RFC 3327): p0/p1/p2 off/lazy/strict, v received (path-off, path-lazy, path-strict, path-received)" },
  { name: 'lookup-flags', kind: 'string', help: "OpenSIPS lookup() flags, e.g. 'm' or 'method-filtering'" },
  { name: 'tcp-persistent-flag', kind: 'bool', help: 'keep TCP connections open while their binding lives, 0/1 (0)' },
  ...TRANSPORT_FLAGS,
  { name: 'log-level', kind: 'string', help: `${LOG_LEVELS.join(' | ')} (info)` },
];

/** The stderr logger at `--log-level`. */
export function loggerFrom(values: FlagValues): Logger {
  const level = flagValue<string>(values, 'log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  return stderrLogger(level as LogLevel);
}

/** Registrar options from the module-parameter and extension flags (NAT detection on, as a server needs). */
export function registrarOptionsFrom(values: FlagValues): RegistrarOptions {
  const options: Record<string, unknown> = { receivedMode: 'nat' };
  for (const p of REGISTRAR_MODULE_FLAGS) {
    const v = flagValue(values, p.name);
    if (v !== undefined) options[p.option] = v;
  }
  return { ...(options as RegistrarOptions), ...extensionOptions(values) };
}

/** `--save-flags`, `--tcp-persistent-flag` and `--lookup-flags` as options. */
export function saveAndLookupFrom(values: FlagValues): { saveOptions: SaveOptions; lookupOptions: LookupOptions } {
  try {
    return {
      saveOptions: { ...parseSaveFlags(flagValue<string>(values, 'save-flags') ?? ''), tcpPersistent: flagValue<boolean>(values, 'tcp-persistent-flag') ?? false },
      lookupOptions: parseLookupFlags(flagValue<string>(values, 'lookup-flags') ?? ''),
    };
  } catch (e) {
    throw new CliUsageError(e instanceof Error ? e.message : String(e));
  }
}

/** True for a flag value naming a Redis: `redis://`, `rediss://` or `redis-cluster://`. */
export const isRedisUrl = (spec: string): boolean => /^(redis|rediss|redis-cluster):\/\//.test(spec);

/**
 * A client for the Redis the flag `flag` names, its driver loaded only now: a malformed URL is a
 * usage error (exit 2); ioredis not installed, or a Redis that cannot be reached, a
 * {@link CliRuntimeError} naming the flag, the URL (password hidden) and the cause, e.g.
 * `--store redis://127.0.0.1:6390: cannot reach Redis: connect ECONNREFUSED 127.0.0.1:6390`.
 */
export async function connectRedisFlag(flag: string, spec: string, commandTimeoutMs?: number): Promise<RedisClient> {
  const shown = redactUrl(spec);
  const { connectRedis } = await loadDriver(flag, shown, 'ioredis', () => import('../stores/redis-client'));
  try {
    return await connectRedis(spec, { commandTimeoutMs });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(`${flag}: ${e.message}`);
    throw new CliRuntimeError(`${flag} ${shown}: cannot reach Redis: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The `--listen` values (udp:127.0.0.1:5060 without one), each checked: a malformed one is a usage error. */
export function listenFlags(values: FlagValues): string[] {
  const listen = (values.get('listen') ?? ['udp:127.0.0.1:5060']) as string[];
  for (const spec of listen) {
    try {
      parseListenAddress(spec);
    } catch (e) {
      throw new CliUsageError(`--listen ${spec}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return listen;
}

/** Why a socket could not be bound, in words, by errno. */
const BIND_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this host',
};

/** A transport {@link ConfigError} as a usage error prefixed by the flag of the option it names. */
function transportUsageError(error: ConfigError): CliUsageError {
  const flag = TRANSPORT_FLAGS.find((f) => error.message.startsWith(`${f.option} `));
  return new CliUsageError(flag === undefined ? error.message : `--${flag.name}: ${error.message}`);
}

/**
 * The Node transport on the `--listen` sockets with the {@link TRANSPORT_FLAGS}, the TLS files
 * of the {@link TLS_FLAGS} and `more` (a command's own options), opened before any store so that a bad flag or a port in use leaves
 * nothing behind. Bad options are usage errors naming the flag; a socket that cannot be bound a
 * {@link CliRuntimeError} such as `--listen udp:127.0.0.1:5060: address already in use`.
 */
export async function listenFrom(values: FlagValues, logger: Logger, more: Pick<NodeTransportOptions, 'tlsServerNames'> = {}): Promise<NodeTransport> {
  const listen = listenFlags(values);
  const tls = tlsOptionsFrom(values, listen);
  // A `--workers` worker binds through the primary, sharing its sockets with the other workers.
  // ... keeps every call on one worker, and has the holder of a connection write on it (UdpSteering).
  const udpSteering = workerSteering();
  const options: Record<string, unknown> = { sharedSockets: cluster.isWorker, udpSteering };
  for (const f of TRANSPORT_FLAGS) options[f.option] = flagValue(values, f.name);
  try {
    const transport = await createNodeTransport({ ...options, ...more, listen, logger, ...(tls === undefined ? {} : { tls }) });
    udpSteering?.attach(transport);
    return transport;
  } catch (e) {
    if (e instanceof ConfigError) throw transportUsageError(e);
    const bind = e instanceof TransportError ? /^cannot listen on (.+): (\w+)$/.exec(e.message) : null;
    if (bind !== null) throw new CliRuntimeError(`--listen ${bind[1]}: ${BIND_ERRORS[bind[2]] ?? bind[2]}`, { cause: e });
    throw e;
  }
}
