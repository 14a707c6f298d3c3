import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, StoreError } from '../errors/sdk-error';
import { resolveRegistrantSettings } from '../registrant/registrant-options';
import type { RegistrantStore } from '../ports/registrant-store';
import { createRegistrantScheduler, type RegistrantScheduler } from '../registrant/registrant-scheduler';
import { JsonFileRegistrantStore } from '../stores/json-file-registrant-store';
import type { RedisClient } from '../stores/redis-client';
import type { RedisSharingTags } from '../stores/redis-sharing-tags';
import { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns, type RegistrantField } from '../stores/registrant-record-from-row';
import { formatEndpoint } from '../transports/listen-address';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { loadDriver } from './load-driver';
import { redactUrl } from './redact-url';
import { checkSqlitePath } from './sqlite-path-check';
import { withAbsolutePath } from './store-flag';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue, formatFlags, parseArgs } from './parse-args';
import { connectRedisFlag, isRedisUrl, listenFrom, loggerFrom } from './command-setup';
import { withOptionFlag } from './extension-flags';
import { startSharingTags } from './sharing-tags-setup';
import { reloadTlsOnSighup, TLS_FLAGS } from './tls-flags';
import type { RunningRegistrar } from './registrar-command';
import { MI_FLAGS, MI_HEALTH_TIMEOUT_MS, metricsText, miSettingsFrom, startMi } from './mi-flags';
import { registrantCommands, type EditableRegistrantStore } from '../management/registrant-commands';
import { registrantStatisticsGroups } from '../management/statistics-groups';
import { storeHealth } from '../management/store-health';
import { createSipregMetrics } from '../metrics/create-sipreg-metrics';

/** The `*_column` module parameters, as `--<name>-column` flags, by record field. */
const COLUMN_FLAGS: readonly (readonly [RegistrantField, string])[] = (Object.keys(OPENSIPS_REGISTRANT_COLUMNS) as RegistrantField[])
  .map((field) => [field, `${OPENSIPS_REGISTRANT_COLUMNS[field].toLowerCase().replace(/_/g, '-')}-column`] as const);

/** Options whose flag is not their name in kebab-case. */
const OPTION_FLAGS: Readonly<Record<string, string>> = {
  timerIntervalSec: 'timer-interval',
  failureRetryIntervalSec: 'failure-retry-interval',
  backoffBaseSec: 'backoff-base',
  defaultExpirySec: 'default-expiry',
  unregisterOnClose: 'unregister-on-exit',
};


/** The uac_registrant module parameters as flags (same names and defaults as OpenSIPS). */
const FLAGS: readonly FlagSpec[] = [
  { name: 'registrants', kind: 'string', help: 'sqlite:PATH (an OpenSIPS registrant table), FILE.json, or redis://HOST:PORT[/DB] | redis-cluster://HOST:PORT,HOST:PORT,... (the hash sipreg:registrants) (required)' },
  { name: 'listen', kind: 'string', repeatable: true, help: 'udp:IP:PORT, tcp:IP:PORT or tls:IP:PORT the REGISTERs leave from, repeatable (udp:127.0.0.1:5060)' },
  ...TLS_FLAGS,
  { name: 'hash-size', kind: 'int', help: '2^N buckets; one is checked every timer-interval/2^N s (1)' },
  { name: 'timer-interval', kind: 'int', help: 'every registrant is checked once per interval, s (100)' },
  { name: 'failure-retry-interval', kind: 'int', help: 'longest wait before retrying a failure, s; 0 = the expiry (0)' },
  { name: 'backoff-base', kind: 'int', help: 'RFC 5626 backoff base after failures, s; 0 = none (30)' },
  { name: 'default-expiry', kind: 'int', help: 'expiry asked when the record has none, s (3600)' },
  { name: 'shtag-active', kind: 'string', repeatable: true, help: 'TAG/CLUSTER_ID active on this node; enables clustering (none: clustering off)' },
  { name: 'shtag', kind: 'string', repeatable: true, help: 'TAG/CLUSTER_ID this node competes for with the other nodes on the Redis of --registrants: one holds it at a time, the others are backups; enables clustering (none)' },
  { name: 'shtag-lease', kind: 'int', help: "--shtag lease lifetime, ms: a dead node's tags move after about 4/3 of it (10000)" },
  { name: 'redis-key-prefix', kind: 'string', help: 'Redis --registrants: prefix of the registrants hash and the --shtag leases (sipreg:)' },
  { name: 'preemptive-auth', kind: 'bool', help: 're-use the last nonce on refreshes, 0/1 (1)' },
  { name: 'unregister-on-exit', kind: 'bool', help: 'unREGISTER everything on SIGTERM/SIGINT, 0/1 (0)' },
  { name: 'user-agent', kind: 'string', help: "User-Agent of the REGISTERs; '' none (sipreg)" },
  { name: 'table-name', kind: 'string', help: 'table of the registrants in sqlite:PATH (registrant)' },
  ...COLUMN_FLAGS.map(([field, name]) => ({ name, kind: 'string' as const, help: `column of ${field} (${OPENSIPS_REGISTRANT_COLUMNS[field]})` })),
  { name: 'log-level', kind: 'string', help: 'silent | error | warn | info | debug (info)' },
  ...MI_FLAGS,
];

/** The `--help` text of `sipreg registrant`. */
export const REGISTRANT_USAGE = `Usage: sipreg registrant --registrants sqlite:PATH|FILE.json|redis://HOST:PORT [flags]

Registers this server on remote registrars and keeps the registrations alive (OpenSIPS
uac_registrant). Each state change is logged on stderr. SIGHUP reloads the registrants
(reg_reload). Flags (defaults in parentheses):
${formatFlags(FLAGS)}
`;

/** What `--registrants` names, checked (but not opened) by {@link registrantsFlag}. */
type RegistrantsFlag =
  | { readonly kind: 'redis'; readonly spec: string }
  | { readonly kind: 'json' | 'sqlite'; readonly spec: string; readonly path: string };

/**
 * `--registrants`, checked without opening anything: a malformed value is a usage error; a JSON
 * or SQLite file that does not exist a {@link CliRuntimeError} (a mistyped `sqlite:` path would
 * otherwise become a new, empty table).
 */
function registrantsFlag(values: FlagValues): RegistrantsFlag {
  const spec = flagValue<string>(values, 'registrants');
  if (spec === undefined) throw new CliUsageError('--registrants is required: sqlite:PATH, FILE.json or redis://HOST:PORT');
  if (isRedisUrl(spec)) return { kind: 'redis', spec };
  if (flagValue<string>(values, 'redis-key-prefix') !== undefined) throw new CliUsageError('--redis-key-prefix needs --registrants redis://… or redis-cluster://…');
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) {
    const path = spec.slice('sqlite:'.length);
    checkSqlitePath('--registrants', spec, path, true);
    return { kind: 'sqlite', spec, path };
  }
  if (!spec.endsWith('.json')) throw new CliUsageError(`--registrants takes sqlite:PATH or FILE.json, or redis://… or redis-cluster://… for Redis, got '${spec}'`);
  if (!existsSync(spec)) throw new CliRuntimeError(`--registrants ${spec}: file ${resolve(spec)} does not exist`);
  return { kind: 'json', spec, path: spec };
}

/** Where the registrants come from, for the startup line and the empty-table warning. */
function describeRegistrants(flag: RegistrantsFlag, values: FlagValues): string {
  if (flag.kind === 'redis') return `redis ${redactUrl(flag.spec)} (hash ${flagValue<string>(values, 'redis-key-prefix') ?? 'sipreg:'}registrants)`;
  if (flag.kind === 'json') return `json ${withAbsolutePath(flag.path)}`;
  return `sqlite ${withAbsolutePath(flag.path)} (table ${flagValue<string>(values, 'table-name') ?? 'registrant'})`;
}

/** The registrant store of `--registrants`, and the Redis client when it is one (the store owns it). */
async function openRegistrants(flag: RegistrantsFlag, values: FlagValues): Promise<{ readonly store: RegistrantStore; readonly redis?: RedisClient }> {
  if (flag.kind === 'redis') return openRedisRegistrants(flag.spec, values);
  if (flag.kind === 'json') return { store: new JsonFileRegistrantStore(flag.path) };
  const columns: Partial<Record<RegistrantField, string>> = {};
  for (const [field, name] of COLUMN_FLAGS) {
    const column = flagValue<string>(values, name);
    if (column !== undefined) columns[field] = column;
  }
  const { SqliteRegistrantStore } = await loadDriver('--registrants', flag.spec, 'better-sqlite3', () => import('../stores/sqlite-registrant-store'));
  return { store: new SqliteRegistrantStore({ path: flag.path, table: flagValue<string>(values, 'table-name'), columns: columns as Partial<RegistrantColumns> }) };
}

/** `--registrants redis://…`: a {@link RedisRegistrantStore} owning its client. */
async function openRedisRegistrants(spec: string, values: FlagValues): Promise<{ readonly store: RegistrantStore; readonly redis: RedisClient }> {
  const { RedisRegistrantStore } = await loadDriver('--registrants', redactUrl(spec), 'ioredis', () => import('../stores/redis-registrant-store'));
  const redis = await connectRedisFlag('--registrants', spec);
  try {
    return { store: new RedisRegistrantStore({ client: redis, ownsClient: true, keyPrefix: flagValue<string>(values, 'redis-key-prefix') }), redis };
  } catch (e) {
    redis.disconnect();
    if (e instanceof ConfigError) throw new CliUsageError(`--redis-key-prefix: ${e.message}`);
    throw e;
  }
}

/** `--shtag-active vip/1` → a fixed set of sharing tags held by this node. */
function activeTags(values: FlagValues): ((tag: string, clusterId: number) => boolean) | undefined {
  const tags = (values.get('shtag-active') ?? []) as string[];
  if (tags.length === 0) return undefined;
  for (const t of tags) if (!/^[^/]+\/\d+$/.test(t)) throw new CliUsageError(`--shtag-active takes TAG/CLUSTER_ID, got '${t}'`);
  const set = new Set(tags);
  return (tag, clusterId) => set.has(`${tag}/${clusterId}`);
}

/** The `--shtag` flags (empty when none), checked against the other flags. */
function competedTags(values: FlagValues, onRedis: boolean): string[] {
  const tags = (values.get('shtag') ?? []) as string[];
  if (tags.length === 0) {
    if (flagValue<number>(values, 'shtag-lease') !== undefined) throw new CliUsageError('--shtag-lease needs --shtag');
    return tags;
  }
  if (!onRedis) throw new CliUsageError('--shtag needs --registrants redis://… or redis-cluster://…: the sharing tags are leases in that Redis');
  const fixed = new Set((values.get('shtag-active') ?? []) as string[]);
  const both = tags.find((t) => fixed.has(t));
  if (both !== undefined) throw new CliUsageError(`--shtag ${both} is also given to --shtag-active; a tag is either held for good or competed for`);
  return tags;
}

/**
 * Hand each sharing tag change to the scheduler (OpenSIPS clusterer's shtag callback), including
 * the changes made while the scheduler was loading.
 */
function tagChangeRelay(sharing: RedisSharingTags | undefined): { attach(scheduler: RegistrantScheduler): void; detach(): void } {
  let target: RegistrantScheduler | undefined;
  const missed: [string, number, boolean][] = [];
  const relay = (tag: string, clusterId: number, active: boolean): void => {
    if (target === undefined) missed.push([tag, clusterId, active]);
    else target.tagChanged(tag, clusterId, active);
  };
  sharing?.on('change', relay);
  return {
    attach(scheduler) {
      target = scheduler;
      for (const [tag, clusterId, active] of missed.splice(0)) scheduler.tagChanged(tag, clusterId, active);
    },
    detach() {
      sharing?.off('change', relay);
    },
  };
}

/**
 * `sipreg registrant`: check every flag, then bind the sockets, open the registrants and keep
 * every registration alive until stopped. Throws {@link CliUsageError} for bad flags and
 * {@link CliRuntimeError} for what the environment refuses (exit 1).
 */
export async function runRegistrantCommand(argv: readonly string[]): Promise<RunningRegistrar> {
  const values = parseArgs(argv, FLAGS);
  const logger = loggerFrom(values);
  const fixedTags = activeTags(values);
  const registrants = registrantsFlag(values);
  const tags = competedTags(values, registrants.kind === 'redis');
  const miSettings = miSettingsFrom(values);
  const schedulerOptions = {
    logger,
    hashSize: flagValue<number>(values, 'hash-size'),
    timerIntervalSec: flagValue<number>(values, 'timer-interval'),
    failureRetryIntervalSec: flagValue<number>(values, 'failure-retry-interval'),
    backoffBaseSec: flagValue<number>(values, 'backoff-base'),
    defaultExpirySec: flagValue<number>(values, 'default-expiry'),
    enableClustering: fixedTags !== undefined || tags.length > 0,
    preemptiveAuth: flagValue<boolean>(values, 'preemptive-auth'),
    unregisterOnClose: flagValue<boolean>(values, 'unregister-on-exit'),
    userAgent: flagValue<string>(values, 'user-agent'),
  };
  /** A ConfigError as a usage error naming its flag, else as `fallback` says. */
  const optionError = (e: unknown, fallback = (message: string): string => message): unknown => (e instanceof ConfigError
    ? new CliUsageError(withOptionFlag(e.message, 'RegistrantSchedulerOptions', OPTION_FLAGS) ?? fallback(e.message))
    : e);
  try {
    resolveRegistrantSettings({ ...schedulerOptions, enableClustering: false });
  } catch (e) {
    throw optionError(e);
  }
  const transport = await listenFrom(values, logger);
  let store: RegistrantStore | undefined;
  let redis: RedisClient | undefined;
  let sharing: RedisSharingTags | undefined;
  try {
    ({ store, redis } = await openRegistrants(registrants, values));
    if (tags.length > 0 && redis !== undefined) sharing = await startSharingTags(redis, tags, values, 'redis-key-prefix', logger);
  } catch (e) {
    await store?.close?.();
    await transport.close();
    if (e instanceof ConfigError) throw new CliUsageError(`--registrants: ${e.message}`);
    throw e;
  }
  const opened = store;
  const relay = tagChangeRelay(sharing);
  const release = async (): Promise<void> => {
    relay.detach();
    await sharing?.close();
    await opened.close?.();
  };
  const held = sharing;
  const isTagActive = held === undefined
    ? fixedTags
    : (tag: string, clusterId: number): boolean => held.isTagActive(tag, clusterId) || (fixedTags?.(tag, clusterId) ?? false);
  let scheduler: RegistrantScheduler;
  try {
    scheduler = await createRegistrantScheduler({ ...schedulerOptions, store: opened, transport, ...(isTagActive === undefined ? {} : { isTagActive }) });
  } catch (e) {
    await transport.close();
    await release();
    if (e instanceof StoreError) throw new CliRuntimeError(`--registrants ${registrants.spec}: ${e.message}`, { cause: e });
    throw optionError(e, (message) => `--registrants ${registrants.spec}: ${message}`);
  }
  relay.attach(scheduler);
  const reload = (): void => {
    scheduler.reload().then(
      () => logger.info({ registrants: scheduler.stats().registrants }, 'registrants reloaded'),
      (e: unknown) => logger.error({ error: e }, 'registrant reload failed'),
    );
  };
  process.on('SIGHUP', reload);
  const stopTlsReload = reloadTlsOnSighup(values, transport, logger);
  const source = describeRegistrants(registrants, values);
  const closeAll = async (): Promise<void> => {
    process.off('SIGHUP', reload);
    stopTlsReload();
    // The tags stay held until the scheduler is done (its unREGISTERs), then go to a backup at once.
    relay.detach();
    await scheduler.close();
    await transport.close();
    await release();
  };
  // reg_upsert and reg_delete write through to a store that takes them (Redis), else change the running registrants only.
  const editable = 'put' in opened && 'delete' in opened ? (opened as RegistrantStore & EditableRegistrantStore) : undefined;
  const mi = await startMi(miSettings, {
    groups: registrantStatisticsGroups(scheduler),
    commands: registrantCommands(scheduler, editable),
    health: storeHealth(() => opened.loadAll(), MI_HEALTH_TIMEOUT_MS),
    metrics: metricsText(createSipregMetrics({ registrant: scheduler })),
    logger,
  }, closeAll);
  return {
    endpoints: transport.endpoints().map((e) => formatEndpoint(e)),
    store: source,
    storeLabel: 'registrants',
    warnings: scheduler.stats().registrants === 0 ? [`the ${registrants.kind === 'redis' ? 'hash' : registrants.kind === 'json' ? 'file' : 'table'} at ${source} has no registrants`] : [],
    details: mi === undefined ? [] : [mi.line],
    async stop() {
      await mi?.close();
      await closeAll();
    },
  };
}
