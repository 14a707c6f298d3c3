import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/sdk-error';
import type { Logger } from '../ports/logger';
import { coreCommands } from '../management/core-commands';
import type { MiCommand, StatisticsGroup } from '../management/mi-command';
import { isLoopbackHost, parseMiListen } from '../management/mi-listen';
import { startMiServer, type MiServerOptions } from '../management/mi-server';
import type { SipregMetricsEndpoint } from '../metrics/create-sipreg-metrics';
import { CliRuntimeError } from './cli-runtime-error';
import { CliUsageError } from './cli-usage-error';
import { packageVersion } from './package-version';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';

/** The management interface flags of every server command. */
export const MI_FLAGS: readonly FlagSpec[] = [
  { name: 'mi-listen', kind: 'string', help: 'serve the management interface on http:IP:PORT: JSON-RPC 2.0 at /mi (sipreg mi, OpenSIPS MI command names), /metrics, /health; an address other than loopback needs --mi-token (off)' },
  { name: 'mi-token', kind: 'string', help: 'bearer token every /mi and /metrics request must carry (Authorization: Bearer TOKEN); shows in ps: prefer --mi-token-file (none)' },
  { name: 'mi-token-file', kind: 'string', help: 'file whose first line is the --mi-token (none)' },
];

/** `--mi-token TOKEN` or the first line of `--mi-token-file FILE`; undefined when neither is given. */
export function miTokenFrom(values: FlagValues): string | undefined {
  const token = flagValue<string>(values, 'mi-token');
  const file = flagValue<string>(values, 'mi-token-file');
  if (token !== undefined && file !== undefined) throw new CliUsageError('give --mi-token or --mi-token-file, not both');
  if (file === undefined) {
    if (token !== undefined && token.trim() === '') throw new CliUsageError('--mi-token is empty');
    return token;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliRuntimeError(`--mi-token-file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const line = text.split(/\r?\n/)[0].trim();
  if (line === '') throw new CliUsageError(`--mi-token-file ${file}: its first line is empty; write the token there`);
  return line;
}

/** How long `/health` waits for the store's `count()` before answering 503. */
export const MI_HEALTH_TIMEOUT_MS = 2_000;

/** The checked `--mi-*` flags: where to listen and the token. */
export interface MiSettings {
  readonly listen: string;
  readonly token?: string;
}

/**
 * The `--mi-*` flags checked before anything is bound: a malformed `--mi-listen`, one reachable
 * from other hosts without a token, a token without `--mi-listen` and `--workers` over 1 (each
 * worker would count its own statistics) are usage errors.
 */
export function miSettingsFrom(values: FlagValues): MiSettings | undefined {
  const listen = flagValue<string>(values, 'mi-listen');
  const token = miTokenFrom(values);
  if (listen === undefined) {
    if (token !== undefined) throw new CliUsageError('--mi-token and --mi-token-file need --mi-listen http:IP:PORT');
    return undefined;
  }
  let host: string;
  try {
    ({ host } = parseMiListen(listen));
  } catch (e) {
    throw new CliUsageError(`--mi-listen: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new CliUsageError(`--mi-listen ${listen} is reachable from other hosts: pass --mi-token TOKEN (or --mi-token-file FILE) so that every request must carry it, or listen on 127.0.0.1`);
  }
  const workers = flagValue<number>(values, 'workers') ?? 1;
  if (workers > 1) throw new CliUsageError(`--mi-listen with --workers ${workers}: each worker keeps its own statistics and registrants; run the management interface with --workers 1`);
  return { listen, token };
}

/** What a server command hands the management interface. */
export interface MiParts {
  readonly groups: readonly StatisticsGroup[];
  readonly commands: readonly MiCommand[];
  readonly health: MiServerOptions['health'];
  readonly metrics?: MiServerOptions['metrics'];
  readonly logger: Logger;
}

/** `GET /metrics` of `endpoint` (Prometheus text format); undefined without one. */
export function metricsText(endpoint: SipregMetricsEndpoint | undefined): MiServerOptions['metrics'] {
  return endpoint === undefined ? undefined : async () => ({ contentType: endpoint.contentType, body: await endpoint.metrics() });
}

/** The started management interface: its startup line (`mi on http://127.0.0.1:8888/mi`) and its close. */
export interface RunningMi {
  readonly line: string;
  close(): Promise<void>;
}

/**
 * Start the management interface of `settings` (nothing without `--mi-listen`) with the core
 * commands (`uptime`, `version`, `which`, `get_statistics`, `reset_statistics`) over
 * `parts.groups` and `parts.commands`. When it cannot start, `closeOnFailure` closes what the
 * command opened before the error is thrown: a port in use is a {@link CliRuntimeError} naming
 * `--mi-listen`.
 */
export async function startMi(settings: MiSettings | undefined, parts: MiParts, closeOnFailure: () => Promise<void>): Promise<RunningMi | undefined> {
  if (settings === undefined) return undefined;
  const commands = [...coreCommands({ groups: parts.groups, commands: parts.commands, version: packageVersion() }), ...parts.commands];
  try {
    const server = await startMiServer({ listen: settings.listen, token: settings.token, commands, logger: parts.logger, health: parts.health, metrics: parts.metrics });
    return { line: `mi on ${server.url}`, close: () => server.close() };
  } catch (e) {
    await closeOnFailure();
    if (e instanceof ConfigError) throw new CliUsageError(`--mi-listen: ${e.message}`);
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliRuntimeError(`--mi-listen ${settings.listen}: ${code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
