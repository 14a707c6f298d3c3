import { connect, createSecureContext, rootCertificates, type ConnectionOptions, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { ConfigError } from '../errors/sdk-error';
import type { Endpoint } from '../ports/transport';

/**
 * TLS settings of the node transport (RFC 3261 §26.3.1): the certificate `tls:` listeners serve,
 * also offered as client certificate when a peer asks for one on an outgoing connection, and the
 * CA trusted besides Node's roots.
 */
export interface TlsOptions {
  /** PEM certificate chain, leaf first; with `key`. Required by `tls:` listeners, optional for outgoing TLS only. */
  readonly cert?: string | Buffer;
  /** PEM private key of `cert`. */
  readonly key?: string | Buffer;
  /**
   * PEM CA certificate(s), concatenated: client certificates are verified against them
   * (`verifyClient`), and outgoing TLS trusts them next to Node's default roots (a private CA).
   */
  readonly ca?: string | Buffer;
  /**
   * Require a client certificate signed by `ca` in every handshake on a `tls:` listener; a client
   * without one is refused during the handshake. Needs `ca`.
   * @defaultValue false
   */
  readonly verifyClient?: boolean;
}

/** {@link TlsOptions} checked: the context a listener serves and what outgoing connections trust. */
export interface ResolvedTls {
  /** Certificate, key, CA and the minimum version, as `tls.createSecureContext` and `setSecureContext` take them. */
  readonly context: SecureContextOptions;
  /** A certificate and key are given: the settings can serve a `tls:` listener. */
  readonly serves: boolean;
  readonly verifyClient: boolean;
  /** CAs trusted by outgoing connections: Node's roots, plus `ca`. */
  readonly trusted: readonly (string | Buffer)[];
}

/** TLS 1.0 and 1.1 are deprecated (RFC 8996); Node's default, made explicit. */
const MIN_VERSION = 'TLSv1.2';

/**
 * Check `tls` and load it once, so a certificate or key that does not parse, or a key that does not
 * match the certificate, is a {@link ConfigError} at start (or at reload) rather than a failed
 * handshake later. The error names the cause, never the key.
 *
 * @throws {@link ConfigError} for a `cert` without `key` or the reverse, `verifyClient` without `ca`,
 *   or material that does not load.
 */
export function resolveTlsOptions(tls: TlsOptions): ResolvedTls {
  const verifyClient = tls.verifyClient ?? false;
  const serves = tls.cert !== undefined;
  if (serves !== (tls.key !== undefined)) throw new ConfigError('tls.cert and tls.key go together: pass both or neither');
  if (verifyClient && tls.ca === undefined) {
    throw new ConfigError('tls.verifyClient needs tls.ca, the CA that signs the client certificates');
  }
  const context: SecureContextOptions = {
    ...(serves ? { cert: tls.cert, key: tls.key } : {}),
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    minVersion: MIN_VERSION,
  };
  try {
    createSecureContext(context);
  } catch (error) {
    throw new ConfigError(`tls: the certificate, key or CA does not load: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return Object.freeze({
    context,
    serves,
    verifyClient,
    trusted: Object.freeze(tls.ca === undefined ? [...rootCertificates] : [...rootCertificates, tls.ca]),
  });
}

/**
 * Open a TLS connection to `destination` verifying the server's certificate (RFC 5922 §7.2): against
 * `destination.serverName`, also sent as SNI, when given, else against the IP literal. Trusts Node's
 * default roots plus `tls.ca`, and offers `tls.cert` when the server asks for a client certificate.
 */
export function dialTls(destination: Endpoint, tls: ResolvedTls | undefined): TLSSocket {
  const options: ConnectionOptions = {
    host: destination.address,
    port: destination.port,
    minVersion: MIN_VERSION,
    ...(destination.serverName === undefined ? {} : { servername: destination.serverName }),
    ...(tls === undefined ? {} : { ca: [...tls.trusted] }),
    ...(tls?.serves === true ? { cert: tls.context.cert, key: tls.context.key } : {}),
  };
  return connect(options);
}
