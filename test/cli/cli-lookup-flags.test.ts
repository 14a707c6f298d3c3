/**
 * `sipreg registrar --lookup-flags` on the wire (issue 22): the CLI registrar on UDP 127.0.0.1
 * forks INVITEs to phones that registered with it (OpenSIPS `lookup()` then `t_relay()`).
 * Every phone answers an INVITE 486, so the caller gets its final response only once every
 * branch has answered (RFC 3261 §16.7 step 5): what the phones received by then is every
 * branch there was.
 */
import { IdSequence } from '../../src/testing/message-builders';
import { useCallScene } from '../helpers/call-scene';
import { UdpPhone } from '../helpers/udp-phone';

const DOMAIN = 'example.com';
const ids = new IdSequence('lookup-flags');
const BUSY = { INVITE: { status: 486, reason: 'Busy Here' } } as const;

describe('sipreg registrar --lookup-flags', () => {
  const { scene: start, keep } = useCallScene(DOMAIN, ids);
  /** The registrar serving {@link DOMAIN} with `--lookup-flags flags`, and a caller. */
  const scene = (flags: string) => start(['--log-level', 'error', '--lookup-flags', flags]);

  async function phone(user: string): Promise<UdpPhone> {
    return keep(await UdpPhone.open({ user, answers: BUSY, ids }));
  }

  /** The Request-URIs of the INVITEs of call `callId` that reached `p`, retransmissions once. */
  const invitesOf = (p: UdpPhone, callId: string): string[] => [...new Set(p.requests('INVITE').filter((r) => r.callId === callId).map((r) => r.uri))];

  it('B (to branches only): an INVITE to an AOR with two bindings reaches both (it used to answer 404)', async () => {
    const { port, call } = await scene('B');
    const [desk, mobile] = [await phone('bob'), await phone('bob')];
    expect((await desk.register(port, `sip:bob@${DOMAIN}`)).status).toBe(200);
    expect((await mobile.register(port, `sip:bob@${DOMAIN}`)).status).toBe(200);

    const { callId, final } = await call(`sip:bob@${DOMAIN}`);
    expect(final.status).toBe(486);
    expect({ desk: invitesOf(desk, callId), mobile: invitesOf(mobile, callId) }).toEqual({ desk: [desk.uri], mobile: [mobile.uri] });
  }, 60_000);

  it('b (no branches): only the best binding gets the INVITE, the highest q, else the most recent', async () => {
    const { port, call } = await scene('b');
    const [high, low, older, newer] = [await phone('bob'), await phone('bob'), await phone('carol'), await phone('carol')];
    expect((await high.register(port, `sip:bob@${DOMAIN}`, { q: 0.9 })).status).toBe(200);
    expect((await low.register(port, `sip:bob@${DOMAIN}`, { q: 0.1 })).status).toBe(200);
    expect((await older.register(port, `sip:carol@${DOMAIN}`)).status).toBe(200);
    expect((await newer.register(port, `sip:carol@${DOMAIN}`)).status).toBe(200);

    const bob = await call(`sip:bob@${DOMAIN}`);
    const carol = await call(`sip:carol@${DOMAIN}`);
    expect([bob.final.status, carol.final.status]).toEqual([486, 486]);
    expect({
      high: invitesOf(high, bob.callId), low: invitesOf(low, bob.callId),
      older: invitesOf(older, carol.callId), newer: invitesOf(newer, carol.callId),
    }).toEqual({ high: [high.uri], low: [], older: [], newer: [newer.uri] });
  }, 60_000);

  it('r: an INVITE to an alias AOR (its Contact is an AOR of this registrar) reaches the phones of that AOR', async () => {
    const { port, call } = await scene('r');
    const [alice, desk] = [await phone('alice'), await phone('sales')];
    expect((await alice.register(port, `sip:alice@${DOMAIN}`)).status).toBe(200);
    expect((await desk.register(port, `sip:sales@${DOMAIN}`, { uri: `sip:alice@${DOMAIN}` })).status).toBe(200);

    const { callId, final } = await call(`sip:sales@${DOMAIN}`);
    // The one branch is alice's phone. The alias binding itself is not a branch: without r the
    // INVITE goes to it, Request-URI sip:alice@example.com, to where it registered from (desk).
    expect(final.status).toBe(486);
    expect({ alice: invitesOf(alice, callId), desk: invitesOf(desk, callId) }).toEqual({ alice: [alice.uri], desk: [] });
  }, 60_000);
});
