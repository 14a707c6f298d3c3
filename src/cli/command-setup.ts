import type { LocationStore } from '../ports/location-store';
import type { RedisClient } from '../stores/redis-client';
import type { Logger } from '../ports/logger';
import type { RegistrarOptions } from '../registrar/registrar-options';
import type { LookupOptions } from '../registrar/lookup-options';
import type { SaveOptions } from '../registrar/save-options';
import { parseSaveFlags } from '../registrar/parse-save-flags';
import { parseLookupFlags } from '../registrar/parse-lookup-flags';
import { MemoryLocationStore } from '../stores/memory-location-store';
import { createNodeTransport } from '../transports/node-transport';
import type { NodeTransport } from '../transports/node-transport';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import type { LogLevel } from './stderr-logger';
import { LOG_LEVELS, stderrLogger } from './stderr-logger';
import { extensionOptions } from './extension-flags';

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

/** Flags of every server command: sockets, store, script flags, logging. */
export const SERVER_FLAGS: readonly FlagSpec[] = [
  { name: 'listen', kind: 'string', repeatable: true, help: 'udp:IP:PORT or tcp:IP:PORT, repeatable (udp:127.0.0.1:5060)' },
  { name: 'store', kind: 'string', help: 'memory | sqlite:PATH | redis://HOST:PORT[/DB] | redis-cluster://HOST:PORT,HOST:PORT,... (registrar sqlite:./sipreg-location.db, mid-registrar sqlite:./sipreg-mid-location.db)' },
  { name: 'store-key-prefix', kind: 'string', help: 'Redis store: prefix of its keys and channel (sipreg:)' },
  { name: 'store-notices', kind: 'bool', help: "Redis store: publish each commit's changes so every node emits every registration's events, 0/1 (1)" },
  { name: 'store-timeout', kind: 'int', help: 'Redis store: a command unanswered after this many ms fails and the REGISTER gets 503 + Retry-After (2000)' },
  { name: 'domain', kind: 'string', repeatable: true, help: 'domain served; others get 404; repeatable (any)' },
  { name: 'save-flags', kind: 'string', help: "OpenSIPS save() flags, e.g. 'c5f' or 'max-contacts=5,force-registration'; Path (RFC 3327): p0/p1/p2 off/lazy/strict, v received (path-off, path-lazy, path-strict, path-received)" },
  { name: 'lookup-flags', kind: 'string', help: "OpenSIPS lookup() flags, e.g. 'm' or 'method-filtering'" },
  { name: 'tcp-persistent-flag', kind: 'bool', help: 'keep TCP connections open while their binding lives, 0/1 (0)' },
  { name: 'max-message-bytes', kind: 'int', help: 'largest SIP message accepted (65536)' },
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
 * A client for the Redis the flag `flag` names: a malformed URL is a usage error (exit 2), a
 * Redis that cannot be reached an error naming the flag and the URL (exit 1).
 */
export async function connectRedisFlag(flag: string, spec: string, commandTimeoutMs?: number): Promise<RedisClient> {
  const { connectRedis } = await import('../stores/redis-client');
  try {
    return await connectRedis(spec, { commandTimeoutMs });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(`${flag}: ${e.message}`);
    throw new Error(`${flag} ${spec}: cannot reach Redis: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The store of `--store` (and the `--store-*` flags of a Redis store). */
export async function openStore(spec: string, values: FlagValues): Promise<LocationStore> {
  if (spec === 'memory') return new MemoryLocationStore();
  if (spec.startsWith('sqlite:') && spec.length > 7) {
    const { SqliteLocationStore } = await import('../stores/sqlite-location-store');
    return new SqliteLocationStore({ path: spec.slice(7) });
  }
  if (isRedisUrl(spec)) {
    const [client, { RedisLocationStore }] = await Promise.all([
      connectRedisFlag('--store', spec, flagValue<number>(values, 'store-timeout')),
      import('../stores/redis-location-store'),
    ]);
    try {
      return new RedisLocationStore({ client, ownsClient: true, keyPrefix: flagValue<string>(values, 'store-key-prefix'), notices: flagValue<boolean>(values, 'store-notices') ?? true });
    } catch (e) {
      client.disconnect();
      if (e instanceof ConfigError) throw new CliUsageError(`--store-key-prefix: ${e.message}`);
      throw e;
    }
  }
  throw new CliUsageError(`--store must be 'memory', 'sqlite:PATH', 'redis://HOST:PORT' or 'redis-cluster://HOST:PORT,...', got '${spec}'`);
}

/** The Node transport on the `--listen` sockets; on failure `cleanup` runs and bad flags become usage errors. */
export async function listenFrom(values: FlagValues, logger: Logger, cleanup: () => Promise<void>): Promise<NodeTransport> {
  const listen = (values.get('listen') ?? ['udp:127.0.0.1:5060']) as string[];
  try {
    return await createNodeTransport({ listen, logger, maxMessageBytes: flagValue<number>(values, 'max-message-bytes') });
  } catch (e) {
    await cleanup();
    if (e instanceof ConfigError) throw new CliUsageError(e.message);
    throw e;
  }
}
