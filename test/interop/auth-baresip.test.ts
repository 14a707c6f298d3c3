/**
 * Interop: a real phone, baresip, registering with digest credentials (its account's
 * `auth_pass`, RFC 3261 §22.2; libre's digest, MD5 with qop=auth) at the sipreg CLI registrar
 * with an SQLite subscriber table (`--auth-db sqlite:PATH`; the realm is the To domain,
 * 127.0.0.1, as OpenSIPS `www_authorize("", ...)` takes it). baresip registers over TCP as in
 * baresip-outbound.test.ts; the test reads the location with an authenticated query (REGISTER
 * without Contact, §10.2.3) over UDP.
 *
 * 1. The right `auth_pass`: baresip answers the 401 and gets 200; its AOR has exactly its binding.
 * 2. A wrong `auth_pass`: baresip's answer to the challenge gets a second 401 (§22.1). libre
 *    answers each fresh challenge again, so with the bans `--auth-db` brings by default (10 failed
 *    authentications) the registrar bans baresip's address and drops the rest; its AOR has no
 *    binding.
 *
 * The test queries from 127.0.0.2, another source than baresip's. Each test starts its own
 * registrar and phone. In CI (env CI set) a missing baresip fails the
 * tests; locally they are skipped with a warning.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isResponseTo, tracedMessages } from '../helpers/baresip-trace';
import { eventually } from '../helpers/eventually';
import { freeBaresipPorts, freeUdpTcpPort } from '../helpers/free-udp-tcp-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { registerWithDigest } from '../helpers/register-with-digest';
import { startBaresip, type BaresipProcess } from '../helpers/start-baresip';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { writeSubscribers } from '../helpers/write-subscribers';

const BARESIP = interopPrerequisites('the baresip digest authentication interop tests', { baresip: 'baresip' });
const REALM = '127.0.0.1';
const USER = 'alice';
const AOR = `sip:${USER}@${REALM}`;
const PASSWORD = 'alice-digest-secret';
const WITHIN_MS = 10_000;
/** `--ban-after` when `--auth-db` is given without it. */
const DEFAULT_BAN_AFTER = 10;

BARESIP.describe('baresip registering with its auth_pass at the sipreg CLI registrar with an SQLite subscriber table', () => {
  /** What one test started, stopped and removed after it. */
  interface Setup {
    readonly server: ManagedProcess;
    readonly phone: BaresipProcess;
    readonly registrarPort: number;
    readonly phonePort: number;
    readonly query: UdpSipPeer;
    /** Both peers' output, for failure messages. */
    readonly context: () => string;
  }
  let setup: Setup | undefined;
  let directory = '';

  /** The registrar (UDP and TCP on one port) on a subscriber table holding alice, and baresip with `authPass`. */
  const start = async (authPass: string): Promise<Setup> => {
    directory = mkdtempSync(join(tmpdir(), 'sipreg-auth-baresip-'));
    const database = join(directory, 'auth.db');
    writeSubscribers(database, [{ username: USER, realm: REALM, password: PASSWORD }]);
    const registrarPort = await freeUdpTcpPort();
    const phonePort = await freeBaresipPorts();
    const server = await startSipreg({ port: registrarPort, extraArgs: ['--listen', `tcp:127.0.0.1:${registrarPort}`, '--auth-db', `sqlite:${database}`] });
    await server.waitForLine(`sipreg registrar listening on tcp:127.0.0.1:${registrarPort}`, 5_000);
    const phone = startBaresip({ baresipPath: BARESIP.path('baresip'), sipPort: phonePort, registrarPort, user: USER, instanceUuid: randomUUID(), authPass });
    const context = (): string => `--- baresip output:\n${phone.process.output()}\n--- sipreg output:\n${server.output()}`;
    // Another source than baresip's 127.0.0.1, which the wrong password gets banned.
    const query = await UdpSipPeer.open({ address: '127.0.0.2', context });
    setup = { server, phone, registrarPort, phonePort, query, context };
    return setup;
  };

  /** The contacts the registrar lists for alice, asked with alice's credentials. */
  const bindings = async ({ query, registrarPort }: Setup): Promise<string[]> => {
    const { final } = await registerWithDigest(query, registrarPort, { aor: AOR, username: USER, password: PASSWORD, contacts: [] });
    if (final.status !== 200 || final.contacts === '*') throw new Error(`the query of ${AOR} was answered ${final.status} ${final.reason}`);
    return final.contacts.map((c) => c.uri);
  };

  /** baresip's REGISTERs and the responses to them, in trace order. */
  const registerTrace = ({ phone }: Setup): string[] => tracedMessages(phone.process.output()).filter((m) => /\nCSeq: \d+ REGISTER\n/.test(m));

  afterEach(async () => {
    await setup?.query.close();
    await setup?.phone.stop(1_000); // a banned baresip waits in vain for the answer to its unREGISTER
    await setup?.server.stop();
    setup = undefined;
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
    directory = '';
  });

  it('registers with the right auth_pass after a 401: the registrar lists exactly its binding', async () => {
    const running = await start(PASSWORD);
    const listed = await eventually(async () => {
      const contacts = await bindings(running);
      return contacts.length > 0 ? contacts : undefined;
    }, `a binding of ${AOR}`, WITHIN_MS, running.context);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(new RegExp(`^sip:${USER}-[^@]+@127\\.0\\.0\\.1:${running.phonePort};transport=tcp$`));

    // baresip's trace: challenged first, then accepted with credentials.
    const trace = await eventually(() => {
      const messages = registerTrace(running);
      return messages.some((m) => isResponseTo(m, 200, 'REGISTER')) ? messages : undefined;
    }, "the 200 OK to baresip's REGISTER in its trace", WITHIN_MS, running.context);
    const [first, challenge, answer, ok] = trace;
    expect(first).not.toMatch(/\nAuthorization:/);
    expect(isResponseTo(challenge, 401, 'REGISTER')).toBe(true);
    expect(challenge).toMatch(/\nWWW-Authenticate: Digest realm="127\.0\.0\.1"/);
    expect(answer).toMatch(new RegExp(`\\nAuthorization: Digest username="${USER}", realm="127\\.0\\.0\\.1", .*, qop=auth, nc=00000001\\n`));
    expect(isResponseTo(ok, 200, 'REGISTER')).toBe(true);
  });

  it(`refuses a wrong auth_pass with 401s until the default ban (${DEFAULT_BAN_AFTER} failures) drops baresip, and lists no binding`, async () => {
    const running = await start('not-the-password');
    // libre answers every fresh challenge again (16 REGISTERs before it gives up): each answer is a
    // failed authentication, and the 10th bans baresip's address for the default 300 s.
    const banLine = `sipreg: banned 127.0.0.1 for 300 s after ${DEFAULT_BAN_AFTER} failed authentications`;
    await eventually(() => (running.server.output().includes(banLine) ? true : undefined), "the ban of baresip's address", WITHIN_MS, running.context);
    const unauthorized = (): number => registerTrace(running).filter((m) => isResponseTo(m, 401, 'REGISTER')).length;
    // The first challenge, then one 401 per refused answer; baresip's pipe may lag the registrar's log.
    await eventually(() => (unauthorized() >= 1 + DEFAULT_BAN_AFTER ? true : undefined), `${1 + DEFAULT_BAN_AFTER} 401s in baresip's trace`, WITHIN_MS, running.context);
    const trace = registerTrace(running);
    expect(trace.filter((m) => /\nAuthorization: Digest username="alice"/.test(m)).length).toBeGreaterThan(DEFAULT_BAN_AFTER);
    expect(unauthorized()).toBe(1 + DEFAULT_BAN_AFTER);
    expect(trace.some((m) => isResponseTo(m, 200, 'REGISTER'))).toBe(false);
    expect(running.server.output().split('\n').filter((line) => line.includes('sipreg: banned '))).toHaveLength(1);
    expect(await bindings(running)).toEqual([]);
  });
});
