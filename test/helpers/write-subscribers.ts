import { computeHa1s } from '../../src/auth/compute-ha1s';
import { SqliteCredentialStore } from '../../src/stores/sqlite-credential-store';
import { runToExit, type Exited } from './run-to-exit';
import { REPOSITORY_ROOT } from './start-sipreg';

/** A subscriber of a test: the digest username, realm and password (RFC 3261 §22.4). */
export interface Subscriber {
  readonly username: string;
  readonly realm: string;
  readonly password: string;
}

/**
 * Write `subscribers` into the OpenSIPS `subscriber` table of the SQLite file `path` (created
 * when missing) through {@link SqliteCredentialStore.put}: their HA1s for every algorithm
 * (RFC 7616 §3.4.2), never the password, as `sipreg user add` and `opensips-cli -x user add` do.
 */
export function writeSubscribers(path: string, subscribers: readonly Subscriber[]): void {
  const store = new SqliteCredentialStore({ path, create: true });
  try {
    for (const { username, realm, password } of subscribers) store.put({ username, realm, ha1: computeHa1s(username, realm, password) });
  } finally {
    store.close();
  }
}

/** Add one subscriber to the SQLite file `path` with the CLI, `sipreg user add --auth-db sqlite:PATH USER@DOMAIN PASSWORD`. */
export function addSubscriberWithCli(path: string, { username, realm, password }: Subscriber): Promise<Exited> {
  return runToExit(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'user', 'add', '--auth-db', `sqlite:${path}`, `${username}@${realm}`, password], REPOSITORY_ROOT);
}
