/**
 * The registrar extensions on the wire: the sipreg CLI process on UDP 127.0.0.1, driven by test
 * sockets playing UAs, an edge proxy, push devices and a push gateway (an HTTP webhook). Every
 * assertion is on the bytes that come back.
 */
import { freePort } from '../helpers/free-port';
import { PushWebhook } from '../helpers/push-webhook';
import { queryBindings } from '../helpers/query-bindings';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { buildRegister, buildRequest, buildResponseText, IdSequence, type ContactSpec } from '../../src/testing/message-builders';
import { headerValues, requestUri, UdpPeer } from './udp-peer';

interface Running {
  readonly process: ManagedProcess;
  readonly port: number;
}

async function start(args: readonly string[]): Promise<Running> {
  const port = await freePort();
  return { process: await startSipreg({ port, extraArgs: ['--log-level', 'error', ...args] }), port };
}

const ids = new IdSequence('wire');
const peers: UdpPeer[] = [];
let webhook: PushWebhook;
let path: Running;
let gruu: Running;
let push: Running;
let outbound: Running;

async function peer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  peers.push(p);
  return p;
}

/** A REGISTER sent from `from` (Via and default Contact at its port). */
function register(from: UdpPeer, aor: string, extra: { contacts?: ContactSpec[]; callId?: string; cseq?: number; path?: string[]; supported?: string[]; require?: string[] } = {}): string {
  return buildRegister({ aor, via: { port: from.port, rport: true }, ids, ...extra });
}

function invite(from: UdpPeer, uri: string, to = uri): string {
  return buildRequest('INVITE', { requestUri: uri, to, via: { port: from.port, rport: true }, from: 'sip:caller@example.com', ids });
}

/** Nothing more than what was taken arrives at `p` within a short while but the `100 Trying` a stateful proxy sends a caller (RFC 3261 §16.2). */
async function staysQuiet(p: UdpPeer): Promise<void> {
  await new Promise((r) => setTimeout(r, 150));
  expect(p.received.map((r) => r.text).filter((t) => !t.startsWith('SIP/2.0 100 '))).toEqual([]);
}

beforeAll(async () => {
  webhook = new PushWebhook();
  const hook = await webhook.listen();
  [path, gruu, push, outbound] = await Promise.all([
    start(['--save-flags', 'p2v']),
    start(['--disable-gruu', '0', '--gruu-secret', 's']),
    start(['--pn-enable', '1', '--pn-providers', 'apns, fcm', '--pn-webhook', hook, '--pn-refresh-timeout', '1',
      '--pn-enable-purr', '1', '--pn-purr-secret', 'wire-purr']),
    start(['--flow-timer', '30', '--service-route', '<sip:orig@127.0.0.1:5099;lr>']),
  ]);
});

afterAll(async () => {
  for (const p of peers) p.close();
  await Promise.all([path, gruu, push, outbound].filter((r) => r !== undefined).map((r) => r.process.stop()));
  await webhook?.close();
});

describe('Path (RFC 3327) with --save-flags p2v', () => {
  it('answers 420 with Unsupported: path when the UA did not say Supported: path', async () => {
    const edge = await peer();
    const reply = await edge.request(register(edge, 'sip:pat@example.com', { path: [`sip:127.0.0.1:${edge.port};lr`] }), path.port);
    expect(reply).toMatch(/^SIP\/2\.0 420 /);
    expect(headerValues(reply, 'Unsupported')).toEqual(['path']);
  });

  it('echoes the Path and routes a later INVITE through the first Path URI with the Path as Route', async () => {
    const edge = await peer();
    const caller = await peer();
    const routeSet = [`sip:127.0.0.1:${edge.port};lr`, 'sip:core.example.net;lr'];
    const reply = await edge.request(register(edge, 'sip:pam@example.com', {
      contacts: ['sip:pam@192.0.2.44:5062'], path: routeSet, supported: ['path'],
    }), path.port);
    expect(reply).toMatch(/^SIP\/2\.0 200 /);
    expect(headerValues(reply, 'Path').join(',').replace(/\s/g, '')).toBe(routeSet.map((u) => `<${u}>`).join(','));

    await caller.send(invite(caller, 'sip:pam@example.com'), path.port);
    const forwarded = await edge.next((t) => t.startsWith('INVITE '));
    expect(requestUri(forwarded.text)).toBe('sip:pam@192.0.2.44:5062');
    expect(forwarded.from.port).toBe(path.port);
    expect(headerValues(forwarded.text, 'Route').join(',').replace(/\s/g, '')).toBe(routeSet.map((u) => `<${u}>`).join(','));
    await staysQuiet(caller);
  });

  it('takes the received address from the first Path URI (v) yet still routes through the Path, as OpenSIPS does', async () => {
    const [edge, caller] = [await peer(), await peer()];
    const first = `sip:127.0.0.1:${edge.port};lr;received=sip:203.0.113.9:6000`;
    const reply = await edge.request(register(edge, 'sip:val@example.com', { contacts: ['sip:val@10.1.1.1:5060'], path: [first], supported: ['path'] }), path.port);
    expect(headerValues(reply, 'Contact')).toEqual(['<sip:val@10.1.1.1:5060>;expires=3600;received="sip:203.0.113.9:6000"']);
    await caller.send(invite(caller, 'sip:val@example.com'), path.port);
    const forwarded = await edge.next((t) => t.startsWith('INVITE '));
    expect(requestUri(forwarded.text)).toBe('sip:val@10.1.1.1:5060');
    expect(headerValues(forwarded.text, 'Route')).toEqual([`<${first}>`]);
  });
});

describe('GRUU (RFC 5627) with --disable-gruu 0 --gruu-secret s', () => {
  const instance = (n: string) => `"<urn:uuid:00000000-0000-1000-8000-00000000000${n}>"`;
  const gruuOf = (reply: string, port: number, kind: 'pub-gruu' | 'temp-gruu'): string => {
    // The 200 lists every binding, comma-separated on one line (no commas inside these values).
    const contact = headerValues(reply, 'Contact').flatMap((v) => v.split(/,\s*(?=<)/)).find((c) => c.includes(`@127.0.0.1:${port}>`));
    const m = new RegExp(`;${kind}="([^"]+)"`).exec(contact ?? '');
    if (m === null) throw new Error(`no ${kind} for port ${port} in:\n${reply}`);
    return m[1];
  };

  it('hands out pub-gruu and temp-gruu, and routes each GRUU to its instance only', async () => {
    const [a, b, caller] = [await peer(), await peer(), await peer()];
    const regA = await a.request(register(a, 'sip:gina@example.com', {
      contacts: [{ uri: `sip:gina@127.0.0.1:${a.port}`, params: { '+sip.instance': instance('a') } }], supported: ['gruu'],
    }), gruu.port);
    expect(regA).toMatch(/^SIP\/2\.0 200 /);
    const pubA = gruuOf(regA, a.port, 'pub-gruu');
    expect(pubA).toBe('sip:gina@example.com;gr=urn:uuid:00000000-0000-1000-8000-00000000000a');
    expect(gruuOf(regA, a.port, 'temp-gruu')).toMatch(/^sip:[^@;]+@example\.com;gr$/);
    const regB = await b.request(register(b, 'sip:gina@example.com', {
      contacts: [{ uri: `sip:gina@127.0.0.1:${b.port}`, params: { '+sip.instance': instance('b') } }], supported: ['gruu'],
    }), gruu.port);
    const tempB = gruuOf(regB, b.port, 'temp-gruu');

    // The pub-gruu of A (the older binding, not the AOR's first choice) reaches A only, without gr.
    await caller.send(invite(caller, pubA), gruu.port);
    const atA = await a.next((t) => t.startsWith('INVITE '));
    expect(requestUri(atA.text)).toBe(`sip:gina@127.0.0.1:${a.port}`);
    await staysQuiet(b);

    await caller.send(invite(caller, tempB), gruu.port);
    const atB = await b.next((t) => t.startsWith('INVITE '));
    expect(requestUri(atB.text)).toBe(`sip:gina@127.0.0.1:${b.port}`);
    await staysQuiet(a);
    await staysQuiet(caller);
  });

  it('answers 480 to a GRUU whose instance de-registered while its AOR has other bindings', async () => {
    const [ua, other, caller] = [await peer(), await peer(), await peer()];
    const contact = { uri: `sip:gus@127.0.0.1:${ua.port}`, params: { '+sip.instance': instance('c') } };
    const callId = `${ids.next()}@wire`;
    // A public GRUU of an AOR without any binding is 404 (anyone can write one); this keeps the AOR known.
    await other.request(register(other, 'sip:gus@example.com', {
      contacts: [{ uri: `sip:gus@127.0.0.1:${other.port}`, params: { '+sip.instance': instance('d') } }], supported: ['gruu'],
    }), gruu.port);
    const reg = await ua.request(register(ua, 'sip:gus@example.com', { contacts: [contact], supported: ['gruu'], callId }), gruu.port);
    const pub = gruuOf(reg, ua.port, 'pub-gruu');
    const temp = gruuOf(reg, ua.port, 'temp-gruu');
    const unreg = await ua.request(register(ua, 'sip:gus@example.com', { contacts: [{ ...contact, expires: 0 }], supported: ['gruu'], callId, cseq: 2 }), gruu.port);
    expect(unreg).toMatch(/^SIP\/2\.0 200 /);
    expect(await caller.request(invite(caller, pub), gruu.port)).toMatch(/^SIP\/2\.0 480 /);
    expect(await caller.request(invite(caller, temp), gruu.port)).toMatch(/^SIP\/2\.0 480 /);
    await staysQuiet(ua);
    await staysQuiet(other);
  });
});

describe('push notifications (RFC 8599) with --pn-enable 1 --pn-providers "apns, fcm" --pn-enable-purr 1', () => {
  const device = (port: number, prid: string, provider = 'apns'): ContactSpec =>
    ({ uri: `sip:dev@127.0.0.1:${port};pn-provider=${provider};pn-prid=${prid};pn-param=ABCD.com.example.voip` });

  it('answers 555 to an unsupported pn-provider and 200 with Feature-Caps +sip.pns for apns', async () => {
    const ua = await peer();
    const refused = await ua.request(register(ua, 'sip:pia@example.com', { contacts: [device(ua.port, 'p0', 'foo')] }), push.port);
    expect(refused).toMatch(/^SIP\/2\.0 555 Push Notification Service Not Supported/);
    const ok = await ua.request(register(ua, 'sip:pia@example.com', { contacts: [device(ua.port, 'p1')] }), push.port);
    expect(ok).toMatch(/^SIP\/2\.0 200 /);
    expect(headerValues(ok, 'Feature-Caps')).toContainEqual(expect.stringMatching(/^\*;\+sip\.pns="apns"/));
  });

  it('refreshes the same device re-registering from another port (one binding)', async () => {
    const [first, second] = [await peer(), await peer()];
    const callId = `${ids.next()}@wire`;
    expect(await first.request(register(first, 'sip:pete@example.com', { contacts: [device(first.port, 'p2')], callId }), push.port)).toMatch(/^SIP\/2\.0 200 /);
    expect(await second.request(register(second, 'sip:pete@example.com', { contacts: [device(second.port, 'p2')], callId, cseq: 2 }), push.port)).toMatch(/^SIP\/2\.0 200 /);
    const query = await queryBindings(push.port, 'sip:pete@example.com');
    expect(query.contacts).toHaveLength(1);
    expect(query.contacts[0]).toContain(`sip:dev@127.0.0.1:${second.port};pn-provider=apns;pn-prid=p2`);
  });

  it('holds an INVITE for a sleeping device, pushes it and forwards the INVITE once it re-registers', async () => {
    const [asleep, awake, caller] = [await peer(), await peer(), await peer()];
    const callId = `${ids.next()}@wire`;
    await asleep.request(register(asleep, 'sip:paula@example.com', { contacts: [device(asleep.port, 'p3')], callId }), push.port);
    await caller.send(invite(caller, 'sip:paula@example.com'), push.port);
    const pushed = await webhook.next('p3');
    expect(pushed).toEqual({
      provider: 'apns', prid: 'p3', param: 'ABCD.com.example.voip', aor: 'paula@example.com',
      contact: `sip:dev@127.0.0.1:${asleep.port};pn-provider=apns;pn-prid=p3;pn-param=ABCD.com.example.voip`, reason: 'lookup', attempt: 1,
    });
    const rereg = await awake.request(register(awake, 'sip:paula@example.com', { contacts: [device(awake.port, 'p3')], callId, cseq: 2 }), push.port);
    expect(rereg).toMatch(/^SIP\/2\.0 200 /);
    const forwarded = await awake.next((t) => t.startsWith('INVITE '));
    expect(requestUri(forwarded.text)).toBe(`sip:dev@127.0.0.1:${awake.port}`);
    // The device's answer goes back through the registrar to the caller.
    await awake.send(buildResponseText(forwarded.text, 180, 'Ringing'), push.port);
    expect((await caller.next((t) => !t.startsWith('SIP/2.0 100 '))).text).toMatch(/^SIP\/2\.0 180 Ringing\r\n/);
    await staysQuiet(asleep);
    await staysQuiet(caller);
  });

  it('wakes the device of a PURR-carrying in-dialog request and forwards it to its fresh address', async () => {
    const [asleep, awake, peerUa] = [await peer(), await peer(), await peer()];
    const callId = `${ids.next()}@wire`;
    const reg = await asleep.request(register(asleep, 'sip:pam@example.com', { contacts: [device(asleep.port, 'p5')], callId }), push.port);
    const purr = /;\+sip\.pnspurr="([^"]+)"/.exec(headerValues(reg, 'Feature-Caps').join('\n'))?.[1];
    expect(purr).toBeDefined();
    // The device put the PURR in its dialog Contact (RFC 8599 §9), so it is the BYE's remote target.
    const target = `sip:dev@127.0.0.1:${asleep.port};pn-purr=${purr}`;
    await peerUa.send(buildRequest('BYE', { requestUri: target, to: 'sip:pam@example.com', toTag: 'dlg-1', via: { port: peerUa.port, rport: true }, ids }), push.port);
    expect(await webhook.next('p5')).toMatchObject({ provider: 'apns', aor: 'pam@example.com', reason: 'purr', attempt: 1 });
    await awake.request(register(awake, 'sip:pam@example.com', { contacts: [device(awake.port, 'p5')], callId, cseq: 2 }), push.port);
    const forwarded = await awake.next((t) => t.startsWith('BYE '));
    expect(requestUri(forwarded.text)).toBe(target);
    await staysQuiet(asleep);
  });

  it('answers 480 when the pushed device does not re-register within --pn-refresh-timeout 1', async () => {
    const [asleep, caller] = [await peer(), await peer()];
    await asleep.request(register(asleep, 'sip:pavel@example.com', { contacts: [device(asleep.port, 'p4')] }), push.port);
    const reply = caller.request(invite(caller, 'sip:pavel@example.com'), push.port, 3_000);
    expect((await webhook.next('p4')).reason).toBe('lookup');
    expect(await reply).toMatch(/^SIP\/2\.0 480 /);
    await staysQuiet(asleep);
  });
});

describe('outbound (RFC 5626) with --flow-timer 30, and --service-route', () => {
  const flow = (p: UdpPeer): ContactSpec =>
    ({ uri: `sip:olga@127.0.0.1:${p.port};ob`, params: { '+sip.instance': '"<urn:uuid:00000000-0000-1000-8000-0000000000f1>"', 'reg-id': '1' } });

  it('answers Require: outbound, Flow-Timer: 30 and the Service-Route to a UA registering a flow', async () => {
    const ua = await peer();
    const reply = await ua.request(register(ua, 'sip:olga@example.com', { contacts: [flow(ua)], supported: ['outbound', 'path'] }), outbound.port);
    expect(reply).toMatch(/^SIP\/2\.0 200 /);
    expect(headerValues(reply, 'Require')).toContain('outbound');
    expect(headerValues(reply, 'Flow-Timer')).toEqual(['30']);
    expect(headerValues(reply, 'Service-Route')).toEqual(['<sip:orig@127.0.0.1:5099;lr>']);
  });

  it('forwards a request to the AOR over the flow the REGISTER came in on, not to the Contact host', async () => {
    const [ua, caller] = [await peer(), await peer()];
    const contact: ContactSpec = { uri: 'sip:oscar@192.0.2.50:5060;ob', params: { '+sip.instance': '"<urn:uuid:00000000-0000-1000-8000-0000000000f2>"', 'reg-id': '1' } };
    expect(await ua.request(register(ua, 'sip:oscar@example.com', { contacts: [contact], supported: ['outbound'] }), outbound.port)).toMatch(/^SIP\/2\.0 200 /);
    await caller.send(invite(caller, 'sip:oscar@example.com'), outbound.port);
    const forwarded = await ua.next((t) => t.startsWith('INVITE '));
    expect(requestUri(forwarded.text)).toBe('sip:oscar@192.0.2.50:5060;ob');
    await staysQuiet(caller);
  });

  it('answers 439 when an edge proxy without outbound support (Path without ob) relays the flow', async () => {
    const edge = await peer();
    const text = register(edge, 'sip:olga@example.com', { contacts: [flow(edge)], supported: ['outbound', 'path'], path: [`sip:127.0.0.1:${edge.port};lr`] })
      .replace(/^(Via: [^\r]+\r\n)/m, '$1Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-ua1\r\n');
    expect(await edge.request(text, outbound.port)).toMatch(/^SIP\/2\.0 439 First Hop Lacks Outbound Support/);
  });
});
