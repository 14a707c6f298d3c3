/**
 * Interop: the sipreg CLI registrar (`--store memory`) driven by a real SIP peer, SIPp,
 * over UDP on loopback. RFC 3261 §10.3 (REGISTER processing), §10.2.3 (query: a REGISTER
 * without Contact lists the current bindings) and §16.11 (stateless relay to the
 * registered contact). SIPp's own statistics decide: every call must succeed.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { runSipp, type SippRun } from '../helpers/run-sipp';
import { sippVerdict } from '../helpers/sipp-verdict';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';

const SIPP = interopPrerequisites('the SIPp interop tests', { sipp: 'sip-tester' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const USERS = 1000;
const RELAYED_MESSAGES = 100;
const SIPP_TEST_TIMEOUT_MS = 90_000;

SIPP.describe('sipreg CLI registrar against SIPp over UDP', () => {
  let server: ManagedProcess | undefined;
  let serverPort = 0;
  let sippPort = 0;

  const sipp = (scenario: string, calls: number, rate: number): Promise<SippRun> =>
    runSipp({
      sippPath: SIPP.path('sipp'),
      scenario: join(SCENARIOS, scenario),
      remotePort: serverPort,
      localPort: sippPort,
      calls,
      rate,
      timeoutSec: 60,
    });

  beforeAll(async () => {
    serverPort = await freePort('udp');
    sippPort = await freePort('udp');
    server = await startSipreg({ port: serverPort, readyTimeoutMs: 20_000 });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it(`answers 200 OK to REGISTERs of ${USERS} distinct users`, async () => {
    const run = await sipp('register-1000.xml', USERS, 500);
    expect(sippVerdict(run)).toEqual({ exitCode: 0, successfulCalls: USERS, failedCalls: 0, unexpected: '' });
    expect(run.stats.totalCalls).toBe(USERS);
  }, SIPP_TEST_TIMEOUT_MS);

  it('lists each user its own binding in the 200 OK to a query (REGISTER without Contact)', async () => {
    const run = await sipp('query-1000.xml', USERS, 500);
    expect(sippVerdict(run)).toEqual({ exitCode: 0, successfulCalls: USERS, failedCalls: 0, unexpected: '' });
  }, SIPP_TEST_TIMEOUT_MS);

  it('fails the query of a user that never registered (the check has teeth)', async () => {
    const run = await sipp('query-1000.xml', USERS + 3, 500);
    expect({ exitCode: run.exit.code, successfulCalls: run.stats.successfulCalls, failedCalls: run.stats.failedCalls })
      .toEqual({ exitCode: 1, successfulCalls: USERS, failedCalls: 3 });
  }, SIPP_TEST_TIMEOUT_MS);

  it('relays a MESSAGE to the registered contact and its 200 OK back to the sender', async () => {
    const run = await sipp('message-via-registrar.xml', RELAYED_MESSAGES, 100);
    expect(sippVerdict(run)).toEqual({
      exitCode: 0,
      successfulCalls: RELAYED_MESSAGES,
      failedCalls: 0,
      unexpected: '',
    });
  }, SIPP_TEST_TIMEOUT_MS);
});
