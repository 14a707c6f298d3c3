/**
 * A minimal SBC-style front end: registrar + lookup + stateless forwarding, with sipreg's
 * Node UDP transport and the SQLite store, written out step by step (the CLI's
 * `createRegistrarServer` does the same in one call).
 *
 * Run: `node --import tsx examples/sbc-front-end.ts` (Ctrl-C to stop), or with `--smoke` to
 * register a phone, send it an INVITE through the front end and exit.
 */
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildResponse, createRegistrar, forwardRequest } from 'sipreg';
import type { SipRequest, Source } from 'sipreg';
import { SqliteLocationStore } from 'sipreg/stores/sqlite';
import { createNodeTransport } from 'sipreg/transports/node';

const store = new SqliteLocationStore({ path: process.env.DB ?? join(tmpdir(), `sbc-example-${process.pid}.db`) });
const registrar = createRegistrar({ store, receivedMode: 'nat', maxContacts: 3 });
const transport = await createNodeTransport({ listen: [`udp:127.0.0.1:${process.env.PORT ?? 0}`] });
const [local] = transport.endpoints();

async function onRequest(request: SipRequest, source: Source): Promise<void> {
  if (request.method === 'REGISTER') {
    const result = await registrar.save(request, { source });
    if (result.response) await transport.sendResponse(result.response, request, source);
    return;
  }
  const found = await registrar.lookup(request, { methodFiltering: true });
  if (found.kind !== 'found' || found.ruri === undefined) {
    const status = found.kind === 'method-not-supported' ? 405 : 404;
    await transport.sendResponse(buildResponse(request, status, status === 405 ? 'Method Not Allowed' : 'Not Found'), request, source);
    return;
  }
  const plan = await forwardRequest(request, found.ruri, local);
  if (plan) await transport.send(plan.data, plan.destination);
}

transport.onRequest((request, source) => void onRequest(request, source));
console.log(`SBC front end on udp:${local.address}:${local.port}`);
if (process.argv.includes('--smoke')) await smoke();

/** A phone registers, then an INVITE for its AOR must arrive at the phone. */
async function smoke(): Promise<void> {
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((r) => phone.bind(0, '127.0.0.1', r));
  const p = phone.address().port;
  const next = () => new Promise<string>((r) => phone.once('message', (m) => r(m.toString())));
  const send = (lines: string[]) => phone.send([...lines, 'Content-Length: 0', '', ''].join('\r\n'), local.port, local.address);
  let got = next();
  send(['REGISTER sip:example.com SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${p};branch=z9hG4bK-r1;rport`, 'Max-Forwards: 70',
    'From: <sip:bob@example.com>;tag=1', 'To: <sip:bob@example.com>', 'Call-ID: sbc-1', 'CSeq: 1 REGISTER',
    `Contact: <sip:bob@127.0.0.1:${p}>`]);
  const registered = (await got).startsWith('SIP/2.0 200');
  got = next();
  send([`INVITE sip:bob@example.com SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${p};branch=z9hG4bK-i1;rport`, 'Max-Forwards: 70',
    'From: <sip:carol@example.com>;tag=2', 'To: <sip:bob@example.com>', 'Call-ID: sbc-2', 'CSeq: 1 INVITE',
    `Contact: <sip:carol@127.0.0.1:${p}>`]);
  const invite = await got;
  const ok = registered && invite.startsWith(`INVITE sip:bob@127.0.0.1:${p} SIP/2.0`) && /Max-Forwards: 69/i.test(invite);
  console.log(ok ? 'smoke: OK' : `smoke: FAILED\n${invite}`);
  phone.close();
  await transport.close();
  await registrar.close();
  await store.close();
  process.exitCode = ok ? 0 : 1;
}
