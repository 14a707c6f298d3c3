import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './find-binary';

const run = promisify(execFile);

/** One PEM file written by {@link createTestCertificates}: where it is and what it holds. */
export interface PemFile {
  readonly path: string;
  readonly pem: string;
}

/** A certificate and its private key. */
export interface CertificateAndKey {
  readonly cert: PemFile;
  readonly key: PemFile;
}

/** What {@link createTestCertificates} generated, all in one fresh temporary directory. */
export interface TestCertificates {
  /** The temporary directory holding every file. */
  readonly dir: string;
  /** The self-signed CA that signed the server and client certificates. */
  readonly ca: PemFile;
  /** Server certificate (SAN: IP 127.0.0.1, DNS localhost and the extra names). */
  readonly server: CertificateAndKey;
  /** Client certificate (extended key usage clientAuth) for mutual TLS. */
  readonly client: CertificateAndKey;
  /** Delete the directory. */
  remove(): Promise<void>;
}

/** Options of {@link createTestCertificates}. */
export interface TestCertificateOptions {
  /** Names added to the server certificate's subjectAltName: IP literals as `IP:`, others as `DNS:`. */
  readonly extraNames?: readonly string[];
  /** Common name of the CA, to tell two generated sets apart. */
  readonly caName?: string;
}

/**
 * Generate, with the `openssl` CLI, a CA, a server certificate it signed and a client
 * certificate it signed, into a fresh temporary directory, so TLS and WSS tests
 * (RFC 5246, RFC 5922 §7: the server identity is checked against subjectAltName) need no
 * key or certificate checked in.
 *
 * @throws Error when the `openssl` executable is not installed: the tests fail, not skip.
 */
export async function createTestCertificates(options: TestCertificateOptions = {}): Promise<TestCertificates> {
  const openssl = findBinary('openssl');
  if (openssl === undefined) {
    throw new Error('The openssl CLI is not installed (apt-get install openssl): TLS tests generate their certificates with it');
  }
  const dir = await mkdtemp(join(tmpdir(), 'sipreg-certs-'));
  const file = (name: string): string => join(dir, name);
  const openSsl = (...args: string[]): Promise<unknown> => run(openssl, args);
  const newKey = (name: string): Promise<unknown> =>
    openSsl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));

  const altNames = ['127.0.0.1', 'localhost', ...(options.extraNames ?? [])]
    .map((name) => (isIP(name) === 0 ? `DNS:${name}` : `IP:${name}`))
    .join(',');
  await writeFile(
    file('extensions.cnf'),
    [
      '[ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[server]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth, clientAuth',
      `subjectAltName = ${altNames}`,
      '[client]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );

  await Promise.all([newKey('ca.key'), newKey('server.key'), newKey('client.key')]);
  await openSsl(
    'req', '-x509', '-new', '-key', file('ca.key'), '-subj', `/CN=${options.caName ?? 'sipreg test CA'}`,
    '-days', '2', '-sha256', '-out', file('ca.pem'), '-extensions', 'ca', '-config', file('extensions.cnf'),
  );
  const sign = async (name: string, subject: string): Promise<void> => {
    await openSsl('req', '-new', '-key', file(`${name}.key`), '-subj', subject, '-out', file(`${name}.csr`));
    await openSsl(
      'x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', '2', '-sha256', '-extfile', file('extensions.cnf'), '-extensions', name, '-out', file(`${name}.pem`),
    );
  };
  // Sequential: both signings update the CA's serial file.
  await sign('server', '/CN=localhost');
  await sign('client', '/CN=sipreg test client');

  const pem = async (name: string): Promise<PemFile> => ({ path: file(name), pem: await readFile(file(name), 'utf8') });
  return {
    dir,
    ca: await pem('ca.pem'),
    server: { cert: await pem('server.pem'), key: await pem('server.key') },
    client: { cert: await pem('client.pem'), key: await pem('client.key') },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * One certificate set per `options` entry, generated in a jest `beforeAll` and removed in
 * `afterAll`; the returned array holds them, in order, once `beforeAll` has run.
 */
export function useTestCertificates(...options: TestCertificateOptions[]): readonly TestCertificates[] {
  const sets: TestCertificates[] = [];
  beforeAll(async () => {
    sets.push(...(await Promise.all(options.map((each) => createTestCertificates(each)))));
  });
  afterAll(async () => {
    await Promise.all(sets.splice(0).map((set) => set.remove()));
  });
  return sets;
}
