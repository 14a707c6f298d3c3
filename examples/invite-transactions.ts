/**
 * A proxy that owns its `dgram` socket answers INVITEs statefully with sipreg's INVITE server
 * transaction (RFC 3261 §17.2.1) and its registrar: an INVITE for an AOR that is not registered
 * gets `404 Not Found`, retransmitted on Timer G until the caller's ACK, and a retransmitted INVITE
 * gets the 404 again instead of a second lookup. Where this one answers 480, a real proxy forks to the
 * lookup's targets: `examples/forking-proxy.ts` does it with sipreg's `ForkingProxy`.
 *
 * Run: `node --import tsx examples/invite-transactions.ts` (Ctrl-C to stop), or with `--smoke` to
 * call itself and exit.
 */
import dgram from 'node:dgram';
import {
  InviteServerTransaction, buildResponse, createRegistrar, parseSipMessage, resolveTransactionTimers, systemClock,
} from 'sipreg';

const registrar = createRegistrar();
const timers = resolveTransactionTimers('example', {});
/** Server transactions by the INVITE's top Via branch (RFC 3261 §17.2.3). */
const transactions = new Map<string, InviteServerTransaction>();
const socket = dgram.createSocket('udp4');

socket.on('message', (datagram, rinfo) => {
  const parsed = parseSipMessage(datagram);
  if (!parsed.ok || parsed.message.kind !== 'request') return;
  const request = parsed.message;
  const branch = request.via[0]?.branch ?? '';
  const known = transactions.get(branch);
  if (request.method === 'ACK') {
    if (known?.receiveAck() === true) console.log(`ACK for ${branch}: transaction ${known.state}`);
    return;
  }
  if (request.method !== 'INVITE') return; // REGISTER and the rest: your proxy's handlers
  if (known !== undefined) {
    known.receiveInvite(); // a retransmission: the last response again, nothing looked up twice
    return;
  }
  const transaction = new InviteServerTransaction({
    clock: systemClock,
    timers,
    reliable: false,
    request,
    send: (bytes) => socket.send(bytes, rinfo.port, rinfo.address),
    onTimeout: () => console.log(`no ACK for ${branch} (Timer H)`),
    onTerminated: () => transactions.delete(branch),
  });
  transactions.set(branch, transaction);
  void registrar.lookup(request).then((found) => {
    const [status, reason] = found.kind === 'found' ? [480, 'Temporarily Unavailable'] : [404, 'Not Found'];
    transaction.respond(status, buildResponse(request, status, reason));
    console.log(`INVITE ${request.uri}: ${status} (${found.kind})`);
  });
});

socket.bind(Number(process.env.PORT ?? 5080), '127.0.0.1', () => {
  console.log(`stateful INVITE handling on udp:127.0.0.1:${socket.address().port}`);
  if (process.argv.includes('--smoke')) void smoke();
});

/** Call an unregistered AOR: the 404 comes once per INVITE copy, the ACK confirms the transaction. */
async function smoke(): Promise<void> {
  const caller = dgram.createSocket('udp4');
  await new Promise<void>((r) => caller.bind(0, '127.0.0.1', r));
  const { port } = caller.address();
  const invite = [
    'INVITE sip:nobody@example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-smoke-1`,
    'Max-Forwards: 70',
    'From: <sip:caller@example.com>;tag=c1',
    'To: <sip:nobody@example.com>',
    'Call-ID: smoke-invite-1',
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${port}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const finals: string[] = [];
  let to = 'To: <sip:nobody@example.com>';
  caller.on('message', (m) => {
    const lines = m.toString('latin1').split('\r\n');
    if (lines[0].startsWith('SIP/2.0 1')) return;
    finals.push(lines[0]);
    to = lines.find((l) => l.startsWith('To:')) ?? to; // the ACK of a non-2xx carries the response's To tag (§17.1.1.3)
  });
  const target = socket.address().port;
  caller.send(invite, target, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  caller.send(invite, target, '127.0.0.1'); // a retransmission
  await new Promise((r) => setTimeout(r, 100));
  const ack = invite
    .replace('INVITE sip:nobody@example.com SIP/2.0', 'ACK sip:nobody@example.com SIP/2.0')
    .replace('To: <sip:nobody@example.com>', to)
    .replace('CSeq: 1 INVITE', 'CSeq: 1 ACK');
  caller.send(ack, target, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  const ok = finals.length === 2 && finals.every((l) => l === 'SIP/2.0 404 Not Found') && transactions.get('z9hG4bK-smoke-1')?.state === 'confirmed';
  console.log(ok ? 'smoke: OK' : `smoke: FAILED (${finals.join(', ')}; ${transactions.get('z9hG4bK-smoke-1')?.state})`);
  caller.close();
  socket.close();
  await registrar.close();
  process.exit(ok ? 0 : 1);
}
