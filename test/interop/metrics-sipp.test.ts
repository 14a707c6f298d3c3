/**
 * Interop (issue 21 proof): `GET /metrics` and `get_statistics` of the sipreg CLI registrar count
 * exactly the REGISTERs SIPp sent and the replies it got, over UDP on loopback.
 *
 * The registrar runs with `--mi-listen`, `--min-expires 60 --min-expires-mode reject` and
 * `--max-contacts 1`. SIPp runs `register-1000.xml` (each call one AOR, one REGISTER answered
 * 200) and `register-refused.xml` (each call a REGISTER with Expires 10 answered 423
 * `interval-too-brief`, then one with two contacts answered 503 `too-many-contacts`). SIPp runs
 * with `-nr` (no retransmissions): every REGISTER it counts was sent once, so the server saw each
 * exactly once and SIPp's successful calls are exactly the replies of each code (a wrong code
 * fails the call). Then the scrape must show:
 * - `sipreg_registers_accepted_total` and `sipreg_register_replies_total{code="200"}`: the 200s;
 * - `sipreg_registers_rejected_total{reason=...}` and the 423/503 reply counters: the refusals;
 * - `sipreg_bindings` and `sipreg_aors`: one per accepted AOR, nothing for the refused ones, and
 *   none expired;
 * - `sipreg_register_handling_seconds_count` (and its `+Inf` bucket): every reply;
 * and `get_statistics` over MI the same numbers under the OpenSIPS names.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { miCall } from '../helpers/mi-call';
import { runSipp, type SippRun } from '../helpers/run-sipp';
import { scrapeMetrics } from '../helpers/scrape-metrics';
import { sippVerdict } from '../helpers/sipp-verdict';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';

const SIPP = interopPrerequisites('the SIPp metrics interop test', { sipp: 'sip-tester' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const ACCEPTED = 500;
const REFUSED = 20;
const SIPP_TEST_TIMEOUT_MS = 90_000;

SIPP.describe('sipreg CLI registrar: /metrics and get_statistics after SIPp traffic', () => {
  let server: ManagedProcess | undefined;
  let serverPort = 0;
  let miBase = '';

  const sipp = (scenario: string, calls: number): Promise<SippRun> =>
    runSipp({
      sippPath: SIPP.path('sipp'),
      scenario: join(SCENARIOS, scenario),
      remotePort: serverPort,
      calls,
      rate: 200,
      timeoutSec: 60,
      extraArgs: ['-nr'],
    });

  beforeAll(async () => {
    serverPort = await freePort('udp');
    const miPort = await freePort('tcp');
    miBase = `http://127.0.0.1:${miPort}`;
    server = await startSipreg({
      port: serverPort,
      extraArgs: ['--min-expires', '60', '--min-expires-mode', 'reject', '--max-contacts', '1', '--mi-listen', `http:127.0.0.1:${miPort}`],
    });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it(`counts ${ACCEPTED} accepted REGISTERs and ${REFUSED} each refused 423 and 503, as SIPp sent and got them`, async () => {
    const before = await scrapeMetrics(`${miBase}/metrics`);
    expect(before.get('sipreg_register_handling_seconds_count')).toBe(0);

    const accepted = await sipp('register-1000.xml', ACCEPTED);
    expect(sippVerdict(accepted)).toEqual({ exitCode: 0, successfulCalls: ACCEPTED, failedCalls: 0, unexpected: '' });
    const refused = await sipp('register-refused.xml', REFUSED);
    expect(sippVerdict(refused)).toEqual({ exitCode: 0, successfulCalls: REFUSED, failedCalls: 0, unexpected: '' });
    expect([accepted.stats.retransmissions, refused.stats.retransmissions]).toEqual([0, 0]);

    const replies = ACCEPTED + 2 * REFUSED;
    const m = await scrapeMetrics(`${miBase}/metrics`);
    const sipreg = Object.fromEntries([...m].filter(([name]) => /^sipreg_(registers|register_replies|bindings|aors)/.test(name)));
    expect(sipreg).toEqual({
      sipreg_registers_accepted_total: ACCEPTED,
      'sipreg_registers_rejected_total{reason="interval-too-brief"}': REFUSED,
      'sipreg_registers_rejected_total{reason="too-many-contacts"}': REFUSED,
      'sipreg_register_replies_total{code="200"}': ACCEPTED,
      'sipreg_register_replies_total{code="423"}': REFUSED,
      'sipreg_register_replies_total{code="503"}': REFUSED,
      sipreg_bindings: ACCEPTED,
      sipreg_aors: ACCEPTED,
      sipreg_bindings_expired_total: 0,
    });
    expect({
      count: m.get('sipreg_register_handling_seconds_count'),
      inf: m.get('sipreg_register_handling_seconds_bucket{le="+Inf"}'),
    }).toEqual({ count: replies, inf: replies });
    expect(m.get('sipreg_register_handling_seconds_sum')).toBeGreaterThan(0);
    expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);

    const stats = await miCall(`${miBase}/mi`, 'get_statistics', { statistics: ['registrar:accepted_regs', 'registrar:rejected_regs', 'usrloc:'] });
    expect(stats.result).toEqual({
      'registrar:accepted_regs': ACCEPTED,
      'registrar:rejected_regs': 2 * REFUSED,
      'usrloc:registered_users': ACCEPTED,
      'usrloc:location-users': ACCEPTED,
      'usrloc:location-contacts': ACCEPTED,
      'usrloc:location-expires': 0,
    });
  }, SIPP_TEST_TIMEOUT_MS);
});
