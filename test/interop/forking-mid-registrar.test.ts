/**
 * Interop: the parallel-forking proof of `forking-sipp.test.ts` through `sipreg mid-registrar` in
 * front of a real main registrar, Kamailio (usrloc in memory, `lookup("location")` then
 * `t_relay()` of tm: see `kamailioForkingConfig`), over UDP on 127.0.0.1. Two SIPp phones register
 * `sip:alice@example.com` with the mid-registrar; a SIPp caller calls the AOR at Kamailio.
 *
 * - throttle-contact: Kamailio holds a rewritten contact per phone and forks itself; the
 *   mid-registrar maps each branch (and its CANCEL) to the one phone its contact id names (OpenSIPS
 *   `mid_registrar_lookup`, RFC 3261 §16.5).
 * - throttle-aor: Kamailio holds one contact for the AOR; the mid-registrar forks that branch to
 *   both phones, cancels the ringing one when the other answers, and sends Kamailio one 200.
 *
 * Either way the answering phone gets the ACK and BYE, the other phone CANCEL, answers 200 and
 * 487 and gets the ACK for the 487 (§17.1.1.3), and the caller exactly one 200.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { kamailioForkingConfig } from '../helpers/kamailio-forking-config';
import { FORKED_CALL, PHONE_EXCHANGES, startSippPhone, type SippPhone } from '../helpers/sipp-phone';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startKamailio } from '../helpers/start-kamailio';
import { startMidRegistrar } from '../helpers/start-mid-registrar';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { ONE_SUCCESSFUL_CALL, runTracedSipp, tracedVerdict } from '../helpers/traced-sipp-call';

const PEERS = interopPrerequisites('the forking mid-registrar interop tests', { sipp: 'sip-tester', kamailio: 'kamailio' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const TEST_TIMEOUT_MS = 60_000;
const { answers: ANSWERED, rings: CANCELLED } = PHONE_EXCHANGES;
/** How long the caller talks before its BYE (its `-d`): a late second 200 from another branch would come meanwhile. */
const TALK_MS = 1_000;

// Not mirror: there Kamailio forks to a contact per phone and, as OpenSIPS's mid_registrar_lookup
// in mirror mode, the mid-registrar forks each of those branches to every phone of the AOR again.
PEERS.describe.each(['throttle-contact', 'throttle-aor'] as const)('sipreg mid-registrar (%s) in front of Kamailio forking a call to two SIPp phones', (mode) => {
  const started: { stop(): Promise<unknown> }[] = [];
  let kamailio: ManagedProcess | undefined;
  let mid: ManagedProcess | undefined;
  let kamailioPort = 0;
  let midPort = 0;

  const context = (): string => `--- kamailio output:\n${kamailio?.output() ?? ''}\n--- mid-registrar output:\n${mid?.output() ?? ''}`;

  beforeAll(async () => {
    kamailioPort = await freePort('udp');
    do midPort = await freePort('udp');
    while (midPort === kamailioPort);
    kamailio = await startKamailio({ kamailioPath: PEERS.path('kamailio'), port: kamailioPort, config: kamailioForkingConfig(kamailioPort), killAfterMs: 120_000 });
    started.push(kamailio);
    mid = await startMidRegistrar({ port: midPort, upstreamPort: kamailioPort, mode });
    started.push(mid);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(started.splice(0).reverse().map((s) => s.stop()));
  });

  const phone = async (behaviour: 'answers' | 'rings'): Promise<SippPhone> => {
    const registered = await startSippPhone({
      sippPath: PEERS.path('sipp'),
      registrarPort: midPort,
      port: await freePort('udp'),
      user: 'alice',
      callScenario: join(SCENARIOS, `forking-phone-${behaviour}.xml`),
    });
    started.push(registered);
    return registered;
  };

  it('rings both phones; the first to answer gets the call, the other CANCEL, the caller one 200', async () => {
    const answering = await phone('answers');
    const ringing = await phone('rings');

    const caller = await runTracedSipp({
      sippPath: PEERS.path('sipp'),
      scenario: join(SCENARIOS, 'forking-call.xml'),
      remotePort: kamailioPort,
      localPort: await freePort('udp'),
      calls: 1,
      rate: 1,
      timeoutSec: 30,
      keys: { callee: 'alice' },
      extraArgs: ['-d', String(TALK_MS)],
    });

    expect({
      caller: tracedVerdict(caller),
      answering: await answering.callsOnceThere(ANSWERED.length, context),
      ringing: await ringing.callsOnceThere(CANCELLED.length, context),
    }).toEqual({
      caller: { ...ONE_SUCCESSFUL_CALL, labels: FORKED_CALL },
      answering: ANSWERED,
      ringing: CANCELLED,
    });
  }, TEST_TIMEOUT_MS);
});
