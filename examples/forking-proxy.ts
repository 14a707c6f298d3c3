/**
 * A proxy with its own routing that forks calls to every device of a user with sipreg's
 * transaction-stateful proxy core (RFC 3261 §16), as an OpenSIPS script does `lookup()` then
 * `t_relay()`: a desk phone and a mobile registered to one AOR both ring, the first to answer gets
 * the call, the other is cancelled, and the caller gets exactly one 200. `createRegistrarServer`
 * (the CLI) does the same in one call; this is the way to keep your own routing decisions.
 *
 * Run: `node --import tsx examples/forking-proxy.ts` (Ctrl-C to stop), or with `--smoke` to
 * register two phones, call them and exit.
 */
import dgram from 'node:dgram';
import { ForkingProxy, createRegistrar, qGroups, resolveTransactionTimers, silentLogger, systemClock } from 'sipreg';
import type { SipRequest, Source } from 'sipreg';
import { createNodeTransport } from 'sipreg/transports/node';

const registrar = createRegistrar();
const transport = await createNodeTransport({ listen: [`udp:127.0.0.1:${process.env.PORT ?? 0}`] });
const [local] = transport.endpoints();
const proxy = new ForkingProxy({
  transport,
  clock: systemClock,
  timers: resolveTransactionTimers('example', {}),
  logger: silentLogger,
  frTimeoutMs: 5_000, // tm fr_timeout: a phone that never answers counts as 408
  frInvTimeoutMs: 60_000, // tm fr_inv_timeout: how long a phone may ring
});

async function onRequest(request: SipRequest, source: Source): Promise<void> {
  if (request.method === 'REGISTER') {
    const result = await registrar.save(request, { source });
    if (result.response) await transport.sendResponse(result.response, request, source);
    return;
  }
  // A retransmission, the caller's CANCEL, the ACK of a non-2xx: the proxy's transactions take them.
  if (proxy.absorb(request, source) || request.method === 'ACK' || request.method === 'CANCEL') return;
  const transaction = proxy.open(request, source);
  if (transaction === undefined) return; // too many at once: answered 503
  const found = await registrar.lookup(request);
  if (found.kind === 'found') transaction.relay({ groups: qGroups(found.targets) });
  else transaction.reply(404, 'Not Found');
}

transport.onRequest((request, source) => void onRequest(request, source));
transport.onResponse((response) => proxy.receiveResponse(response));
console.log(`forking proxy on udp:${local.address}:${local.port}`);
if (process.argv.includes('--smoke')) await smoke();

/** A UDP socket on 127.0.0.1 that keeps what it receives. */
async function udpPeer(): Promise<{ port: number; received: string[]; send(text: string): void; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const received: string[] = [];
  socket.on('message', (m) => received.push(m.toString()));
  return {
    port: socket.address().port,
    received,
    send: (text) => socket.send(text, local.port, local.address),
    close: () => socket.close(),
  };
}

/** A phone's answer to the request it received: same Via, From, Call-ID, CSeq; a To tag. */
function answer(request: string, status: string): string {
  const keep = request.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
  return [`SIP/2.0 ${status}`, ...keep.map((l) => (l.startsWith('To:') ? `${l};tag=callee` : l)), 'Content-Length: 0', '', ''].join('\r\n');
}

/** Desk phone and mobile register; a call rings both; the mobile answers; the desk phone gets CANCEL. */
async function smoke(): Promise<void> {
  const [desk, mobile, caller] = [await udpPeer(), await udpPeer(), await udpPeer()];
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const lines = (...l: string[]) => [...l, 'Content-Length: 0', '', ''].join('\r\n');
  for (const [phone, n] of [[desk, 1], [mobile, 2]] as const) {
    phone.send(lines('REGISTER sip:example.com SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${phone.port};branch=z9hG4bK-reg${n};rport`,
      'Max-Forwards: 70', `From: <sip:bob@example.com>;tag=r${n}`, 'To: <sip:bob@example.com>', `Call-ID: reg-${n}`, 'CSeq: 1 REGISTER',
      `Contact: <sip:bob@127.0.0.1:${phone.port}>`));
  }
  await wait(100);
  caller.send(lines('INVITE sip:bob@example.com SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${caller.port};branch=z9hG4bK-call1;rport`,
    'Max-Forwards: 70', 'From: <sip:carol@example.com>;tag=c1', 'To: <sip:bob@example.com>', 'Call-ID: call-1', 'CSeq: 1 INVITE',
    `Contact: <sip:carol@127.0.0.1:${caller.port}>`));
  await wait(100);
  const invite = (phone: { received: string[] }) => phone.received.find((m) => m.startsWith('INVITE ')) ?? '';
  desk.send(answer(invite(desk), '180 Ringing'));
  mobile.send(answer(invite(mobile), '200 OK'));
  await wait(200);
  const cancel = desk.received.find((m) => m.startsWith('CANCEL ')) ?? '';
  desk.send(answer(cancel, '200 OK'));
  desk.send(answer(invite(desk), '487 Request Terminated'));
  await wait(200);
  const finals = caller.received.filter((m) => /^SIP\/2\.0 [2-6]/.test(m)).map((m) => m.split('\r\n')[0]);
  const ok = finals.length === 1 && finals[0] === 'SIP/2.0 200 OK' && cancel !== '' && desk.received.some((m) => m.startsWith('ACK '));
  console.log(ok ? 'smoke: OK' : `smoke: FAILED (caller got ${finals.join(', ')}; desk got ${desk.received.map((m) => m.split('\r\n')[0]).join(', ')})`);
  for (const p of [desk, mobile, caller]) p.close();
  await transport.close();
  await registrar.close();
  process.exit(ok ? 0 : 1);
}
