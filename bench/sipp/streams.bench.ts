/**
 * REGISTER over connections next to UDP: REGISTERs per second and server CPU per REGISTER over
 * TCP, TLS, WS and WSS (RFC 7118) with many persistent connections, for the sipreg CLI registrar
 * (`--store memory`) and Kamailio 5.6 (in-memory usrloc, 2 children; its `tls`, `websocket` and
 * `xhttp` modules) in the same run, and over UDP with SIPp for both.
 *
 *   node --import tsx bench/sipp/streams.bench.ts [--connections N] [--rate N] [--seconds S] [--rounds R]
 *
 * Streams: `stream-clients.ts` opens `--connections` connections (default 500) per server and
 * transport and keeps them open. Debian's SIPp cannot be the client here: it is built without
 * TLS, has no WebSocket, and its one-socket-per-call mode (`-t tn`) closes a call's connection
 * when the call ends. Each connection sends the minimal REGISTER (`register-load.xml`'s, a new
 * AOR each) and awaits the 200 before its next one:
 * 1. CPU per REGISTER: paced to `--rate` in total (default 2,000/s) for `--seconds` (default 5);
 *    server CPU time (all its processes) over the REGISTERs answered 200; the median of
 *    `--rounds` rounds (default 3) alternating between the servers.
 * 2. Throughput: each connection sends again as soon as answered, for `--seconds`; the median
 *    REGISTER/s of the rounds, with the server's and the client's CPU (the client is this Node
 *    process: near 100 % it, not the server, was the limit).
 * UDP: SIPp (two instances, one socket each) with the same REGISTER, CPU at `--rate` in the same
 * number of alternating rounds, then the highest clean rate of 5k, 10k, 15k, 20k/s (as
 * `wire.bench.ts` defines clean). Prints markdown tables; never part of CI.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { findBinary } from '../../test/helpers/find-binary';
import { freePort } from '../../test/helpers/free-port';
import { freeUdpTcpPort } from '../../test/helpers/free-udp-tcp-port';
import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { startCliCommand, startSipreg } from '../../test/helpers/start-sipreg';
import { createTestCertificates, type TestCertificates } from '../../test/helpers/test-certificates';
import { fmt, median } from '../bench-kit';
import { alternateRounds, searchMaxRate, type LoadTarget, type StepResult } from './rate-search';
import { percent } from './rate-tables';
import { createProcessTreeUsageReader } from './read-process-tree-usage';
import { startBenchKamailio } from './start-kamailio';
import { startStreamKamailio } from './start-stream-kamailio';
import { openStreamClients, type StreamClients, type StreamLoadResult, type StreamTransport } from './stream-clients';
import { WIRE_SCENARIOS } from './wire-targets';

const TRANSPORTS: readonly StreamTransport[] = ['tcp', 'tls', 'ws', 'wss'];
const UDP_RATES = [5_000, 10_000, 15_000, 20_000] as const;
const WARM_UP_SECONDS = 2;
/** Between two loads, let the server finish what it queued. */
const PAUSE_MS = 1_000;

const options = parseArgs({
  options: {
    connections: { type: 'string', default: '500' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
}).values;
const connections = Number(options.connections);
const cpuRate = Number(options.rate);
const seconds = Number(options.seconds);
const rounds = Number(options.rounds);
if (!Number.isInteger(connections) || connections < 1 || !(cpuRate > 0) || !(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: node --import tsx bench/sipp/streams.bench.ts [--connections N] [--rate N] [--seconds S] [--rounds R]');
  process.exit(2);
}

const sippPath = findBinary('sipp');
const kamailioPath = findBinary('kamailio');
if (sippPath === undefined) console.log('sipp not installed (apt-get install sip-tester): UDP rows skipped');
if (kamailioPath === undefined) console.log('Kamailio not installed (apt-get install kamailio kamailio-tls-modules kamailio-websocket-modules): its rows skipped');
const readUsage = createProcessTreeUsageReader();
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));

/** A server started with every stream listener, and the port of each transport. */
interface StreamServer {
  readonly name: string;
  readonly process: ManagedProcess;
  readonly ports: Readonly<Record<StreamTransport, number>>;
}

/** One row of the stream table: a server over a transport. */
interface StreamRow {
  readonly server: string;
  readonly transport: StreamTransport;
  /** Server CPU µs per REGISTER at the paced rate, per round. */
  readonly cpuUs: number[];
  readonly paced: StreamLoadResult[];
  readonly unpaced: StreamLoadResult[];
  /** Server CPU %, per unpaced round. */
  readonly unpacedServerCpu: number[];
  /** Server PSS, MB, with the connections open, at the end. */
  memoryMb: number;
  /** Why the server's connections could not all be opened (the row then has no figures). */
  readonly error?: string;
}

/** The sipreg CLI with udp/tcp on one port and tls, ws, wss on others, caps above the connections. */
async function startSipregStreams(certs: TestCertificates): Promise<StreamServer> {
  const port = await freeUdpTcpPort();
  const [tls, ws, wss] = [await freePort('tcp'), await freePort('tcp'), await freePort('tcp')];
  const cap = String(connections + 100);
  const cli = await startCliCommand('registrar', `udp:127.0.0.1:${port}`, [
    '--listen', `tcp:127.0.0.1:${port}`, '--listen', `tls:127.0.0.1:${tls}`, '--listen', `ws:127.0.0.1:${ws}`, '--listen', `wss:127.0.0.1:${wss}`,
    '--tls-cert', certs.server.cert.path, '--tls-key', certs.server.key.path,
    '--store', 'memory',
    '--tcp-max-connections', cap, '--tcp-max-connections-per-ip', cap,
    // The unpaced load sends a connection's next REGISTER as soon as the last is answered.
    '--ws-max-messages-per-second', '1000000',
  ]);
  return { name: 'sipreg CLI (--store memory)', process: cli, ports: { tcp: port, tls, ws, wss } };
}

/** Kamailio with SIP and WS on one TCP port, SIP and WSS on one TLS port. */
async function startKamailioStreams(path: string, certs: TestCertificates): Promise<StreamServer> {
  const port = await freeUdpTcpPort();
  const tlsPort = await freePort('tcp');
  const kamailio = await startStreamKamailio({ kamailioPath: path, port, tlsPort, certPath: certs.server.cert.path, keyPath: certs.server.key.path, maxConnections: connections + 100 });
  return { name: 'Kamailio 5.6 (usrloc, 2 children)', process: kamailio, ports: { tcp: port, tls: tlsPort, ws: port, wss: tlsPort } };
}

/** One load over `clients`, with the server's CPU time over it. */
async function measured(server: StreamServer, clients: StreamClients, rate: number | undefined, prefix: string): Promise<{ result: StreamLoadResult; cpuSec: number }> {
  await pause();
  const before = readUsage(server.process.pid).cpuSec;
  const result = await clients.run({ seconds, rate, prefix });
  return { result, cpuSec: readUsage(server.process.pid).cpuSec - before };
}

/** Every server over `transport`: connections opened on each, a warm-up, then alternating rounds. */
async function benchTransport(servers: readonly StreamServer[], transport: StreamTransport, ca: string): Promise<StreamRow[]> {
  const opened: { server: StreamServer; clients: StreamClients; row: StreamRow }[] = [];
  const refused: StreamRow[] = [];
  try {
    for (const server of servers) {
      let clients: StreamClients;
      try {
        clients = await openStreamClients({ transport, port: server.ports[transport], connections, ca });
      } catch (error) {
        // One server failing to accept the connections leaves a row that says so; the others go on.
        const message = error instanceof Error ? error.message : String(error);
        console.log(`${server.name} ${transport}: ${message}`);
        refused.push({ server: server.name, transport, cpuUs: [], paced: [], unpaced: [], unpacedServerCpu: [], memoryMb: 0, error: message });
        continue;
      }
      await clients.run({ seconds: WARM_UP_SECONDS, rate: cpuRate, prefix: `${transport}w` });
      opened.push({ server, clients, row: { server: server.name, transport, cpuUs: [], paced: [], unpaced: [], unpacedServerCpu: [], memoryMb: 0 } });
    }
    for (let round = 0; round < rounds; round++) {
      for (const { server, clients, row } of opened) {
        const paced = await measured(server, clients, cpuRate, `${transport}p${round}u`);
        row.paced.push(paced.result);
        row.cpuUs.push(paced.result.answered > 0 ? (paced.cpuSec / paced.result.answered) * 1e6 : 0);
        const unpaced = await measured(server, clients, undefined, `${transport}f${round}u`);
        row.unpaced.push(unpaced.result);
        row.unpacedServerCpu.push((unpaced.cpuSec / unpaced.result.elapsedSec) * 100);
        console.log(
          `${server.name} ${transport} round ${round + 1}: ${row.cpuUs[round].toFixed(1)} µs/REGISTER at ${cpuRate}/s, ` +
            `${fmt(unpaced.result.answered / unpaced.result.elapsedSec)}/s unpaced, ${clients.open()} of ${connections} connections open`,
        );
      }
    }
    for (const { server, row } of opened) row.memoryMb = readUsage(server.process.pid).pssBytes / 1024 / 1024;
  } finally {
    await Promise.all(opened.map(({ clients }) => clients.close()));
  }
  return [...opened.map(({ row }) => row), ...refused];
}

/** The UDP rows: SIPp against freshly started UDP servers, CPU rounds then the highest clean rate. */
async function benchUdp(sipp: string): Promise<{ name: string; rounds: StepResult[]; search: StepResult[] }[]> {
  const scenario = WIRE_SCENARIOS.find((wire) => wire.name === 'minimal') ?? WIRE_SCENARIOS[0];
  const target = (name: string, start: LoadTarget['start']): LoadTarget => ({
    name,
    start,
    scenario: scenario.file,
    instanceLoad: (step, instance) => ({ keys: { prefix: `udp${step}i${instance}u` } }),
  });
  const targets: LoadTarget[] = [];
  if (kamailioPath !== undefined) targets.push(target('Kamailio 5.6 (usrloc, 2 children)', (port) => startBenchKamailio({ kamailioPath, port })));
  targets.push(target('sipreg CLI (--store memory)', (port) => startSipreg({ port })));
  const cpuRounds = await alternateRounds(sipp, targets, { rate: cpuRate, stepSeconds: seconds, rounds });
  const search = { rates: [...UDP_RATES], stepSeconds: seconds, bisections: 0, granularity: 1000, deadline: Number.POSITIVE_INFINITY };
  const rows = [];
  for (const [index, udpTarget] of targets.entries()) rows.push({ name: udpTarget.name, rounds: cpuRounds[index], search: await searchMaxRate(sipp, udpTarget, search) });
  return rows;
}

const rateOf = (result: StreamLoadResult): number => (result.elapsedSec > 0 ? result.answered / result.elapsedSec : 0);

function streamLine(row: StreamRow): string {
  if (row.error !== undefined) return [row.server, row.transport.toUpperCase(), `${fmt(connections)} (Node client)`, `not measured: ${row.error}`, '', '', '', '', '', ''].join(' | ');
  const failed = [...row.paced, ...row.unpaced].reduce((sum, result) => sum + result.failed, 0);
  const sent = [...row.paced, ...row.unpaced].reduce((sum, result) => sum + result.failed + result.answered, 0);
  return [
    row.server,
    row.transport.toUpperCase(),
    `${fmt(connections)} (Node client)`,
    median(row.cpuUs).toFixed(1),
    row.cpuUs.map((us) => us.toFixed(1)).join(', '),
    fmt(median(row.unpaced.map(rateOf))),
    median(row.unpacedServerCpu).toFixed(0),
    median(row.unpaced.map((result) => result.clientCpuPercent)).toFixed(0),
    percent(sent > 0 ? failed / sent : 0),
    row.memoryMb.toFixed(0),
  ].join(' | ');
}

function udpLine(row: { name: string; rounds: StepResult[]; search: StepResult[] }): string {
  const clean = row.search.filter((step) => step.clean).map((step) => step.offeredRate);
  const last = row.rounds.at(-1);
  return [
    row.name,
    'UDP',
    '1 socket × 2 (SIPp)',
    row.rounds.length > 0 ? median(row.rounds.map((step) => step.cpuUsPerCall)).toFixed(1) : '–',
    row.rounds.map((step) => step.cpuUsPerCall.toFixed(1)).join(', '),
    clean.length === 0 ? 'none clean' : `${fmt(Math.max(...clean))} (highest clean of ${UDP_RATES.map(fmt).join(', ')})`,
    '–',
    '–',
    row.rounds.length > 0 ? percent(Math.max(...row.rounds.map((step) => step.failedShare))) : '–',
    last === undefined ? '–' : last.memoryMb.toFixed(0),
  ].join(' | ');
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0].toFixed(2);
  const udpRows = sippPath === undefined ? [] : await benchUdp(sippPath);
  const certs = await createTestCertificates();
  const servers: StreamServer[] = [];
  const rows: StreamRow[] = [];
  try {
    if (kamailioPath !== undefined) servers.push(await startKamailioStreams(kamailioPath, certs));
    servers.push(await startSipregStreams(certs));
    for (const transport of TRANSPORTS) rows.push(...(await benchTransport(servers, transport, certs.ca.pem)));
  } finally {
    await Promise.all(servers.map((server) => server.process.stop()));
    await certs.remove();
  }
  console.log('\n### REGISTER over TCP, TLS, WS and WSS with persistent connections, next to UDP\n');
  console.log(
    `A new AOR per REGISTER (the minimal one); CPU at ${fmt(cpuRate)}/s, ${seconds} s per load, the median of ${rounds} alternating rounds; ` +
      'unpaced: each connection sends its next REGISTER when the last is answered. TLS and WSS: an ECDSA P-256 certificate from test/helpers/test-certificates.ts.',
  );
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart}; the clients share the cores with the server; server CPU: all its processes.\n`);
  console.log(`| server | transport | connections (client) | CPU µs / REGISTER at ${fmt(cpuRate)}/s (median) | the rounds | REGISTER/s unpaced (median) | server CPU % unpaced | client CPU % unpaced | failed % | server PSS MB |`);
  console.log('|---|---|---|---:|---|---:|---:|---:|---:|---:|');
  for (const row of udpRows) console.log(`| ${udpLine(row)} |`);
  for (const row of rows) console.log(`| ${streamLine(row)} |`);
}

await main();
