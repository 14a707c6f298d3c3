/**
 * Two registrar nodes sharing one location on Redis (OpenSIPS usrloc `full-sharing-cachedb`):
 * a phone registers on node A, node B finds it and hears the registration as an event (the
 * store's notices), the phone de-registers through node B, and node A hears that too. Any node
 * answers any REGISTER or lookup; the per-AOR compare-and-set in Redis keeps concurrent writes
 * through different nodes from losing a binding.
 *
 * Needs a Redis: `REDIS_URL` (default `redis://127.0.0.1:6379`), or a cluster as
 * `redis-cluster://host:port,host:port`.
 *
 * Run: `node --import tsx examples/shared-location-redis.ts` (Ctrl-C stops), or with `--smoke`
 * to register, look up, de-register, check both nodes saw it all, and exit.
 */
import dgram from 'node:dgram';
import { createRegistrar, createRegistrarServer, type BindingChange } from 'sipreg';
import { RedisLocationStore, connectRedis } from 'sipreg/stores/redis';
import { createNodeTransport } from 'sipreg/transports/node';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const smoke = process.argv.includes('--smoke');

/** One node: its own socket and registrar, the location in Redis (keys under `example:`). */
async function node(name: string) {
  const client = await connectRedis(url, { commandTimeoutMs: 1000 });
  const store = new RedisLocationStore({ client, ownsClient: true, keyPrefix: 'example:', notices: true });
  const registrar = createRegistrar({ store, retryAfter: 5 }); // 503 + Retry-After: 5 while Redis is away
  const transport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'] });
  createRegistrarServer({ registrar, transport });
  const heard: string[] = [];
  const log = (change: BindingChange): void => {
    heard.push(`${change.kind}${change.remote ? ' (remote)' : ''}`);
    console.log(`${name}: ${change.kind} ${change.binding.contact}${change.remote ? ', committed by the other node' : ''}`);
  };
  for (const kind of ['inserted', 'refreshed', 'deleted', 'expired'] as const) registrar.on(kind, log);
  const [socket] = transport.endpoints();
  console.log(`node ${name} on udp:${socket.address}:${socket.port}, location in ${url}`);
  return { name, socket, registrar, heard, close: () => transport.close().then(() => registrar.close()).then(() => store.close()) };
}

const a = await node('A');
const b = await node('B');
// Notices go to the nodes listening when they are published: give B's subscription a moment.
await new Promise((resolve) => setTimeout(resolve, 200));

const phone = dgram.createSocket('udp4');
await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
const port = phone.address().port;
let cseq = 0;

/** A REGISTER from the phone to `to`; resolves with the status line. */
async function register(to: { socket: { address: string; port: number } }, expiresSec: number): Promise<string> {
  cseq++;
  const text = `REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK-shared-${cseq}-${Date.now()}\r\n`
    + `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: alice-${port}@example\r\n`
    + `CSeq: ${cseq} REGISTER\r\nContact: <sip:alice@127.0.0.1:${port}>;expires=${expiresSec}\r\nContent-Length: 0\r\n\r\n`;
  const answered = new Promise<string>((resolve) => phone.once('message', (m) => resolve(m.toString().split('\r\n')[0])));
  phone.send(text, to.socket.port, to.socket.address);
  return answered;
}

console.log('phone → A:', await register(a, 600));
const found = await b.registrar.lookup('sip:alice@example.com');
console.log('B looks alice up:', found.kind === 'found' ? found.ruri?.uri : found.kind);
console.log('phone → B (de-register):', await register(b, 0));
await new Promise((resolve) => setTimeout(resolve, 200));
const gone = await a.registrar.lookup('sip:alice@example.com');
console.log('A looks alice up:', gone.kind);

if (smoke) {
  const ok = found.kind === 'found' && found.ruri?.uri === `sip:alice@127.0.0.1:${port}` && gone.kind === 'not-found'
    && a.heard.join() === 'inserted,deleted (remote)' && b.heard.join() === 'inserted (remote),deleted';
  phone.close();
  await Promise.all([a.close(), b.close()]);
  console.log(ok ? 'smoke: OK' : `smoke: FAILED (A heard ${a.heard.join()}; B heard ${b.heard.join()})`);
  process.exitCode = ok ? 0 : 1;
}
