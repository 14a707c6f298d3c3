/**
 * A mid-registrar in front of an existing registrar that cannot take the phones' refresh rate
 * (OpenSIPS mid_registrar, contact throttling): the first REGISTER of a phone is forwarded with
 * a one-hour lifetime and its Contact rewritten to point here; the phone's frequent refreshes
 * are answered here; calls from the main registrar are routed back to the phone.
 *
 * Here the "main registrar" is a sipreg registrar on its own socket so the example runs alone;
 * in production `upstream` is your existing registrar (Kamailio, OpenSIPS, an IMS S-CSCF ...).
 *
 * Run: `node --import tsx examples/mid-registrar-front-end.ts` (Ctrl-C to stop), or with
 * `--smoke` to register a phone twice, call it from the main registrar's side and exit.
 */
import dgram from 'node:dgram';
import { buildResponse, createMidRegistrar, createRegistrar, createRegistrarServer, forwardRequest } from 'sipreg';
import type { SipRequest, Source } from 'sipreg';
import { createNodeTransport } from 'sipreg/transports/node';

// The main registrar (stands for your existing one).
const mainTransport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'] });
const mainRegistrar = createRegistrar({ minExpires: 60 });
createRegistrarServer({ registrar: mainRegistrar, transport: mainTransport });
const [upstream] = mainTransport.endpoints();

// The mid-registrar: phones register here.
const transport = await createNodeTransport({ listen: [`udp:127.0.0.1:${process.env.PORT ?? 0}`] });
const [local] = transport.endpoints();
const mid = createMidRegistrar({ mode: 'throttle-contact', outgoingExpires: 3600, upstream, transport, receivedMode: 'nat' });

async function onRequest(request: SipRequest, source: Source): Promise<void> {
  if (request.method === 'REGISTER') {
    const decision = await mid.handleRegister(request, { source });
    let reply = decision.action === 'absorbed' ? decision.response : undefined;
    if (decision.action === 'forward') {
      const outcome = await transport.request(decision.request, decision.destination);
      reply = (await decision.onReply(outcome)).response;
    }
    if (reply) await transport.sendResponse(reply, request, source);
    console.log(`${request.to.uri}: ${decision.action}`);
    return;
  }
  // A request from the main registrar: route it to the phone the rewritten Contact names.
  const found = await mid.lookup(request);
  if (found.kind !== 'found' || found.ruri === undefined) {
    await transport.sendResponse(buildResponse(request, 404, 'Not Found'), request, source);
    return;
  }
  const plan = await forwardRequest(request, found.ruri, local);
  if (plan) await transport.send(plan.data, plan.destination);
}

transport.onRequest((request, source) => void onRequest(request, source));
console.log(`mid-registrar on udp:${local.address}:${local.port}, main registrar on udp:${upstream.address}:${upstream.port}`);
if (process.argv.includes('--smoke')) await smoke();

/** A phone registers twice (forwarded, then absorbed); a MESSAGE sent to its rewritten Contact reaches it. */
async function smoke(): Promise<void> {
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((r) => phone.bind(0, '127.0.0.1', r));
  const p = phone.address().port;
  const next = () => new Promise<string>((r) => phone.once('message', (m) => r(m.toString())));
  const register = (cseq: number) => {
    const got = next();
    phone.send([`REGISTER sip:example.com SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${p};branch=z9hG4bK-r${cseq};rport`, 'Max-Forwards: 70',
      'From: <sip:dana@example.com>;tag=1', 'To: <sip:dana@example.com>', 'Call-ID: mid-1', `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:dana@127.0.0.1:${p}>;expires=120`, 'Content-Length: 0', '', ''].join('\r\n'), local.port, local.address);
    return got;
  };
  const first = await register(1);
  const second = await register(2);
  const [upstreamBinding] = await mainRegistrar.bindings('dana@example.com');
  // What the main registrar does for a call to dana: send it to the Contact it holds (pointing here).
  const got = next();
  const caller = dgram.createSocket('udp4');
  await new Promise<void>((r) => caller.bind(0, '127.0.0.1', r));
  caller.send([`MESSAGE ${upstreamBinding.contact} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${caller.address().port};branch=z9hG4bK-m1`,
    'Max-Forwards: 70', 'From: <sip:erin@example.com>;tag=2', 'To: <sip:dana@example.com>', 'Call-ID: mid-2', 'CSeq: 1 MESSAGE',
    'Content-Length: 0', '', ''].join('\r\n'), local.port, local.address);
  const message = await got;
  const stats = await mid.stats();
  const ok = first.startsWith('SIP/2.0 200') && second.startsWith('SIP/2.0 200') && second.includes(';expires=120')
    && upstreamBinding.contact.startsWith(`sip:dana@127.0.0.1:${local.port};ctid=`) && upstreamBinding.expiresAt - Date.now() > 3_500_000
    && message.startsWith(`MESSAGE sip:dana@127.0.0.1:${p} SIP/2.0`) && stats.forwarded === 1 && stats.absorbed === 1;
  console.log(`forwarded ${stats.forwarded}, absorbed ${stats.absorbed}; main registrar holds ${upstreamBinding.contact}`);
  console.log(ok ? 'smoke: OK' : `smoke: FAILED\n${first}\n${second}\n${message}`);
  phone.close();
  caller.close();
  await mid.close();
  await transport.close();
  await mainRegistrar.close();
  await mainTransport.close();
  process.exitCode = ok ? 0 : 1;
}
