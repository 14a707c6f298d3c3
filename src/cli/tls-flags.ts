import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/sdk-error';
import type { Logger } from '../ports/logger';
import { errorCode } from '../transports/socket-error';
import { resolveTlsOptions, type TlsOptions } from '../transports/tls-options';
import type { NodeTransport } from '../transports/node-transport';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';

/** TLS flags of every server command (RFC 3261 §26.3.1): the node transport's `tls` option, read from files. */
export const TLS_FLAGS: readonly FlagSpec[] = [
  { name: 'tls-cert', kind: 'string', help: 'PEM certificate chain served on tls: and wss: sockets, offered as client certificate; re-read on SIGHUP (none)' },
  { name: 'tls-key', kind: 'string', help: 'PEM private key of --tls-cert; re-read on SIGHUP (none)' },
  { name: 'tls-ca', kind: 'string', help: 'PEM CA(s) signing client certificates, also trusted next to the system roots by outgoing TLS; re-read on SIGHUP (none)' },
  { name: 'tls-verify-client', kind: 'bool', help: 'require a client certificate signed by --tls-ca on tls: and wss: sockets, 0/1 (0)' },
];

/** The contents of the file a flag names: an unreadable one is a usage error naming flag, path and errno. */
function readFlagFile(values: FlagValues, flag: string): Buffer | undefined {
  const path = flagValue<string>(values, flag);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliUsageError(`--${flag} ${path}: cannot read: ${errorCode(e)}`);
  }
}

/**
 * The `tls` option of the node transport from `--tls-cert`, `--tls-key`, `--tls-ca` and
 * `--tls-verify-client`, read and loaded now so that a wrong flag stops the command before anything
 * opens; `undefined` without any of them. Every problem is a {@link CliUsageError}: a `tls:` or `wss:` socket
 * in `listen` without a certificate and key, one of the two alone, an unreadable file,
 * `--tls-verify-client` without `--tls-ca`, or a certificate or key that does not load.
 */
export function tlsOptionsFrom(values: FlagValues, listen: readonly string[]): TlsOptions | undefined {
  const cert = readFlagFile(values, 'tls-cert');
  const key = readFlagFile(values, 'tls-key');
  const ca = readFlagFile(values, 'tls-ca');
  const verifyClient = flagValue<boolean>(values, 'tls-verify-client') ?? false;
  const tlsListen = listen.find((spec) => /^(tls|wss):/i.test(spec));
  if (tlsListen !== undefined && (cert === undefined || key === undefined)) {
    throw new CliUsageError(`--listen ${tlsListen} needs --tls-cert and --tls-key (PEM files)`);
  }
  if ((cert === undefined) !== (key === undefined)) throw new CliUsageError('--tls-cert and --tls-key go together');
  if (verifyClient && ca === undefined) throw new CliUsageError('--tls-verify-client needs --tls-ca, the CA that signs the client certificates');
  if (cert === undefined && ca === undefined) return undefined;
  const tls: TlsOptions = { cert, key, ca, verifyClient };
  try {
    resolveTlsOptions(tls);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(`${cert === undefined ? '--tls-ca' : '--tls-cert/--tls-key'}: ${e.message}`);
    throw e;
  }
  return tls;
}

/** True when a `--tls-cert` or `--tls-ca` file is given: SIGHUP then reloads them. */
export function hasTlsFiles(values: FlagValues): boolean {
  return values.has('tls-cert') || values.has('tls-ca');
}

/**
 * On SIGHUP, read the `--tls-*` files again and hand them to {@link NodeTransport.reloadTls}: new
 * handshakes get the new certificate, open connections keep theirs. A file that cannot be read or
 * loaded is logged and the old certificate stays. Returns the function that stops listening for
 * SIGHUP; without TLS files nothing listens.
 */
export function reloadTlsOnSighup(values: FlagValues, transport: NodeTransport, logger: Logger): () => void {
  if (!hasTlsFiles(values)) return () => undefined;
  const reload = (): void => {
    try {
      transport.reloadTls(tlsOptionsFrom(values, []) as TlsOptions);
      logger.info({ cert: flagValue<string>(values, 'tls-cert'), ca: flagValue<string>(values, 'tls-ca') }, 'tls certificates reloaded');
    } catch (e) {
      logger.error({ error: e instanceof Error ? e.message : String(e) }, 'tls reload failed; the old certificates stay');
    }
  };
  process.on('SIGHUP', reload);
  return () => {
    process.off('SIGHUP', reload);
  };
}
