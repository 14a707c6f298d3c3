/**
 * A registrar nobody can register at as somebody else: every REGISTER must answer a digest
 * challenge (RFC 3261 §22, RFC 7616: SHA-256 offered before MD5) for its own AOR, and a source
 * that keeps failing is banned (fail2ban-style), as `www_authorize` + `pike` do in an OpenSIPS
 * script. The subscribers live in memory here; `SqliteCredentialStore` (`sipreg/stores/sqlite`)
 * reads the OpenSIPS `subscriber` table instead.
 *
 * Run: `node --import tsx examples/secure-registrar.ts` (Ctrl-C to stop), or with `--smoke` to
 * register alice with her password, be refused as bob, and exit.
 */
import dgram from 'node:dgram';
import {
  MemoryCredentialStore, computeHa1s, createDigestAuthenticator, createRegistrar, createRegistrarServer, createSourceGuard,
  digestAuthorization, selectDigestChallenge,
} from 'sipreg';
import { createNodeTransport } from 'sipreg/transports/node';

const REALM = 'example.com';
// HA1s only, as `sipreg user add` stores them: the password itself is never kept.
const credentials = new MemoryCredentialStore([
  { username: 'alice', realm: REALM, ha1: computeHa1s('alice', REALM, 'alice-secret') },
]);
const auth = createDigestAuthenticator({
  credentials,
  realm: REALM,
  algorithms: ['SHA-256', 'MD5'], // one challenge each, strongest first (RFC 8760 §2.4)
  nonceExpire: 30, // OpenSIPS nonce_expire
  // secret: process.env.SIPREG_AUTH_SECRET — share one between nodes behind a load balancer
});
const registrar = createRegistrar({ auth, checkTo: true, domains: [REALM] });
// Ten wrong passwords within a minute from one IP: its requests are dropped for five minutes.
const guard = createSourceGuard({ ban: { after: 10, window: 60, time: 300 }, logger: console });
const transport = await createNodeTransport({ listen: [`udp:127.0.0.1:${process.env.PORT ?? 5060}`] });
createRegistrarServer({ registrar, transport, guard });
const port = transport.endpoints()[0].port;
console.log(`secure registrar on udp:127.0.0.1:${port}, realm ${REALM}`);
if (process.argv.includes('--smoke')) await smoke();

/** alice registers through the challenge; alice's credentials on bob's AOR are refused. */
async function smoke(): Promise<void> {
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((r) => phone.bind(0, '127.0.0.1', r));
  const phonePort = phone.address().port;
  const send = (to: string, cseq: number, authorization?: string): Promise<string> => {
    const reply = new Promise<string>((r) => phone.once('message', (m) => r(m.toString())));
    phone.send([
      `REGISTER sip:${REALM} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${phonePort};branch=z9hG4bK-smoke-${to}-${cseq};rport`,
      'Max-Forwards: 70', `From: <sip:${to}@${REALM}>;tag=1`, `To: <sip:${to}@${REALM}>`,
      `Call-ID: smoke-${to}`, `CSeq: ${cseq} REGISTER`, `Contact: <sip:${to}@127.0.0.1:${phonePort}>`, 'Expires: 600',
      ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
      'Content-Length: 0', '', '',
    ].join('\r\n'), port, '127.0.0.1');
    return reply;
  };
  /** The phone's answer to a 401: the strongest challenge it understands, signed with alice's password. */
  const answer = (challenge401: string): string | undefined => {
    const challenges = challenge401.split('\r\n').filter((l) => l.startsWith('WWW-Authenticate:')).map((l) => l.slice(17).trim());
    const challenge = selectDigestChallenge(challenges);
    return challenge && digestAuthorization(challenge, { username: 'alice', password: 'alice-secret' }, { method: 'REGISTER', uri: `sip:${REALM}` });
  };
  const first = await send('alice', 1);
  const authorized = await send('alice', 2, answer(first));
  const asBob = await send('bob', 1);
  const bobRefused = await send('bob', 2, answer(asBob));
  const ok = first.startsWith('SIP/2.0 401') && first.includes('algorithm=SHA-256')
    && authorized.startsWith('SIP/2.0 200') && bobRefused.startsWith('SIP/2.0 403');
  console.log(ok ? 'smoke: OK' : `smoke: FAILED\n${first}\n${authorized}\n${bobRefused}`);
  phone.close();
  await transport.close();
  await registrar.close();
  process.exitCode = ok ? 0 : 1;
}
