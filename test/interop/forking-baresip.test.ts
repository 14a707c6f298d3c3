/**
 * Interop: `sipreg registrar` forking a call (RFC 3261 §16) to a real softphone and a SIPp phone
 * of one AOR, over UDP on 127.0.0.1. baresip registers `sip:alice@example.com` as a SIP Outbound
 * UA (RFC 5626 §4.2: `+sip.instance`, `reg-id`, `Supported: gruu`), a SIPp phone that only rings
 * (`forking-phone-rings.xml`) registers the same AOR, and a SIPp caller (`forking-call.xml`) calls
 * it through the registrar. baresip answers once both ring (its `accept` command over `ctrl_tcp`):
 * the caller gets exactly one 200 (§16.7 step 5), the SIPp phone gets CANCEL, answers 487 and gets
 * the proxy's ACK (§17.1.1.3), and the caller's ACK and BYE reach baresip, which answers the BYE 200.
 *
 * 1. Plain: baresip's Contact is its own address.
 * 2. GRUU (`--disable-gruu 0`): baresip puts the pub-gruu it got in the 200 to its REGISTER into the
 *    Contact of its 200 to the INVITE, so the caller's ACK and BYE target
 *    `sip:alice@example.com;gr=urn:uuid:…`, which the registrar resolves through lookup (RFC 5627
 *    §8.4.1) to baresip instead of forwarding it to itself.
 * 3. `--record-route 1`: the caller's 200 carries the registrar's Record-Route (§16.6 step 4), the
 *    BYE comes back through it on that Route, and reaches baresip without it (§16.4, §16.12).
 *
 * baresip's binding has no q; `--default-q 1000` stores it with the SIPp phone's q=1.0, so both
 * are in the first q group and ring at once (§16.6 step 10: a contact without q is tried last).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import type { SipMessage } from '../../src/sip/message';
import { connectBaresipControl, type BaresipControl } from '../helpers/baresip-control';
import { baresipExchange } from '../helpers/baresip-trace';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { freeBaresipPorts } from '../helpers/free-udp-tcp-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { messageLabel } from '../helpers/sipp-message-trace';
import { FORKED_CALL, PHONE_EXCHANGES, startSippPhone } from '../helpers/sipp-phone';
import { startBaresip, type BaresipProcess } from '../helpers/start-baresip';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';
import { ONE_SUCCESSFUL_CALL, runTracedSipp, tracedVerdict } from '../helpers/traced-sipp-call';

const PEERS = interopPrerequisites('the forking baresip interop tests', { baresip: 'baresip', sipp: 'sip-tester' });
const SCENARIOS = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios');
const TEST_TIMEOUT_MS = 60_000;
const WITHIN_MS = 10_000;
/** How long the caller talks before its BYE (its `-d`). */
const TALK_MS = 500;
const USER = 'alice';
const DOMAIN = 'example.com';

/** What baresip exchanges in the call: it rings, answers, gets the caller's ACK and BYE and answers it. */
const BARESIP_ANSWERS = ['in INVITE', 'out 180 INVITE', 'out 200 INVITE', 'in ACK', 'in BYE', 'out 200 BYE'];

/** The registrar's flags in each case; `gruu` serves `--domain example.com`, the AOR's domain. */
const MODES = {
  plain: [],
  gruu: ['--disable-gruu', '0', '--gruu-secret', 's', '--domain', DOMAIN],
  'gruu, any domain': ['--disable-gruu', '0', '--gruu-secret', 's'],
  'record-route': ['--record-route', '1'],
} as const;
type Mode = keyof typeof MODES;

/** A request's Request-URI, Route count and Via count, to see which way it went. */
const requestPath = ({ message }: { readonly message: SipMessage }): unknown =>
  (message.kind === 'request' ? { method: message.method, uri: message.uri, routes: message.route.length, vias: message.via.length } : undefined);

PEERS.describe('sipreg registrar forking a call to baresip and a SIPp phone over UDP (RFC 3261 §16)', () => {
  const started: { stop(): Promise<unknown> }[] = [];
  let control: BaresipControl | undefined;

  afterEach(async () => {
    control?.close();
    control = undefined;
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });

  /** The call of the suite's header with the registrar started with `MODES[mode]`. */
  const forkedCall = async (mode: Mode): Promise<void> => {
    const registrarPort = await freePort('udp');
    const registrar: ManagedProcess = await startSipreg({
      port: registrarPort,
      extraArgs: ['--default-q', '1000', '--log-level', 'debug', ...MODES[mode]],
    });
    started.push(registrar);
    const baresipPort = await freeBaresipPorts();
    const controlPort = await freePort('tcp');
    const baresip: BaresipProcess = startBaresip({
      baresipPath: PEERS.path('baresip'),
      sipPort: baresipPort,
      registrarPort,
      user: USER,
      domain: DOMAIN,
      transport: 'udp',
      instanceUuid: randomUUID(),
      extraModules: ['g711.so', 'menu.so', 'ctrl_tcp.so'],
      extraConfig: [`ctrl_tcp_listen\t\t127.0.0.1:${controlPort}`],
      killAfterMs: TEST_TIMEOUT_MS,
    });
    started.push(baresip);
    const context = (): string => `--- registrar output:\n${registrar.output()}\n--- baresip output:\n${baresip.process.output()}`;
    control = await connectBaresipControl(controlPort);
    await eventually(() => (baresip.process.output().includes(`${USER}@${DOMAIN}: {1/UDP/v4} 200 OK`) ? true : undefined), 'baresip registered', WITHIN_MS, context);
    const ringing = await startSippPhone({
      sippPath: PEERS.path('sipp'),
      registrarPort,
      port: await freePort('udp'),
      user: USER,
      callScenario: join(SCENARIOS, 'forking-phone-rings.xml'),
    });
    started.push(ringing);

    const calling = runTracedSipp({
      sippPath: PEERS.path('sipp'),
      scenario: join(SCENARIOS, 'forking-call.xml'),
      remotePort: registrarPort,
      localPort: await freePort('udp'),
      calls: 1,
      rate: 1,
      timeoutSec: 30,
      keys: { callee: USER },
      extraArgs: ['-d', String(TALK_MS)],
    });
    // Answer once both phones ring, so that the caller gets both 180s before the one 200.
    await control.event('CALL_INCOMING', WITHIN_MS, context);
    await eventually(() => (ringing.calls().includes('out 180 INVITE') ? true : undefined), 'the SIPp phone ringing', WITHIN_MS, context);
    await control.command('accept');
    const caller = await calling;
    await control.event('CALL_CLOSED', WITHIN_MS, context);
    const ringingCalls = await ringing.callsOnceThere(PHONE_EXCHANGES.rings.length, context);
    await baresip.stop(5_000); // flushes baresip's trace
    const baresipCalls = baresipExchange(baresip.process.output(), `127.0.0.1:${baresipPort}`)
      .filter(({ message }) => message.cseq.method !== 'REGISTER');

    expect({
      caller: tracedVerdict(caller),
      ringing: ringingCalls,
      baresip: baresipCalls.map(messageLabel),
    }).toEqual({ caller: { ...ONE_SUCCESSFUL_CALL, labels: FORKED_CALL }, ringing: PHONE_EXCHANGES.rings, baresip: BARESIP_ANSWERS });

    // The way the caller's ACK and BYE went: to baresip's Contact (its pub-gruu under GRUU), through
    // the registrar's Record-Route when it added one; each arrives with the registrar's Via and the
    // caller's, its Request-URI baresip's own address, no Route left.
    const ok = caller.messages.find((m) => messageLabel(m) === 'in 200 INVITE')?.message;
    const contact = ok?.contacts === '*' ? undefined : ok?.contacts[0]?.uri;
    expect(contact).toMatch(mode.startsWith('gruu') ? new RegExp(`^sip:${USER}@${DOMAIN};gr=urn:uuid:`) : new RegExp(`@127\\.0\\.0\\.1:${baresipPort}`));
    const routes = mode === 'record-route' ? 1 : 0;
    expect(ok?.recordRoute.length).toBe(routes);
    const sent = caller.messages.filter((m) => m.direction === 'out' && m.message.kind === 'request' && m.message.method !== 'INVITE');
    expect(sent.map(requestPath)).toEqual(['ACK', 'BYE'].map((method) => ({ method, uri: contact, routes, vias: 1 })));
    const got = baresipCalls.filter((m) => m.direction === 'in' && m.message.kind === 'request' && m.message.method !== 'INVITE');
    const invite = baresipCalls.find((m) => m.direction === 'in' && m.message.kind === 'request')?.message;
    expect(got.map(requestPath)).toEqual(['ACK', 'BYE'].map((method) => ({ method, uri: invite?.kind === 'request' ? invite.uri : undefined, routes: 0, vias: 2 })));
    // The registrar forwarded the BYE once, to baresip: no loop through itself.
    const byeForwards = registrar.output().split('\n').filter((line) => /"msg":"request forwarded","method":"BYE"/.test(line));
    expect(byeForwards.map((line) => /"destination":"([^"]+)"/.exec(line)?.[1])).toEqual([`udp:127.0.0.1:${baresipPort}`]);
  };

  it.each(['plain', 'gruu', 'record-route'] as const)('baresip answers, the SIPp phone is cancelled, the BYE reaches baresip (%s)', forkedCall, TEST_TIMEOUT_MS);

  // Without --domain the registrar serves every domain and issues GRUUs in the AOR's domain, but
  // takes an in-dialog Request-URI for its own only when its host is a local socket or a --domain:
  // the ACK to baresip's pub-gruu is dropped as unroutable and the BYE answered 480 here (where
  // example.com resolves to the registrar itself, they loop until Max-Forwards runs out).
  it('resolves the pub-gruu of the ACK and BYE without --domain too (RFC 5627 §8.4.1)', () => forkedCall('gruu, any domain'), TEST_TIMEOUT_MS);
});
