/**
 * Interop (issue 21 proof): the reg-event and push MI commands over real HTTP against running
 * `sipreg registrar` CLI processes on 127.0.0.1, with test sockets playing the phones, the caller
 * and a push gateway.
 *
 * It proves:
 * 1. `reginfo_subscribe` (OpenSIPS `pua_reginfo`): registrar B, started with reg-event on but no
 *    `--reginfo-subscribe`, subscribes through MI to alice's reg-event at registrar A (RFC 3680);
 *    the answer says the subscription is active (A answered 200), and a phone that then
 *    registers at A shows in B's location (`ul_show_contact` at B), and leaves it when it
 *    de-registers at A. An AOR without a sip: scheme and `expires` 0 are -32602 naming them.
 * 2. `reginfo_update` at A sends the watchers of alice (the test subscribed as one, RFC 3680 §4)
 *    a new full-state NOTIFY with her contact and the next version (§5.3), B keeps her; an AOR
 *    without bindings is -32004.
 * 3. `push_pending` (RFC 8599): a device registered with `pn-*` parameters at a registrar run with
 *    `--pn-enable --pn-webhook`; a MESSAGE for it makes the lookup push (the webhook the test
 *    serves gets the POST); `push_pending` then lists the binding (its AOR as the usrloc key,
 *    as `ul_dump` prints it) with its reason, provider, prid and the one waiting request; once
 *    the device re-registers the MESSAGE reaches it and `push_pending` is empty.
 */
import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { miCall, type MiResponse } from '../helpers/mi-call';
import { PushWebhook } from '../helpers/push-webhook';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const AOR = 'sip:alice@example.com';
/** How long a change at A may take to show at B (it normally takes a few ms). */
const PROPAGATION_TIMEOUT_MS = 5_000;

/** A CLI registrar with the management interface: its SIP port, MI URL and process. */
interface Node {
  readonly port: number;
  readonly mi: string;
  readonly process: ManagedProcess;
}

async function startNode(extraArgs: readonly string[], port?: number): Promise<Node> {
  const sip = port ?? await freePort('udp');
  const miPort = await freePort('tcp');
  const process = await startSipreg({ port: sip, extraArgs: ['--mi-listen', `http:127.0.0.1:${miPort}`, ...extraArgs] });
  return { port: sip, mi: `http://127.0.0.1:${miPort}/mi`, process };
}

/** reg-event on, no PUBLISH (no presence server here). */
const reginfoFlags = (port: number): string[] => ['--reginfo-server-address', `sip:reginfo@127.0.0.1:${port}`, '--reginfo-publish', '0'];

/** The Contact URIs of `aor` in `node`'s location, [] when it has none (-32004). */
async function contactsAt(node: Node, aor: string): Promise<string[]> {
  const answer: MiResponse = await miCall(node.mi, 'ul_show_contact', { table_name: 'location', aor });
  if (answer.error?.code === -32004) return [];
  if (answer.error !== undefined) throw new Error(`ul_show_contact: ${JSON.stringify(answer.error)}`);
  return (answer.result as { Contacts: { Contact: string }[] }).Contacts.map((c) => c.Contact);
}

/** Resolve once `node`'s location holds exactly `expected` for `aor`. */
function locationBecomes(node: Node, aor: string, expected: readonly string[], what: string): Promise<string[]> {
  const wanted = JSON.stringify([...expected].sort());
  return eventually(async () => {
    const contacts = await contactsAt(node, aor);
    return JSON.stringify(contacts.sort()) === wanted ? contacts : undefined;
  }, what, PROPAGATION_TIMEOUT_MS, () => node.process.output());
}

describe('reginfo_subscribe and reginfo_update over MI between two sipreg registrars', () => {
  let a: Node | undefined;
  let b: Node | undefined;
  let phone: UdpSipPeer;
  let cseq = 0;

  const nodes = (): { a: Node; b: Node } => {
    if (a === undefined || b === undefined) throw new Error('the registrars did not start');
    return { a, b };
  };

  /** REGISTER (expires 0: de-REGISTER) the phone's contact for alice at `node`. */
  const register = async (node: Node, expires: number): Promise<number> => {
    cseq += 1;
    const request = buildRegister({ aor: AOR, contacts: [{ uri: phone.uri, expires }], callId: `mi-reginfo-${process.pid}@127.0.0.1`, cseq, fromTag: 'phone', via: { port: phone.port, rport: true } });
    return (await phone.request(request, node.port)).status;
  };

  beforeAll(async () => {
    const [portA, portB] = [await freePort('udp'), await freePort('udp')];
    phone = await UdpSipPeer.open();
    [a, b] = await Promise.all([
      startNode(reginfoFlags(portA), portA),
      startNode([...reginfoFlags(portB), '--reginfo-outbound-proxy', `sip:127.0.0.1:${portA}`], portB),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.process.stop(), b?.process.stop()]);
    await phone?.close();
  });

  it('reginfo_subscribe: B subscribes to alice at A through MI, and a phone registering at A is in B\'s location', async () => {
    const { a, b } = nodes();
    expect((await miCall(b.mi, 'reginfo_subscribe', { aor: 'alice@example.com' })).error).toMatchObject({ code: -32602, data: { param: 'aor' } });
    expect((await miCall(b.mi, 'reginfo_subscribe', { aor: AOR, expires: 0 })).error).toMatchObject({ code: -32602, data: { param: 'expires' } });
    const subscribed = await miCall(b.mi, 'reginfo_subscribe', { aor: AOR, expires: 600 });
    expect(subscribed.result).toMatchObject({ uri: AOR, status: 'active', last_reply: 200, expires_at: expect.any(String) });

    expect(await contactsAt(b, AOR)).toEqual([]);
    expect(await register(a, 600)).toBe(200);
    await locationBecomes(b, AOR, [phone.uri], `${phone.uri} in B's location after the REGISTER at A`);
    expect(await register(a, 0)).toBe(200);
    await locationBecomes(b, AOR, [], `alice gone from B's location after the de-REGISTER at A`);
  });

  it('reginfo_update: A sends its watchers alice\'s full state again, B still holds her; -32004 for an AOR without bindings', async () => {
    const { a, b } = nodes();
    expect((await miCall(a.mi, 'reginfo_update', { aor: AOR })).error).toMatchObject({ code: -32004, data: { aor: AOR } });
    expect(await register(a, 600)).toBe(200);
    await locationBecomes(b, AOR, [phone.uri], `${phone.uri} in B's location after the REGISTER at A`);
    const watcher = await UdpSipPeer.open({ user: 'watcher' });
    try {
      const callId = `mi-watch-${process.pid}@127.0.0.1`;
      const subscribe = buildRequest('SUBSCRIBE', {
        requestUri: AOR, to: AOR, from: watcher.uri, callId, via: { port: watcher.port, rport: true }, contacts: [watcher.uri],
        headers: [['Event', 'reg'], ['Accept', 'application/reginfo+xml'], ['Expires', '120']],
      });
      expect((await watcher.request(subscribe, a.port)).status).toBe(200);
      const notifies = (): string[] => watcher.requests().filter((r) => r.method === 'NOTIFY' && r.callId === callId).map((r) => new TextDecoder().decode(r.body));
      const initial = await eventually(() => notifies()[0], "the watcher's first NOTIFY", PROPAGATION_TIMEOUT_MS, () => a.process.output());
      expect(initial).toMatch(/state="full"/);

      expect((await miCall(a.mi, 'reginfo_update', { aor: 'alice@example.com' })).result).toBe('OK');
      const again = await eventually(() => notifies()[1], 'a second NOTIFY after reginfo_update', PROPAGATION_TIMEOUT_MS, () => a.process.output());
      expect(again).toMatch(/state="full"/);
      expect(again).toContain(`<uri>${phone.uri}</uri>`);
      expect(Number(/version="(\d+)"/.exec(again)?.[1])).toBe(Number(/version="(\d+)"/.exec(initial)?.[1]) + 1);
      expect(await contactsAt(b, AOR)).toEqual([phone.uri]);
    } finally {
      await watcher.close();
    }
  });
});

describe('push_pending over MI: a binding pushed on a lookup waits until its device re-registers', () => {
  let node: Node | undefined;
  let webhook: PushWebhook;
  let device: UdpSipPeer;
  let caller: UdpSipPeer;

  beforeAll(async () => {
    webhook = new PushWebhook();
    const hook = await webhook.listen();
    [device, caller] = await Promise.all([UdpSipPeer.open({ user: 'dev' }), UdpSipPeer.open({ user: 'carol' })]);
    // A long refresh timeout: the binding stays pending while the test looks at it.
    node = await startNode(['--pn-enable', '1', '--pn-providers', 'apns', '--pn-webhook', hook, '--pn-refresh-timeout', '30']);
  }, 30_000);

  afterAll(async () => {
    await node?.process.stop();
    await Promise.all([device?.close(), caller?.close()]);
    await webhook?.close();
  });

  it('lists the binding the MESSAGE pushed, then nothing once the device re-registered and got the MESSAGE', async () => {
    if (node === undefined) throw new Error('the registrar did not start');
    const contact = `${device.uri};pn-provider=apns;pn-prid=tok-1;pn-param=ABCD.com.example.voip`;
    const callId = `mi-push-${process.pid}@127.0.0.1`;
    const register = (cseq: number): string => buildRegister({ aor: AOR, contacts: [{ uri: contact, expires: 600 }], callId, cseq, fromTag: 'dev', via: { port: device.port, rport: true } });
    expect((await device.request(register(1), node.port)).status).toBe(200);
    expect((await miCall(node.mi, 'push_pending')).result).toEqual({ Bindings: [] });

    const message = caller.request(buildRequest('MESSAGE', { requestUri: AOR, to: AOR, from: 'sip:carol@example.com', via: { port: caller.port, rport: true }, body: 'wake up' }), node.port, 10_000);
    const pushed = await webhook.next('tok-1');
    expect(pushed).toMatchObject({ provider: 'apns', prid: 'tok-1', reason: 'lookup', attempt: 1 });
    expect((await miCall(node.mi, 'push_pending')).result).toEqual({
      Bindings: [{
        aor: 'alice@example.com',
        contact,
        reason: 'lookup',
        pn_provider: 'apns',
        pn_prid: 'tok-1',
        attempts: 1,
        started_at: expect.any(String),
        retry_until: expect.any(String),
        waiting_requests: 1,
      }],
    });

    expect((await device.request(register(2), node.port)).status).toBe(200);
    expect((await message).status).toBe(200);
    expect(device.requests().filter((r) => r.method === 'MESSAGE')).toHaveLength(1);
    expect((await miCall(node.mi, 'push_pending')).result).toEqual({ Bindings: [] });
  });
});
