import type { LocationStore } from '../ports/location-store';
import type { RegistrarOptions } from '../registrar/registrar-options';
import { createRegistrar } from '../registrar/registrar';
import { parseSaveFlags } from '../registrar/parse-save-flags';
import { parseLookupFlags } from '../registrar/parse-lookup-flags';
import { MemoryLocationStore } from '../stores/memory-location-store';
import { createNodeTransport } from '../transports/node-transport';
import { formatEndpoint } from '../transports/listen-address';
import { createRegistrarServer } from '../server/registrar-server';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec } from './parse-args';
import { flagValue, formatFlags, parseArgs } from './parse-args';
import type { LogLevel } from './stderr-logger';
import { LOG_LEVELS, stderrLogger } from './stderr-logger';
import { EXTENSION_FLAGS, extensionOptions, withFlagName } from './extension-flags';

/** Registrar module parameters as flags: kebab-case name → option key (same value syntax as OpenSIPS). */
const MODULE_PARAMS: readonly (FlagSpec & { readonly option: keyof RegistrarOptions })[] = [
  { name: 'default-expires', kind: 'int', option: 'defaultExpires', help: 'lifetime when the REGISTER gives none, s (3600)' },
  { name: 'min-expires', kind: 'int', option: 'minExpires', help: 'shorter lifetimes are raised to this, s; 0 disables (60)' },
  { name: 'max-expires', kind: 'int', option: 'maxExpires', help: 'longer lifetimes are lowered to this, s; 0 disables (0)' },
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
];

const FLAGS: readonly FlagSpec[] = [
  { name: 'listen', kind: 'string', repeatable: true, help: 'udp:IP:PORT or tcp:IP:PORT, repeatable (udp:127.0.0.1:5060)' },
  { name: 'store', kind: 'string', help: 'memory | sqlite:PATH (sqlite:./sipreg-location.db)' },
  { name: 'domain', kind: 'string', repeatable: true, help: 'domain served; others get 404; repeatable (any)' },
  { name: 'save-flags', kind: 'string', help: "OpenSIPS save() flags, e.g. 'c5f' or 'max-contacts=5,force-registration'; Path (RFC 3327): p0/p1/p2 off/lazy/strict, v received (path-off, path-lazy, path-strict, path-received)" },
  { name: 'lookup-flags', kind: 'string', help: "OpenSIPS lookup() flags, e.g. 'm' or 'method-filtering'" },
  { name: 'tcp-persistent-flag', kind: 'bool', help: 'keep TCP connections open while their binding lives, 0/1 (0)' },
  { name: 'max-message-bytes', kind: 'int', help: 'largest SIP message accepted (65536)' },
  { name: 'log-level', kind: 'string', help: `${LOG_LEVELS.join(' | ')} (info)` },
  ...MODULE_PARAMS,
  ...EXTENSION_FLAGS,
];

/** The `--help` text of `sipreg registrar`. */
export const REGISTRAR_USAGE = `Usage: sipreg registrar [flags]

Runs a SIP registrar: answers REGISTER (RFC 3261 §10) and proxies other requests statelessly
to the highest-q registered contact. Flags (defaults in parentheses):
${formatFlags(FLAGS)}
`;

async function openStore(spec: string): Promise<LocationStore> {
  if (spec === 'memory') return new MemoryLocationStore();
  if (spec.startsWith('sqlite:') && spec.length > 7) {
    const { SqliteLocationStore } = await import('../stores/sqlite-location-store');
    return new SqliteLocationStore({ path: spec.slice(7) });
  }
  throw new CliUsageError(`--store must be 'memory' or 'sqlite:PATH', got '${spec}'`);
}

/** What `runRegistrarCommand` started, for a clean shutdown. */
export interface RunningRegistrar {
  /** The lines announcing each listening socket. */
  readonly endpoints: readonly string[];
  stop(): Promise<void>;
}

/**
 * `sipreg registrar`: parse the flags, open the store and sockets, and serve.
 * Throws {@link CliUsageError} for bad flags (the caller exits with 2).
 */
export async function runRegistrarCommand(argv: readonly string[]): Promise<RunningRegistrar> {
  const values = parseArgs(argv, FLAGS);
  const level = flagValue<string>(values, 'log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  const logger = stderrLogger(level as LogLevel);
  const moduleOptions: Record<string, unknown> = { receivedMode: 'nat' };
  for (const p of MODULE_PARAMS) {
    const v = flagValue(values, p.name);
    if (v !== undefined) moduleOptions[p.option] = v;
  }
  let saveOptions;
  let lookupOptions;
  try {
    saveOptions = { ...parseSaveFlags(flagValue<string>(values, 'save-flags') ?? ''), tcpPersistent: flagValue<boolean>(values, 'tcp-persistent-flag') ?? false };
    lookupOptions = parseLookupFlags(flagValue<string>(values, 'lookup-flags') ?? '');
  } catch (e) {
    throw new CliUsageError(e instanceof Error ? e.message : String(e));
  }
  const store = await openStore(flagValue<string>(values, 'store') ?? 'sqlite:./sipreg-location.db');
  let registrar;
  try {
    registrar = createRegistrar({
      ...(moduleOptions as RegistrarOptions), ...extensionOptions(values), store, logger, domains: (values.get('domain') ?? []) as string[],
    });
  } catch (e) {
    await store.close();
    if (e instanceof ConfigError) throw new CliUsageError(withFlagName(e.message));
    throw e;
  }
  const listen = (values.get('listen') ?? ['udp:127.0.0.1:5060']) as string[];
  let transport;
  try {
    transport = await createNodeTransport({ listen, logger, maxMessageBytes: flagValue<number>(values, 'max-message-bytes') });
  } catch (e) {
    await registrar.close();
    await store.close();
    if (e instanceof ConfigError) throw new CliUsageError(e.message);
    throw e;
  }
  createRegistrarServer({ registrar, transport, saveOptions, lookupOptions, logger });
  return {
    endpoints: transport.endpoints().map((e) => formatEndpoint(e)),
    async stop() {
      await transport.close();
      await registrar.close();
      await store.close();
    },
  };
}
