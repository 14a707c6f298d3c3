import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { kamailioModuleDirectory } from './start-kamailio';
import type { TestCertificates } from './test-certificates';

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
