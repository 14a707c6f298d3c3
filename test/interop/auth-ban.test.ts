/**
 * Interop: password guessing against one account of the sipreg CLI registrar (`--auth-db
 * sqlite:PATH --auth-realm example.com --ban-after 5 --ban-time 60`), cut off by the ban on failed
 * authentications (RFC 7616 §5.3 limits on guessing; fail2ban's `maxretry`, OpenSIPS pike +
 * userblacklist). SIPp, on 127.0.0.1, sends 20 guesses one after the other, each a REGISTER
 * challenged with 401 and repeated with a wrong password (auth-register-rejected.xml):
 *
 * - exactly 5 guesses are answered (their second 401, §22.1); the ban then drops everything from
 *   127.0.0.1, so the 15 later guesses get no answer at all and end at SIPp's receive timeout;
 * - the registrar logs the ban once on stderr;
 * - the right password from another source, 127.0.0.2 (Linux answers all of 127.0.0.0/8 on `lo`),
 *   still registers, and its binding is listed there; a query from 127.0.0.1 still gets nothing.
 *
 * In CI (env CI set) a missing sipp fails the test; locally it is skipped with a warning.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { suiteResources } from '../helpers/suite-resources';
import { registerWithDigest } from '../helpers/register-with-digest';
import { runSipp } from '../helpers/run-sipp';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { writeSippInjectionFile } from '../helpers/write-sipp-injection-file';
import { writeSubscribers } from '../helpers/write-subscribers';

const SIPP = interopPrerequisites('the password guessing interop test', { sipp: 'sip-tester' });
const SCENARIO = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios', 'auth-register-rejected.xml');
const REALM = 'example.com';
const USER = 'victim';
const AOR = `sip:${USER}@${REALM}`;
const PASSWORD = 'correct-horse-battery-staple';
const GUESSES = 20;
const BAN_AFTER = 5;
/**
 * How long SIPp waits for each answer (`-recv_timeout`): the registrar answers on loopback within
 * milliseconds; every guess after the ban waits this long for nothing.
 */
const RECV_TIMEOUT_MS = 800;

SIPP.describe('password guessing against the sipreg CLI registrar, cut off by --ban-after', () => {
  const resources = suiteResources();

  it(`answers ${BAN_AFTER} wrong guesses, drops the source's later requests, and still registers the right password from another address`, async () => {
    const directory = resources.tempDir('sipreg-auth-ban-');
    const database = join(directory, 'auth.db');
    writeSubscribers(database, [{ username: USER, realm: REALM, password: PASSWORD }]);
    const injection = join(directory, 'guesses.csv');
    writeSippInjectionFile(injection, Array.from({ length: GUESSES }, (_, i) => [USER, `guess-${i + 1}`]));
    const [serverPort, sippPort] = [await freePort('udp'), await freePort('udp')];
    const server = resources.process(await startSipreg({
      port: serverPort,
      extraArgs: ['--auth-db', `sqlite:${database}`, '--auth-realm', REALM, '--ban-after', String(BAN_AFTER), '--ban-time', '60'],
    }));
    const context = (): string => `--- registrar output:\n${server.output()}`;

    // One guess at a time (-l 1), so that none is in flight when the ban starts; an abandoned
    // guess sends no BYE (-default_behaviors all,-bye).
    const run = await runSipp({
      sippPath: SIPP.path('sipp'),
      scenario: SCENARIO,
      remotePort: serverPort,
      localPort: sippPort,
      calls: GUESSES,
      rate: 50,
      timeoutSec: 30,
      extraArgs: ['-inf', injection, '-auth_uri', REALM, '-l', '1', '-recv_timeout', String(RECV_TIMEOUT_MS), '-default_behaviors', 'all,-bye'],
    });
    expect({
      successfulCalls: run.stats.successfulCalls,
      failedCalls: run.stats.failedCalls,
      timedOut: Number(run.stats.columns['FailedTimeoutOnRecv(C)']),
    }).toEqual({ successfulCalls: BAN_AFTER, failedCalls: GUESSES - BAN_AFTER, timedOut: GUESSES - BAN_AFTER });

    const banLines = server.output().split('\n').filter((line) => line.includes('sipreg: banned '));
    expect(banLines).toHaveLength(1);
    expect(banLines[0]).toContain(`sipreg: banned 127.0.0.1 for 60 s after ${BAN_AFTER} failed authentications`);

    const elsewhere = resources.peer(await UdpSipPeer.open({ address: '127.0.0.2', user: USER, context }));
    const registered = await registerWithDigest(elsewhere, serverPort, { aor: AOR, username: USER, password: PASSWORD });
    expect([registered.challenge?.status, registered.final.status]).toEqual([401, 200]);
    const listed = await registerWithDigest(elsewhere, serverPort, { aor: AOR, username: USER, password: PASSWORD, contacts: [] });
    expect(listed.final.status).toBe(200);
    expect(listed.final.contacts === '*' ? [] : listed.final.contacts.map((c) => c.uri)).toEqual([elsewhere.uri]);

    const banned = resources.peer(await UdpSipPeer.open({ user: USER }));
    await expect(registerWithDigest(banned, serverPort, { aor: AOR, username: USER, password: PASSWORD, contacts: [], timeoutMs: 1_500 }))
      .rejects.toThrow(`no final response to REGISTER sip:${REALM}`);
  }, 45_000);
});
