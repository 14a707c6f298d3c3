/**
 * Malformed flood benchmark (not a timed test; run with
 * `node --expose-gc --import tsx bench/malformed-flood.bench.ts`): while one socket sends 5,000
 * malformed REGISTERs a second (a Via ending in a comment, `To: <<...`: datagrams the fast scanner
 * declines, so only the slow SIP.js grammar could read them, RFC 3261 §26.1.5), a phone sends 100
 * good REGISTERs a second for 5 s. Printed per server: the good REGISTERs answered 200 and their
 * response times (from send to the 200, median and 99th percentile). The sipreg CLI runs with its
 * default grammar budget (`--grammar-parses-per-second 100`) and with the budget lifted (the code
 * before it), next to Kamailio 5.6 (2 children, in-memory usrloc) in the same run.
 */
import { createSocket, type Socket } from 'node:dgram';
import { registerDatagram } from './bench-kit';
import { startBenchKamailio } from './sipp/start-kamailio';
import { findBinary } from '../test/helpers/find-binary';
import { freePort } from '../test/helpers/free-port';
import type { ManagedProcess } from '../test/helpers/spawn-managed';
import { startSipreg } from '../test/helpers/start-sipreg';

/** Malformed datagrams per second, sent in bursts every 10 ms. */
const FLOOD_PER_SECOND = 5_000;
/** Good REGISTERs per second. */
const GOOD_PER_SECOND = 100;
const SECONDS = 5;
/** How long answers are awaited after the last good REGISTER. */
const GRACE_MS = 1_500;

const MALFORMED = Buffer.from(
  'REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-1 (x)\r\nMax-Forwards: 70\r\n' +
  'From: <sip:a@example.com>;tag=1\r\nTo: <<sip:a@example.com>\r\nCall-ID: abc\r\nCSeq: 1 REGISTER\r\n' +
  'Contact: <sip:a@127.0.0.1>;q=0.5000\r\nContent-Length: 0\r\n\r\n', 'latin1');

interface FloodOutcome {
  readonly sent: number;
  readonly answered: number;
  /** Response times of the answered REGISTERs, ms, ascending. */
  readonly latencies: readonly number[];
}

const bound = (socket: Socket): Promise<void> => new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
const callIdOf = (text: string): string | undefined => /\r\nCall-ID: *([^\r]+)/i.exec(text)?.[1];

/** The flood and the good REGISTERs against the server on 127.0.0.1:`port`. */
async function flood(port: number, offset: number): Promise<FloodOutcome> {
  const attacker = createSocket('udp4');
  const phone = createSocket('udp4');
  await Promise.all([bound(attacker), bound(phone)]);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  phone.on('message', (message) => {
    const text = message.toString('latin1');
    const callId = callIdOf(text);
    const at = callId === undefined ? undefined : sentAt.get(callId);
    if (text.startsWith('SIP/2.0 200 ') && at !== undefined) latencies.push(performance.now() - at);
  });
  let sent = 0;
  const burst = setInterval(() => {
    for (let k = 0; k < FLOOD_PER_SECOND / 100; k++) attacker.send(MALFORMED, port, '127.0.0.1');
  }, 10);
  const good = setInterval(() => {
    const datagram = registerDatagram(offset + sent++);
    sentAt.set(callIdOf(datagram.toString('latin1'))!, performance.now());
    phone.send(datagram, port, '127.0.0.1');
  }, 1000 / GOOD_PER_SECOND);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  clearInterval(burst);
  clearInterval(good);
  await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
  attacker.close();
  phone.close();
  return { sent, answered: latencies.length, latencies: latencies.sort((a, b) => a - b) };
}

const servers: [string, (port: number) => Promise<ManagedProcess>][] = [
  ['sipreg CLI, default grammar budget (100/s)', (port) => startSipreg({ port })],
  ['sipreg CLI, budget lifted (`--grammar-parses-per-second 1000000`)', (port) => startSipreg({ port, extraArgs: ['--grammar-parses-per-second', '1000000'] })],
];
const kamailioPath = findBinary('kamailio');
if (kamailioPath === undefined) console.log('Kamailio not installed: its row is skipped');
else servers.push(['Kamailio 5.6 (2 children)', (port) => startBenchKamailio({ kamailioPath, port })]);

const ms = (v: number | undefined): string => (v === undefined ? '–' : v.toFixed(1));
const rows: string[] = [];
for (const [k, [name, start]] of servers.entries()) {
  const port = await freePort();
  const server = await start(port);
  try {
    const outcome = await flood(port, k * 1_000_000);
    const { latencies } = outcome;
    rows.push(`| ${name} | ${outcome.answered} / ${outcome.sent} | ${ms(latencies[latencies.length >> 1])} | ${ms(latencies[Math.floor(latencies.length * 0.99)])} |`);
  } finally {
    await server.stop();
  }
}
console.log(`\n### Good REGISTERs under ${FLOOD_PER_SECOND.toLocaleString('en-US')} malformed datagrams/s (${GOOD_PER_SECOND}/s for ${SECONDS} s)\n`);
console.log('| server | answered 200 | median ms | 99th percentile ms |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(row);
