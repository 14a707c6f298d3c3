/**
 * A registrar serving browser phones (SIP.js, JsSIP) over secure WebSocket (RFC 7118) next to
 * desk phones over UDP: one node transport listening on `udp:` and `wss:`, the bundled registrar
 * server routing calls between them. A browser phone's Contact host is an unresolvable `.invalid`
 * name, so requests for it go back over the WebSocket it registered on (its flow, RFC 5626), and
 * its binding ends when that connection closes.
 *
 * Run: `CERT=cert.pem KEY=key.pem node --import tsx examples/browser-phones-wss.ts` (PEM files;
 * `PORT` and `WSS_PORT` choose the ports, 5060 and 7443), then point SIP.js at it:
 * `new UserAgent({ uri, transportOptions: { server: 'wss://HOST:7443' } })`. With `--smoke`, it
 * makes a throwaway certificate with openssl, registers a WebSocket phone, has a UDP phone send it
 * a MESSAGE through the registrar, and exits.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createRegistrar, createRegistrarServer } from 'sipreg';
import { createNodeTransport } from 'sipreg/transports/node';

const smoke = process.argv.includes('--smoke');
const certificate = smoke ? throwawayCertificate() : filesFromEnv();
const registrar = createRegistrar({});
const transport = await createNodeTransport({
  listen: [`udp:127.0.0.1:${smoke ? 0 : (process.env.PORT ?? 5060)}`, `wss:127.0.0.1:${smoke ? 0 : (process.env.WSS_PORT ?? 7443)}`],
  tls: { cert: certificate.cert, key: certificate.key },
});
createRegistrarServer({ registrar, transport });
const [udp, wss] = transport.endpoints();
console.log(`registrar on udp:${udp.address}:${udp.port}, browser phones on wss://${wss.address}:${wss.port} (WebSocket sub-protocol "sip")`);
if (smoke) await smokeTest();

/** The PEM certificate and key named by `CERT` and `KEY`. */
function filesFromEnv(): { cert: Buffer; key: Buffer } {
  const { CERT, KEY } = process.env;
  if (CERT === undefined || KEY === undefined) {
    console.error('set CERT and KEY to PEM files, e.g. from: openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1');
    process.exit(2);
  }
  return { cert: readFileSync(CERT), key: readFileSync(KEY) };
}

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI in a temporary directory. */
function throwawayCertificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'sipreg-wss-example-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A WebSocket phone registers as a browser does, then a UDP phone's MESSAGE must reach it over its WebSocket. */
async function smokeTest(): Promise<void> {
  const browser = new WebSocket(`wss://127.0.0.1:${wss.port}`, 'sip', { ca: certificate.cert });
  await new Promise((resolve, reject) => { browser.once('open', resolve); browser.once('error', reject); });
  const nextFrame = (): Promise<string> => new Promise((resolve) => browser.once('message', (data) => resolve(data.toString())));
  let frame = nextFrame();
  browser.send([
    'REGISTER sip:example.com SIP/2.0', 'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK-w1', 'Max-Forwards: 70',
    'From: <sip:ann@example.com>;tag=w1', 'To: <sip:ann@example.com>', 'Call-ID: wss-example-1', 'CSeq: 1 REGISTER',
    'Contact: <sip:k3x9@df7jal23ls0d.invalid;transport=ws>;expires=600', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  const registered = (await frame).startsWith('SIP/2.0 200');

  const desk = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => desk.bind(0, '127.0.0.1', resolve));
  const deskPort = desk.address().port;
  frame = nextFrame();
  const answered = new Promise<string>((resolve) => desk.once('message', (m) => resolve(m.toString())));
  desk.send([
    'MESSAGE sip:ann@example.com SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${deskPort};branch=z9hG4bK-m1;rport`, 'Max-Forwards: 70',
    'From: <sip:desk@example.com>;tag=m1', 'To: <sip:ann@example.com>', 'Call-ID: wss-example-2', 'CSeq: 1 MESSAGE',
    'Content-Type: text/plain', 'Content-Length: 5', '', 'hello',
  ].join('\r\n'), udp.port, udp.address);
  const message = await frame;
  // The browser phone answers 200 over its WebSocket; the registrar relays it to the desk phone.
  const [, ...headers] = message.split('\r\n\r\n')[0].split('\r\n');
  browser.send(['SIP/2.0 200 OK', ...headers.filter((h) => /^(via|from|to|call-id|cseq):/i.test(h)), 'Content-Length: 0', '', ''].join('\r\n'));
  const ok = registered && message.startsWith('MESSAGE sip:k3x9@df7jal23ls0d.invalid;transport=ws SIP/2.0') && message.endsWith('hello')
    && (await answered).startsWith('SIP/2.0 200');
  console.log(ok ? 'smoke: OK' : `smoke: FAILED\n${message}`);
  desk.close();
  browser.close();
  await transport.close();
  await registrar.close();
  process.exitCode = ok ? 0 : 1;
}
