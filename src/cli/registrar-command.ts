import { createRegistrar } from '../registrar/registrar';
import { formatEndpoint } from '../transports/listen-address';
import { createRegistrarServer } from '../server/registrar-server';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec } from './parse-args';
import { flagValue, formatFlags, parseArgs } from './parse-args';
import { EXTENSION_FLAGS, withFlagName } from './extension-flags';
import { REGINFO_FLAGS, reginfoFrom } from './reginfo-flags';
import { OWNERSHIP_FLAGS, ownershipFrom, type Ownership } from './sharing-tags-setup';
import { listenFrom, loggerFrom, openStore, REGISTRAR_MODULE_FLAGS, registrarOptionsFrom, saveAndLookupFrom, SERVER_FLAGS } from './command-setup';

const FLAGS: readonly FlagSpec[] = [
  ...SERVER_FLAGS,
  ...OWNERSHIP_FLAGS,
  ...REGISTRAR_MODULE_FLAGS,
  ...EXTENSION_FLAGS,
  ...REGINFO_FLAGS,
];

/** The `--help` text of `sipreg registrar`. */
export const REGISTRAR_USAGE = `Usage: sipreg registrar [flags]

Runs a SIP registrar: answers REGISTER (RFC 3261 §10) and proxies other requests statelessly
to the highest-q registered contact. Flags (defaults in parentheses):
${formatFlags(FLAGS)}
`;

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
  const logger = loggerFrom(values);
  const { saveOptions, lookupOptions } = saveAndLookupFrom(values);
  const storeSpec = flagValue<string>(values, 'store') ?? 'sqlite:./sipreg-location.db';
  const store = await openStore(storeSpec, values);
  let ownership: Ownership | undefined;
  let registrar;
  try {
    ownership = await ownershipFrom(values, storeSpec, logger);
    registrar = createRegistrar({ ...registrarOptionsFrom(values), store, logger, domains: (values.get('domain') ?? []) as string[], isTagActive: ownership?.isTagActive });
  } catch (e) {
    await ownership?.close();
    await store.close();
    if (e instanceof ConfigError) throw new CliUsageError(withFlagName(e.message));
    throw e;
  }
  const release = async (): Promise<void> => {
    await registrar.close();
    await ownership?.close();
    await store.close();
  };
  const transport = await listenFrom(values, logger, release);
  let reginfo;
  try {
    reginfo = reginfoFrom(values, registrar, transport, logger);
  } catch (e) {
    await transport.close();
    await release();
    throw e;
  }
  const handleRequest = reginfo === undefined ? undefined : reginfo.handleRequest.bind(reginfo);
  const saved = ownership === undefined ? saveOptions : { ...saveOptions, ownershipTag: ownership.shtag };
  createRegistrarServer({ registrar, transport, saveOptions: saved, lookupOptions, logger, handleRequest });
  return {
    endpoints: transport.endpoints().map((e) => formatEndpoint(e)),
    async stop() {
      await reginfo?.close();
      await transport.close();
      await release();
    },
  };
}
