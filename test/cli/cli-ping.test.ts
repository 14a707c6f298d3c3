/**
 * `sipreg registrar --ping-interval` on the wire (issue 22): the CLI registrar on UDP 127.0.0.1
 * pings the phones registered with it (OpenSIPS `nathelper` SIP pinging), and the lookup flags
 * `y` and `Y` route calls by the round trips measured. Phones answer an INVITE 486, so the
 * caller's final response comes once every branch has answered (RFC 3261 §16.7 step 5).
 */
import type { SipRequest } from '../../src/sip/message';
import { IdSequence } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { queryBindings } from '../helpers/query-bindings';
import { useCallScene } from '../helpers/call-scene';
import { UdpPhone, type PhoneAnswer } from '../helpers/udp-phone';

const DOMAIN = 'example.com';
const AOR = `sip:bob@${DOMAIN}`;
const ids = new IdSequence('ping');
const BUSY: PhoneAnswer = { status: 486, reason: 'Busy Here' };
const PONG: PhoneAnswer = { status: 200, reason: 'OK' };
/** How long the slow phone takes to answer a ping: 300 ms, far over the 50 ms of `y50000`. */
const SLOW_PONG: PhoneAnswer = { ...PONG, delayMs: 300 };

/**
 * The counter of a Via branch the proxy wrote, `z9hG4bK-fk-<12-character prefix><base-36
 * counter>` (`BranchIds`): the proxy draws one per branch as it sends it, so a lower counter was
 * sent first, whatever order the datagrams arrive in.
 */
function branchCounter(request: SipRequest): number {
  const match = /^z9hG4bK-fk-[\w-]{12}([0-9a-z]+)$/.exec(request.via[0]?.branch ?? '');
  if (match === null) throw new Error(`not a branch of the forking proxy: ${request.via[0]?.branch}`);
  return Number.parseInt(match[1], 36);
}

describe('sipreg registrar --ping-interval', () => {
  const { scene: start, keep, output } = useCallScene(DOMAIN, ids);
  /** The registrar serving {@link DOMAIN} with `args`, and a caller. */
  const scene = (args: readonly string[]) => start(['--log-level', 'info', ...args]);

  /** A phone of `user` answering pings with `pong` (none: never) and calls 486, registered for `aor`. */
  async function phone(port: number, aor: string, pong: PhoneAnswer | undefined): Promise<UdpPhone> {
    const user = aor.slice(4, aor.indexOf('@'));
    const p = keep(await UdpPhone.open({ user, answers: pong === undefined ? { INVITE: BUSY } : { INVITE: BUSY, OPTIONS: pong }, ids }));
    expect((await p.register(port, aor)).status).toBe(200);
    return p;
  }

  const invitesOf = (p: UdpPhone, callId: string): SipRequest[] => p.requests('INVITE').filter((r) => r.callId === callId);

  /** Until every phone has answered a ping. */
  const pingsAnswered = (...all: UdpPhone[]): Promise<true> =>
    eventually(() => (all.every((p) => p.answered('OPTIONS') > 0) ? true : undefined), 'an answered ping at every phone', 10_000, output);

  it('pings every registered phone with OPTIONS from sip:pinger@<listen address>; y50000 leaves out the phone whose ping took 300 ms', async () => {
    const { port, call } = await scene(['--ping-interval', '1', '--lookup-flags', 'y50000']);
    const fast = await phone(port, AOR, PONG);
    const slow = await phone(port, AOR, SLOW_PONG);
    await pingsAnswered(fast, slow);
    const ping = (p: UdpPhone): { from: string; uri: string } => ({ from: p.requests('OPTIONS')[0].from.uri, uri: p.requests('OPTIONS')[0].uri });
    expect({ fast: ping(fast), slow: ping(slow) }).toEqual({ fast: { from: 'sip:pinger@127.0.0.1', uri: fast.uri }, slow: { from: 'sip:pinger@127.0.0.1', uri: slow.uri } });

    // The slow phone's answer may reach the registrar just after the INVITE: call again until
    // its round trip counts. Before it is measured the call rings both (unmeasured is not slow).
    const reached = await eventually(async () => {
      const { callId, final } = await call(AOR);
      const at = { status: final.status, fast: invitesOf(fast, callId).length > 0, slow: invitesOf(slow, callId).length > 0 };
      return at.slow ? undefined : at;
    }, 'a call that leaves out the slow phone', 10_000, output);
    expect(reached).toEqual({ status: 486, fast: true, slow: false });
  }, 60_000);

  it('Y sends the INVITE to the phone with the fastest ping first, though the other registered later', async () => {
    const { port, call } = await scene(['--ping-interval', '1', '--lookup-flags', 'Y']);
    // Without Y the more recent binding is tried first (RFC 3261 §16.6, q then recency).
    const fast = await phone(port, AOR, PONG);
    const slow = await phone(port, AOR, SLOW_PONG);
    await pingsAnswered(fast, slow);

    const order = await eventually(async () => {
      const { callId, final } = await call(AOR);
      const [atFast, atSlow] = [invitesOf(fast, callId)[0], invitesOf(slow, callId)[0]];
      if (atFast === undefined || atSlow === undefined) throw new Error(`the call did not fork to both phones (final ${final.status})\n${output()}`);
      return branchCounter(atFast) < branchCounter(atSlow) ? { status: final.status, first: 'fast' } : undefined;
    }, 'a call sent to the fast phone first', 10_000, output);
    expect(order).toEqual({ status: 486, first: 'fast' });
  }, 60_000);

  it('--ping-remove-on-timeout 1 --ping-max-lost 1 removes a phone whose ping gets no answer (after Timer F, 32 s); an answering one stays', async () => {
    const { port, call } = await scene(['--ping-interval', '1', '--ping-remove-on-timeout', '1', '--ping-max-lost', '1']);
    const mute = await phone(port, `sip:mute@${DOMAIN}`, undefined);
    const live = await phone(port, `sip:live@${DOMAIN}`, PONG);

    await eventually(async () => ((await queryBindings(port, `sip:mute@${DOMAIN}`)).contacts.length === 0 ? true : undefined),
      'the removal of the unanswering phone', 50_000, output, 1_000);
    expect(output()).toContain('contact removed: its pings went unanswered');
    expect(mute.requests('OPTIONS').length).toBeGreaterThan(0);
    expect((await call(`sip:mute@${DOMAIN}`)).final.status).toBe(404);
    expect((await queryBindings(port, `sip:live@${DOMAIN}`)).contacts).toHaveLength(1);
    expect(live.answered('OPTIONS')).toBeGreaterThan(0);
  }, 90_000);
});
