/**
 * Keep two registrars' locations in sync with reg-event (RFC 3680; OpenSIPS pua_reginfo):
 * node B subscribes to node A for an AOR and applies A's NOTIFYs to its own location, so a
 * phone registered on A is found by B's lookup; when the phone de-registers, B loses it too.
 * No presence server: A answers the SUBSCRIBE itself (the notifier side), with a full-state
 * NOTIFY and then a partial NOTIFY on every change.
 *
 * Run: `node --import tsx examples/reginfo-sync.ts` (Ctrl-C stops), or with `--smoke` to
 * register a phone on A, check B finds it, de-register it, check B lost it, and exit.
 */
import dgram from 'node:dgram';
import { createRegistrar, createRegistrarServer, createReginfo, type Registrar } from 'sipreg';
import { createNodeTransport } from 'sipreg/transports/node';

/** One registrar node: its socket, location and reg-event, wired into the registrar server. */
async function node(name: string, options: { outboundProxy?: string } = {}) {
  const transport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'] });
  const [socket] = transport.endpoints();
  const registrar = createRegistrar();
  const reginfo = createReginfo({
    registrar,
    transport,
    serverAddress: `sip:reginfo@${socket.address}:${socket.port}`, // where NOTIFYs reach this node
    publish: false, // no presence server to PUBLISH to here
    ...options,
  });
  createRegistrarServer({ registrar, transport, handleRequest: (request, source) => reginfo.handleRequest(request, source) });
  reginfo.on('subscription', (s) => console.log(`${name}: subscription to ${s.uri} is ${s.status}`));
  return { name, transport, socket, registrar, reginfo };
}

const a = await node('A');
// B's SUBSCRIBE names the AOR; the outbound proxy takes it to A.
const b = await node('B', { outboundProxy: `sip:${a.socket.address}:${a.socket.port}` });
await b.reginfo.subscribe('sip:alice@example.com', 600);

// The phone: one UDP socket, its Contact.
const phone = dgram.createSocket('udp4');
await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
const phonePort = phone.address().port;
let cseq = 0;

/** A REGISTER from the phone to A; resolves on the 200. */
async function register(expiresSec: number): Promise<void> {
  const text = `REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${phonePort};branch=z9hG4bK-${++cseq}-${Date.now()}\r\n`
    + `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: alice-phone-${phonePort}\r\n`
    + `CSeq: ${cseq} REGISTER\r\nContact: <sip:alice@127.0.0.1:${phonePort}>;expires=${expiresSec}\r\nContent-Length: 0\r\n\r\n`;
  const answered = new Promise<void>((resolve) => phone.once('message', () => resolve()));
  phone.send(text, a.socket.port, a.socket.address);
  await answered;
}

/** Poll `registrar` until `done` holds for alice (at most 2 s). */
async function until(registrar: Registrar, done: (n: number) => boolean): Promise<number> {
  const started = Date.now();
  while (!done((await registrar.bindings('alice@example.com')).length) && Date.now() - started < 2000) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

await register(300);
const learnedMs = await until(b.registrar, (n) => n === 1);
const learned = await b.registrar.bindings('alice@example.com');
console.log(`B learned ${learned.map((x) => x.contact).join(', ')} in ${learnedMs} ms`);

if (process.argv.includes('--smoke')) {
  await register(0);
  const lostMs = await until(b.registrar, (n) => n === 0);
  const left = await b.registrar.bindings('alice@example.com');
  console.log(`B lost it ${lostMs} ms after the de-registration`);
  await Promise.all([b.reginfo.close(), a.reginfo.close()]);
  await Promise.all([a.transport.close(), b.transport.close()]);
  phone.close();
  const ok = learned.length === 1 && left.length === 0;
  console.log(ok ? 'smoke: OK' : `smoke: FAILED (learned ${learned.length}, left ${left.length})`);
  process.exitCode = ok ? 0 : 1;
} else {
  process.on('SIGINT', () => {
    phone.close();
    void Promise.all([b.reginfo.close(), a.reginfo.close()]).then(() => Promise.all([a.transport.close(), b.transport.close()]));
  });
}
