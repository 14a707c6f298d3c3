import { createMidRegistrar } from '../mid-registrar/mid-registrar';
import type { MidRegistrar } from '../mid-registrar/mid-registrar';
import { resolveMidOptions, type MidRegistrarMode, type MidRegistrarOptions } from '../mid-registrar/mid-registrar-options';
import { resolveRegistrarOptions, type RegistrarOptions } from '../registrar/registrar-options';
import type { LocationStore } from '../ports/location-store';
import { formatEndpoint, parseListenAddress } from '../transports/listen-address';
import type { Source } from '../ports/transport';
import { createRegistrarServer } from '../server/registrar-server';
import { ConfigError } from '../errors/sdk-error';
import { isIpAddress, scanHost } from '../sip/host';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue, formatFlags, parseArgs } from './parse-args';
import { EXTENSION_FLAGS, withFlagName, withOptionFlag } from './extension-flags';
import { checkOwnershipFlags, OWNERSHIP_FLAGS, ownershipFrom, type Ownership } from './sharing-tags-setup';
import { reloadTlsOnSighup } from './tls-flags';
import { PROXY_FLAGS, proxyOptionsFrom } from './proxy-flags';
import { PING_FLAGS, pingSettingsFrom, startPinger } from './ping-flags';
import { listenFrom, loggerFrom, REGISTRAR_MODULE_FLAGS, registrarOptionsFrom, saveAndLookupFrom, SERVER_FLAGS } from './command-setup';
import type { RunningRegistrar } from './registrar-command';
import { describeStore, openStore, parseStoreFlag } from './store-flag';
import { AUTH_FLAGS, GUARD_FLAGS, resolveAuthSettings, startAuth } from './auth-flags';
import { reloadCredentialsOnSighup } from './credentials-reload';
import { MI_FLAGS, MI_HEALTH_TIMEOUT_MS, metricsText, miSettingsFrom, startMi } from './mi-flags';
import { midRegistrarStatisticsGroups } from '../management/statistics-groups';
import { storeHealth } from '../management/store-health';
import { createSipregMetrics } from '../metrics/create-sipreg-metrics';
import { locationCommands } from '../management/location-commands';
import { pushCommands } from '../management/push-commands';
import { bracketHost } from '../sip/socket-address';

/** The mid_registrar module parameters of its own as flags (same value syntax as OpenSIPS). */
const MID_FLAGS: readonly FlagSpec[] = [
  { name: 'mode', kind: 'string', help: 'mirror | throttle-contact | throttle-aor, or 0 | 1 | 2 (mirror)' },
  { name: 'upstream', kind: 'string', help: 'the main registrar, udp:IP:PORT, tcp:IP:PORT or tls:IP:PORT (its certificate must name IP or --upstream-server-name; trust a private CA with --tls-ca) (required)' },
  { name: 'upstream-server-name', kind: 'string', help: 'with a tls: --upstream: the host name its certificate must carry, also sent as SNI (RFC 5922 §7.2) (the IP of --upstream)' },
  { name: 'upstream-uri', kind: 'string', help: 'Request-URI of our own de-REGISTERs (sip:IP:PORT of --upstream)' },
  { name: 'upstream-credentials', kind: 'string', help: 'USER:PASSWORD answering digest challenges to our de-REGISTERs (none)' },
  { name: 'advertise', kind: 'string', help: 'HOST:PORT written into forwarded Contacts (the first --listen)' },
  { name: 'contact-id-insertion', kind: 'string', help: 'ct-param | ct-username (ct-param)' },
  { name: 'contact-id-param', kind: 'string', help: 'Contact URI parameter of the contact id (ctid)' },
  { name: 'at-escape-str', kind: 'string', help: 'stands for @ in the AOR-throttling Contact user (%40)' },
  { name: 'outgoing-expires', kind: 'int', help: 'lifetime asked upstream when throttling, s (3600)' },
  { name: 'expires-max-deviation', kind: 'int', help: '± seconds on lifetimes: random on those forwarded upstream; per phone, steady, when throttling (0)' },
  { name: 'extra-contact-params', kind: 'string', help: "appended to forwarded Contact URIs, e.g. ';transport=tcp' (none)" },
];

const FLAGS: readonly FlagSpec[] = [
  ...SERVER_FLAGS, ...OWNERSHIP_FLAGS, ...MID_FLAGS, ...REGISTRAR_MODULE_FLAGS, ...EXTENSION_FLAGS, ...PROXY_FLAGS, ...PING_FLAGS, ...AUTH_FLAGS, ...GUARD_FLAGS, ...MI_FLAGS,
];

/** The `--help` text of `sipreg mid-registrar`. */
export const MID_REGISTRAR_USAGE = `Usage: sipreg mid-registrar --upstream udp:IP:PORT [flags]

Runs a registration front-end to a main registrar (OpenSIPS mid_registrar): REGISTERs are
forwarded with their Contacts pointing here, or absorbed when throttling; phones that vanish
are de-registered upstream; requests from the main registrar are forked statefully to the phones
found by lookup, every other request is proxied to the main registrar. Flags (defaults in parentheses):
${formatFlags(FLAGS)}
`;

const MODE_NUMBERS: Readonly<Record<string, MidRegistrarMode>> = { 0: 'mirror', 1: 'throttle-contact', 2: 'throttle-aor' };

function midOptionsFrom(values: FlagValues): Omit<MidRegistrarOptions, 'upstream'> & { upstream: MidRegistrarOptions['upstream'] } {
  const spec = flagValue<string>(values, 'upstream');
  if (spec === undefined) throw new CliUsageError('--upstream is required: the main registrar, e.g. --upstream udp:10.0.0.3:5060');
  let upstream;
  try {
    upstream = parseListenAddress(spec);
  } catch (e) {
    throw new CliUsageError(`--upstream: ${e instanceof Error ? e.message : String(e)}`);
  }
  const serverName = flagValue<string>(values, 'upstream-server-name');
  if (serverName !== undefined) {
    if (upstream.protocol !== 'tls') throw new CliUsageError(`--upstream-server-name names the certificate of a tls: --upstream, got --upstream ${spec}`);
    if (scanHost(serverName, 0) !== serverName.length || isIpAddress(serverName)) {
      throw new CliUsageError(`--upstream-server-name takes a host name such as registrar.example.com, got '${serverName}'`);
    }
    upstream = { ...upstream, serverName };
  }
  const modeText = flagValue<string>(values, 'mode') ?? 'mirror';
  const mode = (MODE_NUMBERS[modeText] ?? modeText) as MidRegistrarMode;
  const advertise = flagValue<string>(values, 'advertise');
  let advertised;
  if (advertise !== undefined) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(advertise);
    if (m === null) throw new CliUsageError(`--advertise takes HOST:PORT, got '${advertise}'`);
    advertised = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }
  const credentialsText = flagValue<string>(values, 'upstream-credentials');
  const colon = credentialsText?.indexOf(':') ?? -1;
  if (credentialsText !== undefined && colon <= 0) throw new CliUsageError('--upstream-credentials takes USER:PASSWORD');
  const credentials = credentialsText === undefined ? undefined : { username: credentialsText.slice(0, colon), password: credentialsText.slice(colon + 1) };
  return {
    mode,
    upstream,
    upstreamUri: flagValue<string>(values, 'upstream-uri'),
    advertised,
    credentials: credentials === undefined ? undefined : () => credentials,
    contactIdInsertion: flagValue<string>(values, 'contact-id-insertion') as MidRegistrarOptions['contactIdInsertion'],
    contactIdParam: flagValue<string>(values, 'contact-id-param'),
    atEscapeStr: flagValue<string>(values, 'at-escape-str'),
    outgoingExpires: flagValue<number>(values, 'outgoing-expires'),
    expiresMaxDeviation: flagValue<number>(values, 'expires-max-deviation'),
    extraContactParams: flagValue<string>(values, 'extra-contact-params'),
  };
}

/**
 * `sipreg mid-registrar`: check every flag, then bind the sockets, open the store and serve as a
 * mid-registrar in front of `--upstream`; with `--auth-db` it authenticates every REGISTER itself
 * before forwarding or absorbing it (RFC 3261 §22). Throws {@link CliUsageError} for bad flags and
 * {@link CliRuntimeError} for what the environment refuses (exit 1).
 */
export async function runMidRegistrarCommand(argv: readonly string[]): Promise<RunningRegistrar> {
  const values = parseArgs(argv, FLAGS);
  const logger = loggerFrom(values);
  const { saveOptions, lookupOptions } = saveAndLookupFrom(values);
  const fromMidFlags = midOptionsFrom(values);
  const storeFlag = parseStoreFlag(values, 'sqlite:./sipreg-mid-location.db');
  const optionError = (e: unknown): unknown => (e instanceof ConfigError
    ? new CliUsageError(withOptionFlag(e.message, 'MidRegistrarOptions', { advertised: 'advertise' }) ?? withFlagName(e.message))
    : e);
  let midOptions: typeof fromMidFlags & RegistrarOptions;
  try {
    midOptions = { ...registrarOptionsFrom(values), ...fromMidFlags, domains: (values.get('domain') ?? []) as string[] };
    resolveRegistrarOptions(resolveMidOptions(midOptions).registrar);
  } catch (e) {
    throw optionError(e);
  }
  checkOwnershipFlags(values, storeFlag.spec);
  const authSettings = resolveAuthSettings(values);
  const miSettings = miSettingsFrom(values);
  const proxyOptions = proxyOptionsFrom(values);
  pingSettingsFrom(values);
  // The main registrar's Record-Route brings in-dialog requests to its address: check its name there too.
  const named = fromMidFlags.upstream;
  const transport = await listenFrom(values, logger, named.serverName === undefined ? {} : { tlsServerNames: { [`${bracketHost(named.address)}:${named.port}`]: named.serverName } });
  // The credential store opens before the location store, as in `sipreg registrar`.
  const auth = await startAuth(authSettings, logger).catch(async (e: unknown) => {
    await transport.close();
    throw e;
  });
  let store: LocationStore | undefined;
  let ownership: Ownership | undefined;
  let mid: MidRegistrar;
  try {
    store = await openStore(storeFlag, values);
    ownership = await ownershipFrom(values, storeFlag.spec, logger);
    mid = createMidRegistrar({ ...midOptions, transport, store, logger, isTagActive: ownership?.isTagActive, localSockets: () => transport.endpoints(), auth: auth.authenticator, checkTo: authSettings.digest?.checkTo });
  } catch (e) {
    await ownership?.close();
    await store?.close();
    await auth.close();
    await transport.close();
    throw optionError(e);
  }
  const opened = store;
  const upstream = midOptions.upstream;
  // Requests from the main registrar's socket are routed to the phones; over TCP its source port
  // is ephemeral, so there the address (and protocol) must do.
  const fromUpstream = (source: Source): boolean => source.address === upstream.address && source.protocol === upstream.protocol
    && (source.protocol !== 'udp' || source.port === upstream.port);
  const metrics = miSettings === undefined ? undefined : createSipregMetrics({ midRegistrar: mid, guard: auth.guard });
  createRegistrarServer({
    ...proxyOptions,
    onRegisterAnswered: metrics?.onRegisterAnswered,
    registrar: mid.registrar,
    transport,
    saveOptions,
    lookupOptions,
    logger,
    register: (request, source) => mid.process(request, { ...saveOptions, ownershipTag: ownership?.shtag, source }),
    lookup: (request, options) => mid.lookup(request, options),
    outboundProxy: (request, source) => (fromUpstream(source) ? undefined : { uri: request.uri, destination: mid.options.upstreamUri, serverName: upstream.serverName }),
    guard: auth.guard,
  });
  const pinger = startPinger(values, mid.registrar, transport, logger);
  const stopTlsReload = reloadTlsOnSighup(values, transport, logger);
  const stopCredentialsReload = reloadCredentialsOnSighup(auth, logger);
  const closeAll = async (): Promise<void> => {
    stopTlsReload();
    stopCredentialsReload();
    pinger?.close();
    await mid.close();
    await transport.close();
    await ownership?.close();
    await opened.close();
    await auth.close();
  };
  const mi = await startMi(miSettings, {
    groups: midRegistrarStatisticsGroups(mid),
    commands: [...locationCommands(mid.registrar), ...pushCommands(mid.registrar)],
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
