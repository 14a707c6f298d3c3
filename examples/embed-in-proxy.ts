/**
 * Embedding the registrar in an existing Node proxy that owns its own `dgram` socket.
 *
 * The host receives datagrams, sipreg parses and decides, the host sends the reply.
 * Run: `node --import tsx examples/embed-in-proxy.ts` (Ctrl-C to stop), or with `--smoke` to
 * register one phone against itself and exit.
 */
import dgram from 'node:dgram';
import { createRegistrar, parseSipMessage, sourceFrom } from 'sipreg';

let port = Number(process.env.PORT ?? 5070);
const registrar = createRegistrar({ minExpires: 60, maxContacts: 5, receivedMode: 'nat' });
const socket = dgram.createSocket('udp4');

socket.on('message', (datagram, rinfo) => {
  const parsed = parseSipMessage(datagram);
  if (!parsed.ok || parsed.message.kind !== 'request') return; // your proxy's own error handling
  const request = parsed.message;
  if (request.method !== 'REGISTER') return; // hand everything else to your proxy logic
  const source = sourceFrom(rinfo, socket.address()); // where it came from, and the socket that got it
  void registrar.save(request, { source }).then((result) => {
    if (result.response) socket.send(result.response, rinfo.port, rinfo.address);
    console.log(`${request.to.uri}: ${result.status}${result.ok ? ` (${result.bindings.length} binding(s))` : ` ${result.error.code}`}`);
  });
});

socket.bind(port, '127.0.0.1', () => {
  port = socket.address().port;
  console.log(`embedded registrar on udp:127.0.0.1:${port}`);
  if (process.argv.includes('--smoke')) void smoke();
});

/** Register one phone from a second socket and check the 200 lists it. */
async function smoke(): Promise<void> {
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((r) => phone.bind(0, '127.0.0.1', r));
  const phonePort = phone.address().port;
  const reply = new Promise<string>((r) => phone.once('message', (m) => r(m.toString())));
  phone.send([
    `REGISTER sip:example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${phonePort};branch=z9hG4bK-smoke;rport`,
    'Max-Forwards: 70', 'From: <sip:alice@example.com>;tag=1', 'To: <sip:alice@example.com>',
    'Call-ID: smoke-1', 'CSeq: 1 REGISTER', `Contact: <sip:alice@127.0.0.1:${phonePort}>`, 'Expires: 600',
    'Content-Length: 0', '', '',
  ].join('\r\n'), port, '127.0.0.1');
  const text = await reply;
  const ok = text.startsWith('SIP/2.0 200') && text.includes(`<sip:alice@127.0.0.1:${phonePort}>;expires=600`);
  console.log(ok ? 'smoke: OK' : `smoke: FAILED\n${text}`);
  phone.close();
  socket.close();
  await registrar.close();
  process.exitCode = ok ? 0 : 1;
}
