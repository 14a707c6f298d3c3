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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { sippVerdict } from '../helpers/sipp-verdict';
import { messageLabel, type TracedMessage } from '../helpers/sipp-message-trace';
import { startSippPhone, type SippPhone } from '../helpers/sipp-phone';
import { sleep } from '../helpers/sleep';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';
import { runTracedSipp, type TracedSippRun } from '../helpers/traced-sipp-call';

const SIPP = interopPrerequisites('the forking SIPp interop tests', { sipp: 'sip-tester' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const TEST_TIMEOUT_MS = 60_000;
/** How long the phones' last expected messages may take to show in their traces once the call is over. */
const SETTLE_TIMEOUT_MS = 10_000;
/** How long the caller talks before its BYE (its `-d`): a late second 200 from another branch would come meanwhile. */
const TALK_MS = 1_000;
/** SIPp stamps a message with the clock of its current loop turn, not the instant it was sent or received. */
const SIPP_CLOCK_SLACK_MS = 50;

/** What a phone does with its calls: `forking-phone-BEHAVIOUR.xml`. */
type Behaviour = 'answers' | 'rings' | 'busy' | 'silent';

/** The exchanges each kind of phone has with the proxy, as {@link messageLabel}s. */
const ANSWERED = ['in INVITE', 'out 180 INVITE', 'out 200 INVITE', 'in ACK', 'in BYE', 'out 200 BYE'];
const CANCELLED = ['in INVITE', 'out 180 INVITE', 'in CANCEL', 'out 200 CANCEL', 'out 487 INVITE', 'in ACK'];
const BUSY = ['in INVITE', 'out 180 INVITE', 'out 486 INVITE', 'in ACK'];

const finals = (messages: readonly TracedMessage[]): string[] =>
  messages.filter(({ direction, message }) => direction === 'in' && message.kind === 'response' && message.status >= 200).map(messageLabel);

const firstAt = (messages: readonly TracedMessage[], label: string): number => {
  const found = messages.find((m) => messageLabel(m) === label);
  if (found === undefined) throw new Error(`no "${label}" in ${messages.map(messageLabel).join(', ')}`);
  return found.at;
};

SIPP.describe('sipreg registrar forking INVITEs to SIPp phones over UDP (RFC 3261 §16)', () => {
  const started: { stop(): Promise<unknown> }[] = [];
  let registrar: ManagedProcess | undefined;
  let registrarPort = 0;
  let workDir = '';

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'sipreg-forking-'));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    registrar = undefined;
    rmSync(workDir, { recursive: true, force: true });
  });

  const startRegistrar = async (flags: readonly string[] = []): Promise<void> => {
    registrarPort = await freePort('udp');
    registrar = await startSipreg({ port: registrarPort, extraArgs: flags });
    started.push(registrar);
  };

  const phone = async (user: string, behaviour: Behaviour, q?: string): Promise<SippPhone> => {
    const started_ = await startSippPhone({
      sippPath: SIPP.path('sipp'),
      registrarPort,
      port: await freePort('udp'),
      user,
      q,
      callScenario: join(SCENARIOS, `forking-phone-${behaviour}.xml`),
    });
    started.push(started_);
    return started_;
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

  /** Wait until `phone`'s calls so far are `expected` (what it still gets arrives after the caller is done), then compare. */
  const settled = async (phone_: SippPhone, expected: readonly string[]): Promise<string[]> => {
    await eventually(
      () => (phone_.calls().length >= expected.length ? true : undefined),
      `the ${expected.length} messages ${expected.join(', ')} at the phone on port ${phone_.port}`,
      SETTLE_TIMEOUT_MS,
      () => `--- it has: ${phone_.calls().join(', ')}\n--- registrar output:\n${registrar?.output() ?? ''}`,
    ).catch(() => undefined);
    return phone_.calls();
  };

  it.each(['0', '1'])('rings both phones of an AOR at once; the first to answer gets the call, the other CANCEL (--record-route %s)', async (recordRoute) => {
    await startRegistrar(['--record-route', recordRoute]);
    const answering = await phone('alice', 'answers');
    const ringing = await phone('alice', 'rings');

    const caller = await call('call', 'alice');

    expect(sippVerdict(caller.run)).toEqual({ exitCode: 0, successfulCalls: 1, failedCalls: 0, unexpected: '' });
    expect(finals(caller.messages)).toEqual(['in 200 INVITE', 'in 200 BYE']);
    expect(await settled(answering, ANSWERED)).toEqual(ANSWERED);
    expect(await settled(ringing, CANCELLED)).toEqual(CANCELLED);
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

    expect(sippVerdict(caller.run)).toEqual({ exitCode: 0, successfulCalls: 1, failedCalls: 0, unexpected: '' });
    expect(finals(caller.messages)).toEqual(['in 200 INVITE', 'in 200 BYE']);
    expect(await settled(busy, BUSY)).toEqual(BUSY);
    expect(await settled(answering, ANSWERED)).toEqual(ANSWERED);
    // The busy phone waits a second before its 486; a proxy forking in parallel reaches the other at once.
    expect(firstAt(answering.messages(), 'in INVITE')).toBeGreaterThanOrEqual(firstAt(busy.messages(), 'out 486 INVITE') - SIPP_CLOCK_SLACK_MS);
  }, TEST_TIMEOUT_MS);

  it('answers 100 then 408 when the only phone never responds (--fr-timeout 2), and does not CANCEL it', async () => {
    await startRegistrar(['--fr-timeout', '2']);
    const silent = await phone('carol', 'silent');

    const caller = await call('call-refused', 'carol');

    expect(sippVerdict(caller.run)).toEqual({ exitCode: 0, successfulCalls: 1, failedCalls: 0, unexpected: '' });
    expect(caller.labels).toEqual(['out INVITE', 'in 100 INVITE', 'in 408 INVITE', 'out ACK']);
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

    expect(sippVerdict(caller.run)).toEqual({ exitCode: 0, successfulCalls: 1, failedCalls: 0, unexpected: '' });
    expect(finals(caller.messages)).toEqual(['in 404 INVITE']);
  }, TEST_TIMEOUT_MS);
});
