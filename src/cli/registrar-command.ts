import cluster from 'node:cluster';
import { createRegistrar } from '../registrar/registrar';
import { resolveRegistrarOptions, type RegistrarOptions } from '../registrar/registrar-options';
import type { LocationStore } from '../ports/location-store';
import { formatEndpoint } from '../transports/listen-address';
import { createRegistrarServer } from '../server/registrar-server';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec } from './parse-args';
import { formatFlags, parseArgs } from './parse-args';
import { EXTENSION_FLAGS, withFlagName } from './extension-flags';
import { REGINFO_FLAGS, reginfoOptionsFrom, reloadIdentitiesOnSighup, startReginfo } from './reginfo-flags';
import { checkOwnershipFlags, OWNERSHIP_FLAGS, ownershipFrom, type Ownership } from './sharing-tags-setup';
import { listenFrom, loggerFrom, REGISTRAR_MODULE_FLAGS, registrarOptionsFrom, saveAndLookupFrom, SERVER_FLAGS } from './command-setup';
import { describeStore, openStore, parseStoreFlag } from './store-flag';
import { AUTH_FLAGS, GUARD_FLAGS, PROXY_AUTH_FLAGS, resolveAuthSettings, sharedSecretEnv, startAuth } from './auth-flags';
import { WORKERS_FLAG, workersFrom } from './workers-flag';
import { PROXY_FLAGS, proxyOptionsFrom } from './proxy-flags';
import { PING_FLAGS, pingSettingsFrom, startPinger } from './ping-flags';
import { runWorkers } from './run-workers';
import { workerPlace } from './worker-steering';
import { reloadCredentialsOnSighup } from './credentials-reload';
import { hasTlsFiles, reloadTlsOnSighup } from './tls-flags';
import { MI_FLAGS, MI_HEALTH_TIMEOUT_MS, metricsText, miSettingsFrom, startMi } from './mi-flags';
import { registrarStatisticsGroups } from '../management/statistics-groups';
import { storeHealth } from '../management/store-health';
import { reginfoCommands } from '../management/reginfo-commands';
import { locationCommands } from '../management/location-commands';
import { pushCommands } from '../management/push-commands';
import { createSipregMetrics } from '../metrics/create-sipreg-metrics';

const FLAGS: readonly FlagSpec[] = [
  ...SERVER_FLAGS,
  ...OWNERSHIP_FLAGS,
  ...REGISTRAR_MODULE_FLAGS,
  ...EXTENSION_FLAGS,
  ...PROXY_FLAGS,
  ...REGINFO_FLAGS,
  ...PING_FLAGS,
  ...AUTH_FLAGS,
  ...PROXY_AUTH_FLAGS,
  ...GUARD_FLAGS,
  WORKERS_FLAG,
  ...MI_FLAGS,
];

/** The `--help` text of `sipreg registrar`. */
export const REGISTRAR_USAGE = `Usage: sipreg registrar [flags]

Runs a SIP registrar: answers REGISTER (RFC 3261 §10) and proxies other requests
transaction-statefully to every registered contact (parallel within a q value, serially across
q values; RFC 3261 §16). Flags (defaults in parentheses):
${formatFlags(FLAGS)}
`;

/** What a server command started, for the startup lines and a clean shutdown. */
export interface RunningRegistrar {
  /** The lines announcing each listening socket. */
  readonly endpoints: readonly string[];
  /** Its store and where it is, for the startup line (`sqlite ./sipreg-location.db (/srv/sipreg-location.db)`). */
  readonly store: string;
  /** What the store line is called (`store`; the registrant's `registrants`). */
  readonly storeLabel?: string;
  /** Lines for stderr at start, e.g. that the registrant table is empty. */
  readonly warnings?: readonly string[];
  /** Further lines for stdout at start, after the store's, e.g. `auth: sqlite ./subscriber.db (...); realm ...; algorithms SHA-256, MD5`. */
  readonly details?: readonly string[];
  stop(): Promise<void>;
}

/**
 * `sipreg registrar`: check every flag, then bind the sockets, open the store (nothing is
 * created on disk before the flags are good) and serve. Throws {@link CliUsageError} for bad
 * flags (the caller exits with 2) and {@link CliRuntimeError} for a port in use, a missing
 * directory, a missing driver, an unreachable Redis or an `--auth-db` without its file or
 * `subscriber` table (exit 1). With `--auth-db` the registrar, the reg-event notifier and
 * `--auth-methods` share one digest authenticator (RFC 3261 §22), and the source guard sees
 * their failed authentications. With `--workers N` (N > 1) the flags are checked here and N
 * worker processes run the command on the same sockets ({@link runWorkers}).
 */
export async function runRegistrarCommand(argv: readonly string[]): Promise<RunningRegistrar> {
  const values = parseArgs(argv, FLAGS);
  const logger = loggerFrom(values);
  const { saveOptions, lookupOptions } = saveAndLookupFrom(values);
  const storeFlag = parseStoreFlag(values, 'sqlite:./sipreg-location.db');
  let registrarOptions: RegistrarOptions;
  try {
    registrarOptions = { ...registrarOptionsFrom(values), domains: (values.get('domain') ?? []) as string[] };
    resolveRegistrarOptions(registrarOptions);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(withFlagName(e.message));
    throw e;
  }
  checkOwnershipFlags(values, storeFlag.spec);
  const reginfoOptions = reginfoOptionsFrom(values);
  const proxyOptions = proxyOptionsFrom(values);
  pingSettingsFrom(values); // a bad --ping-* value is a usage error before any socket is bound
  const authSettings = resolveAuthSettings(values);
  const workers = workersFrom(values, storeFlag, saveOptions);
  const miSettings = miSettingsFrom(values);
  const reloadsOnSighup = hasTlsFiles(values) || authSettings.digest?.db.kind === 'json';
  if (workers > 1 && cluster.isPrimary) return runWorkers('registrar', workers, sharedSecretEnv(values), reloadsOnSighup);
  const transport = await listenFrom(values, logger);
  // The credential store opens before the location store: a missing subscriber table then leaves
  // no new location database behind.
  const auth = await startAuth(authSettings, logger).catch(async (e: unknown) => {
    await transport.close();
    throw e;
  });
  let store: LocationStore;
  try {
    store = await openStore(storeFlag, values);
  } catch (e) {
    await auth.close();
    await transport.close();
    throw e;
  }
  const { authenticator, guard, proxyAuth } = auth;
  let ownership: Ownership | undefined;
  let registrar;
  try {
    ownership = await ownershipFrom(values, storeFlag.spec, logger);
    // Under --workers the worker at place 0 (or the one restarted in its stead) purges the shared store for all.
    const purgeElsewhere = (workerPlace()?.index ?? 0) > 0 ? { purgeIntervalMs: 0 } : {};
    registrar = createRegistrar({ ...registrarOptions, ...purgeElsewhere, store, logger, isTagActive: ownership?.isTagActive, localSockets: () => transport.endpoints(), auth: authenticator, checkTo: authSettings.digest?.checkTo });
  } catch (e) {
    await ownership?.close();
    await store.close();
    await auth.close();
    await transport.close();
    if (e instanceof ConfigError) throw new CliUsageError(withFlagName(e.message));
    throw e;
  }
  const reginfo = reginfoOptions === undefined ? undefined : startReginfo(reginfoOptions, registrar, transport, logger, { auth: authenticator, guard });
  const handleRequest = reginfo === undefined ? undefined : reginfo.handleRequest.bind(reginfo);
  const saved = ownership === undefined ? saveOptions : { ...saveOptions, ownershipTag: ownership.shtag };
  // The metrics exist only behind the management interface (GET /metrics).
  const metrics = miSettings === undefined ? undefined : createSipregMetrics({ registrar, guard });
  createRegistrarServer({ ...proxyOptions, registrar, transport, saveOptions: saved, lookupOptions, logger, handleRequest, guard, proxyAuth, onRegisterAnswered: metrics?.onRegisterAnswered });
  const pinger = startPinger(values, registrar, transport, logger);
  const stopTlsReload = reloadTlsOnSighup(values, transport, logger);
  const stopIdentitiesReload = reloadIdentitiesOnSighup(reginfoOptions, reginfo, logger);
  const stopCredentialsReload = reloadCredentialsOnSighup(auth, logger);
  const opened = store;
  const closeAll = async (): Promise<void> => {
    stopTlsReload();
    stopIdentitiesReload();
    stopCredentialsReload();
    pinger?.close();
    await reginfo?.close();
    await transport.close();
    await registrar.close();
    await ownership?.close();
    await opened.close();
    await auth.close();
  };
  const mi = await startMi(miSettings, {
    groups: registrarStatisticsGroups(registrar),
    commands: [...locationCommands(registrar), ...pushCommands(registrar), ...(reginfo === undefined ? [] : reginfoCommands(reginfo))],
    health: storeHealth(() => opened.count(), MI_HEALTH_TIMEOUT_MS),
    metrics: metricsText(metrics),
    logger,
  }, closeAll);
  return {
    endpoints: transport.endpoints().map((e) => formatEndpoint(e)),
    store: describeStore(storeFlag, values),
    details: [...auth.lines, ...(mi === undefined ? [] : [mi.line])],
    async stop() {
      await mi?.close();
      await closeAll();
    },
  };
}
