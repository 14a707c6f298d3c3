/**
 * Interop: `sipreg registrar` as a transaction-stateful forking proxy (RFC 3261 §16, the way an
 * OpenSIPS config does `lookup()` then `t_relay()`), proved with SIPp on both sides over UDP on
 * 127.0.0.1. Each phone is a SIPp process that registers `sip:USER@example.com` (Contact its own
 * address, a q value) and then runs each call it gets on an out-of-call scenario
 * (`forking-phone-*.xml`); the caller is a third SIPp (`forking-call*.xml`). SIPp's verdict
 * (expected messages in order, nothing unexpected) and its message traces decide.
 *
 * 1. Parallel forking (§16.6, §16.7 step 5, §16.10): two phones of one AOR with the same q both
 *    ring; the one that answers gets the caller's ACK and BYE, the other gets CANCEL, answers 200
 *    and 487 and gets the proxy's ACK for the 487 (§17.1.1.3); the caller gets exactly one 200,
 *    with a Record-Route only under `--record-route 1` (§16.6 step 4).
 * 2. Serial forking by q (§16.6 step 10, OpenSIPS `serialize_branches`): the q=0.5 phone gets the
 *    INVITE only after the q=1.0 phone's 486, which the caller never sees.
 * 3. No answer at all (§16.8, tm `fr_timeout` as `--fr-timeout`): the caller gets 100 then 408,
 *    and the silent phone never gets a CANCEL (§9.1: none without a provisional response).
 * 4. An unknown AOR is still answered 404.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { messageLabel, type TracedMessage } from '../helpers/sipp-message-trace';
import { FORKED_CALL, PHONE_EXCHANGES, startSippPhone, type SippPhone } from '../helpers/sipp-phone';
import { sleep } from '../helpers/sleep';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';
import { ONE_SUCCESSFUL_CALL, runTracedSipp, tracedVerdict, type TracedSippRun } from '../helpers/traced-sipp-call';

const SIPP = interopPrerequisites('the forking SIPp interop tests', { sipp: 'sip-tester' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const TEST_TIMEOUT_MS = 60_000;
const { answers: ANSWERED, rings: CANCELLED, busy: BUSY } = PHONE_EXCHANGES;
/** How long the phones' last expected messages may take to show in their traces once the call is over. */
/** How long the caller talks before its BYE (its `-d`): a late second 200 from another branch would come meanwhile. */
const TALK_MS = 1_000;
/** SIPp stamps a message with the clock of its current loop turn, not the instant it was sent or received. */
const SIPP_CLOCK_SLACK_MS = 50;

/** What a phone does with its calls: `forking-phone-BEHAVIOUR.xml`. */
type Behaviour = 'answers' | 'rings' | 'busy' | 'silent';

const firstAt = (messages: readonly TracedMessage[], label: string): number => {
  const found = messages.find((m) => messageLabel(m) === label);
  if (found === undefined) throw new Error(`no "${label}" in ${messages.map(messageLabel).join(', ')}`);
  return found.at;
};

SIPP.describe('sipreg registrar forking INVITEs to SIPp phones over UDP (RFC 3261 §16)', () => {
  const started: { stop(): Promise<unknown> }[] = [];
  let registrar: ManagedProcess | undefined;
  let registrarPort = 0;

  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    registrar = undefined;
  });

  const context = (): string => `--- registrar output:\n${registrar?.output() ?? ''}`;

  const startRegistrar = async (flags: readonly string[] = []): Promise<void> => {
    registrarPort = await freePort('udp');
    registrar = await startSipreg({ port: registrarPort, extraArgs: flags });
    started.push(registrar);
  };

  const phone = async (user: string, behaviour: Behaviour, q?: string): Promise<SippPhone> => {
    const registered = await startSippPhone({
      sippPath: SIPP.path('sipp'),
      registrarPort,
      port: await freePort('udp'),
      user,
      q,
      callScenario: join(SCENARIOS, `forking-phone-${behaviour}.xml`),
    });
    started.push(registered);
    return registered;
  };

  const call = async (scenario: 'call' | 'call-refused', callee: string): Promise<TracedSippRun> =>
    runTracedSipp({
      sippPath: SIPP.path('sipp'),
      scenario: join(SCENARIOS, `forking-${scenario}.xml`),
      remotePort: registrarPort,
      localPort: await freePort('udp'),
      calls: 1,
      rate: 1,
      timeoutSec: 30,
      keys: { callee },
      extraArgs: ['-d', String(TALK_MS)],
    });

  it.each(['0', '1'])('rings both phones of an AOR at once; the first to answer gets the call, the other CANCEL (--record-route %s)', async (recordRoute) => {
    await startRegistrar(['--record-route', recordRoute]);
    const answering = await phone('alice', 'answers');
    const ringing = await phone('alice', 'rings');

    const caller = await call('call', 'alice');

    expect({
      caller: tracedVerdict(caller),
      answering: await answering.callsOnceThere(ANSWERED.length, context),
      ringing: await ringing.callsOnceThere(CANCELLED.length, context),
    }).toEqual({ caller: { ...ONE_SUCCESSFUL_CALL, labels: FORKED_CALL }, answering: ANSWERED, ringing: CANCELLED });
    // Record-Route only when configured (§16.6 step 4). SIPp sends every request to the proxy, as a
    // phone with an outbound proxy does: the ACK and BYE reach the phone through it, the proxy's own
    // Route entry removed (§16.4, §16.12).
    const ok = caller.messages.find((m) => messageLabel(m) === 'in 200 INVITE');
    expect(ok?.message.recordRoute.length).toBe(recordRoute === '1' ? 1 : 0);
    const callerPort = caller.messages[0].message.via[0].port;
    const inDialog = answering.messages().flatMap(({ message }) =>
      (message.kind === 'request' && (message.method === 'ACK' || message.method === 'BYE') ? [{ method: message.method, vias: message.via.map((v) => v.port), routes: message.route.length }] : []));
    expect(inDialog).toEqual(['ACK', 'BYE'].map((method) => ({ method, vias: [registrarPort, callerPort], routes: 0 })));
  }, TEST_TIMEOUT_MS);

  it('tries the q=0.5 phone only after the q=1.0 phone refused (serial forking by q)', async () => {
    await startRegistrar();
    const busy = await phone('bob', 'busy', '1.0');
    const answering = await phone('bob', 'answers', '0.5');

    const caller = await call('call', 'bob');

    // The 486 stays with the proxy, which tries the next q group (§16.7 step 4).
    expect({
      caller: tracedVerdict(caller),
      busy: await busy.callsOnceThere(BUSY.length, context),
      answering: await answering.callsOnceThere(ANSWERED.length, context),
    }).toEqual({ caller: { ...ONE_SUCCESSFUL_CALL, labels: FORKED_CALL }, busy: BUSY, answering: ANSWERED });
    // The busy phone waits a second before its 486; a proxy forking in parallel reaches the other at once.
    expect(firstAt(answering.messages(), 'in INVITE')).toBeGreaterThanOrEqual(firstAt(busy.messages(), 'out 486 INVITE') - SIPP_CLOCK_SLACK_MS);
  }, TEST_TIMEOUT_MS);

  it('answers 100 then 408 when the only phone never responds (--fr-timeout 2), and does not CANCEL it', async () => {
    await startRegistrar(['--fr-timeout', '2']);
    const silent = await phone('carol', 'silent');

    const caller = await call('call-refused', 'carol');

    expect(tracedVerdict(caller)).toEqual({ ...ONE_SUCCESSFUL_CALL, labels: ['out INVITE', 'in 100 INVITE', 'in 408 INVITE', 'out ACK'] });
    // A CANCEL would be sent when the branch timed out, before the 408: give it time to arrive anyway.
    await sleep(1_000);
    const got = silent.calls();
    expect(got.length).toBeGreaterThan(0);
    expect(new Set(got)).toEqual(new Set(['in INVITE']));
  }, TEST_TIMEOUT_MS);

  it('still answers 404 to a call for an AOR nobody registered', async () => {
    await startRegistrar();
    await phone('dave', 'answers');

    const caller = await call('call-refused', 'nobody');

    // Whether a 100 comes first is up to the proxy: OpenSIPS answers from the script, before t_relay.
    expect({ ...tracedVerdict(caller), labels: caller.labels.filter((label) => label !== 'in 100 INVITE') })
      .toEqual({ ...ONE_SUCCESSFUL_CALL, labels: ['out INVITE', 'in 404 INVITE', 'out ACK'] });
  }, TEST_TIMEOUT_MS);
});
