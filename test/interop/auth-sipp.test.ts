/**
 * Interop: digest authentication (RFC 3261 §22.2, RFC 7616 §3.4) of the sipreg CLI registrar
 * against SIPp's own digest code (MD5, qop=auth) over UDP on loopback. The subscribers are an
 * OpenSIPS `subscriber` table in SQLite (`--auth-db sqlite:PATH --auth-realm example.com`) holding
 * HA1s only, written through `SqliteCredentialStore` (the first user of test 1 with `sipreg user add`).
 * Their passwords reach SIPp in an injection file (`-inf`), one user per call.
 *
 * 1. Right passwords: every call is REGISTER → 401 → REGISTER with credentials → 200; SIPp counts
 *    no failed call, and an authenticated query per user (REGISTER without Contact, §10.2.3)
 *    lists that user's own binding: 1,000 bindings.
 * 2. Wrong passwords (bans off, `--ban-after 0`): every answer to the challenge gets a second
 *    401 (§22.1), and the same authenticated query, with the right passwords, lists no binding
 *    for any of them.
 *
 * Each test starts its own registrar on its own database. In CI (env CI set) a missing sipp
 * fails the tests; locally they are skipped with a warning.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { runSipp, type SippRun } from '../helpers/run-sipp';
import { sippVerdict } from '../helpers/sipp-verdict';
import { addSubscriberWithCli, writeSubscribers, type Subscriber } from '../helpers/write-subscribers';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';
import { writeSippInjectionFile } from '../helpers/write-sipp-injection-file';

const SIPP = interopPrerequisites('the SIPp digest authentication interop tests', { sipp: 'sip-tester' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const REALM = 'example.com';
const USERS = 1000;
const RATE = 500;
const TEST_TIMEOUT_MS = 60_000;

/** `user1` … `user1000` of example.com, each with its own password. */
const subscribers: readonly Subscriber[] = Array.from({ length: USERS }, (_, i) => ({
  username: `user${i + 1}`,
  realm: REALM,
  password: `pw-${i + 1}-${Math.random().toString(36).slice(2, 10)}`,
}));

/** Runs SIPp's `scenario` with one call per subscriber, call N as subscriber N with `passwords[N]`. */
type SippRunner = (scenario: string, passwords: readonly string[], keys?: Record<string, string>) => Promise<SippRun>;

SIPP.describe('sipreg registrar with an SQLite subscriber table against SIPp digest authentication', () => {
  /**
   * Write the subscribers (the first `viaCli` of them with `sipreg user add`), start `sipreg
   * registrar --auth-db sqlite:PATH --auth-realm example.com` with `extraArgs`, give `body` the SIPp
   * runner, and stop and clean up whatever happens.
   */
  const withRegistrar = async (viaCli: number, extraArgs: readonly string[], body: (sipp: SippRunner) => Promise<void>): Promise<void> => {
    const directory = mkdtempSync(join(tmpdir(), 'sipreg-auth-sipp-'));
    const database = join(directory, 'auth.db');
    try {
      for (const subscriber of subscribers.slice(0, viaCli)) {
        const added = await addSubscriberWithCli(database, subscriber);
        if (added.code !== 0) throw new Error(`sipreg user add ${subscriber.username}@${REALM} exited ${added.code}: ${added.stderr}`);
      }
      writeSubscribers(database, subscribers.slice(viaCli));
      const [serverPort, sippPort] = [await freePort('udp'), await freePort('udp')];
      const server = await startSipreg({ port: serverPort, extraArgs: ['--auth-db', `sqlite:${database}`, '--auth-realm', REALM, ...extraArgs] });
      let run = 0;
      try {
        await body((scenario, passwords, keys) => {
          run += 1;
          const injection = join(directory, `users-${run}.csv`);
          writeSippInjectionFile(injection, subscribers.map((s, i) => [s.username, passwords[i]]));
          return runSipp({
            sippPath: SIPP.path('sipp'),
            scenario: join(SCENARIOS, scenario),
            remotePort: serverPort,
            localPort: sippPort,
            calls: USERS,
            rate: RATE,
            timeoutSec: 30,
            keys,
            extraArgs: ['-inf', injection, '-auth_uri', REALM],
          });
        });
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };

  it(`registers ${USERS} users through 401 → REGISTER with credentials → 200, and holds a binding for each`, async () => {
    await withRegistrar(1, [], async (sipp) => {
      const passwords = subscribers.map((s) => s.password);
      const registered = await sipp('auth-register.xml', passwords);
      expect(sippVerdict(registered)).toEqual({ exitCode: 0, successfulCalls: USERS, failedCalls: 0, unexpected: '' });
      expect(registered.stats.totalCalls).toBe(USERS);

      const listed = await sipp('auth-query.xml', passwords, { expect: 'listed' });
      expect(sippVerdict(listed)).toEqual({ exitCode: 0, successfulCalls: USERS, failedCalls: 0, unexpected: '' });
    });
  }, TEST_TIMEOUT_MS);

  it(`answers ${USERS} wrong passwords with a second 401 and stores no binding`, async () => {
    await withRegistrar(0, ['--ban-after', '0'], async (sipp) => {
      const refused = await sipp('auth-register-rejected.xml', subscribers.map((s) => `not-${s.password}`));
      expect(sippVerdict(refused)).toEqual({ exitCode: 0, successfulCalls: USERS, failedCalls: 0, unexpected: '' });

      const passwords = subscribers.map((s) => s.password);
      const none = await sipp('auth-query.xml', passwords, { expect: 'none' });
      expect(sippVerdict(none)).toEqual({ exitCode: 0, successfulCalls: USERS, failedCalls: 0, unexpected: '' });
      // The query's check has teeth: expecting each user's own binding fails every call here.
      const listed = await sipp('auth-query.xml', passwords, { expect: 'listed' });
      expect([listed.exit.code, listed.stats.successfulCalls, listed.stats.failedCalls]).toEqual([1, 0, USERS]);
    });
  }, TEST_TIMEOUT_MS);
});
