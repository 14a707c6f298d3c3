import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { freePort } from './free-port';
import type { ManagedProcess } from './spawn-managed';
import { kamailioModuleDirectory, startKamailio } from './start-kamailio';
import { createTestCertificates, type TestCertificates } from './test-certificates';

/** Whether Kamailio's `tls` module (Debian package kamailio-tls-modules) is installed, for `interopPrerequisites`. */
export const KAMAILIO_TLS_MODULE = {
  what: 'tls.so',
  present: existsSync(join(kamailioModuleDirectory(), 'tls.so')),
  apt: 'kamailio-tls-modules',
} as const;

/**
 * Write the config of Kamailio's `tls` module into the certificates' directory and return its
 * path: Kamailio serves `certificates.server` (TLS 1.2 or later) and asks no client certificate
 * (RFC 3261 §26.3.1: only the server authenticates itself); as a client it trusts `certificates.ca`.
 */
export async function writeKamailioTlsConfig(certificates: TestCertificates): Promise<string> {
  const path = join(certificates.dir, 'kamailio-tls.cfg');
  await writeFile(path, [
    '[server:default]',
    'method = TLSv1.2+',
    'verify_certificate = no',
    'require_certificate = no',
    `certificate = ${certificates.server.cert.path}`,
    `private_key = ${certificates.server.key.path}`,
    '',
    '[client:default]',
    'method = TLSv1.2+',
    'verify_certificate = yes',
    'require_certificate = yes',
    `ca_list = ${certificates.ca.path}`,
    '',
  ].join('\n'));
  return path;
}

/** A Kamailio {@link startTlsKamailio} started: its process, ports and certificates. */
export interface TlsKamailio {
  readonly process: ManagedProcess;
  /** The CA, server and client certificates Kamailio's TLS socket serves and trusts. */
  readonly certificates: TestCertificates;
  /** A second CA that signed none of Kamailio's certificates, for the untrusted case. */
  readonly otherCa: TestCertificates;
  readonly udpPort: number;
  readonly tlsPort: number;
  /** Stop Kamailio and remove both certificate sets. */
  stop(): Promise<void>;
}

/**
 * Start Kamailio on a fresh UDP and a fresh TLS port of 127.0.0.1 with `config(udpPort, tlsPort,
 * tlsConfigPath)` (its `tls.cfg` from {@link writeKamailioTlsConfig}), with freshly generated
 * certificates and a second, unrelated CA.
 */
export async function startTlsKamailio(kamailioPath: string, config: (udpPort: number, tlsPort: number, tlsConfigPath: string) => string): Promise<TlsKamailio> {
  const certificates = await createTestCertificates();
  const otherCa = await createTestCertificates({ caName: 'another test CA' });
  const udpPort = await freePort('udp');
  const tlsPort = await freePort('tcp');
  const tlsConfig = await writeKamailioTlsConfig(certificates);
  const process = await startKamailio({ kamailioPath, port: udpPort, config: config(udpPort, tlsPort, tlsConfig), killAfterMs: 120_000 });
  return {
    process, certificates, otherCa, udpPort, tlsPort,
    async stop(): Promise<void> {
      await process.stop();
      await certificates.remove();
      await otherCa.remove();
    },
  };
}
