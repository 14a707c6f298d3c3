import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { CliUsageError } from './cli-usage-error';
import type { RegistrarServerOptions } from '../server/registrar-server';
import { resolveUdpMtu } from '../server/forward-transport';
import { ConfigError } from '../errors/sdk-error';

/** The forking proxy's flags (OpenSIPS `tm` and `record_route()`), shared by the server commands. */
export const PROXY_FLAGS: readonly FlagSpec[] = [
  { name: 'fr-timeout', kind: 'int', help: "a branch with no response (an INVITE: no first response) counts as 408 after this many s; tm fr_timeout (5)" },
  { name: 'fr-inv-timeout', kind: 'int', help: 'a ringing INVITE branch is cancelled and counts as 408 after this many s; tm fr_inv_timeout (120)' },
  { name: 'record-route', kind: 'bool', help: 'add a Record-Route to dialog-creating requests, so in-dialog requests come through here, 0/1 (0)' },
  { name: 'udp-mtu', kind: 'int', help: 'a request forwarded to a UDP hop larger than this many bytes goes over TCP; 0: only one too large for UDP; core udp_mtu (1300)' },
];

function seconds(values: FlagValues, name: string): number | undefined {
  const s = flagValue<number>(values, name);
  if (s === undefined) return undefined;
  if (!Number.isInteger(s) || s < 1 || s > 86_400) throw new CliUsageError(`--${name} must be a whole number of seconds from 1 to 86400, got ${s}`);
  return s * 1000;
}

/** `--udp-mtu`, checked as {@link RegistrarServerOptions.udpMtu} is. */
function udpMtu(values: FlagValues): number | undefined {
  const bytes = flagValue<number>(values, 'udp-mtu');
  try {
    return bytes === undefined ? undefined : resolveUdpMtu('RegistrarServerOptions', bytes);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(`--udp-mtu: ${e.message}`);
    throw e;
  }
}

/** The proxy options of {@link createRegistrarServer} from {@link PROXY_FLAGS}; a bad value is a usage error. */
export function proxyOptionsFrom(values: FlagValues): Pick<RegistrarServerOptions, 'frTimeoutMs' | 'frInvTimeoutMs' | 'recordRoute' | 'udpMtu'> {
  return {
    frTimeoutMs: seconds(values, 'fr-timeout'),
    frInvTimeoutMs: seconds(values, 'fr-inv-timeout'),
    recordRoute: flagValue<boolean>(values, 'record-route') ?? false,
    udpMtu: udpMtu(values),
  };
}
