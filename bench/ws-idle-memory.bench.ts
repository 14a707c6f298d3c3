/**
 * Memory per idle WebSocket connection (RFC 7118) of the sipreg CLI registrar: its RSS and V8
 * heap with no connection, with `--connections` (default 10,000) WebSockets open (handshake
 * with the `sip` subprotocol done, nothing sent), and with each of them registered once (a
 * binding for a new AOR with a `.invalid` Contact, so each connection is also a flow, RFC 7118 §5),
 * each after a full garbage collection in the server.
 *
 *   node --expose-gc --import tsx bench/ws-idle-memory.bench.ts [--connections N]
 *
 * The clients are this process, the server is a child (`bench/memory-reporting-cli.ts`, the CLI
 * answering `process.memoryUsage()` over IPC), so no client memory is counted. Both need
 * `--connections` + 200 open files: Node raises its soft limit to the hard one (`ulimit -Hn`);
 * the bench stops and says so when that is too low. The connections come from 127.0.0.1, so
 * the CLI gets `--tcp-max-connections` and `--tcp-max-connections-per-ip` above them. Prints a
 * markdown table; never part of CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { freePort } from '../test/helpers/free-port';
import { REPOSITORY_ROOT } from '../test/helpers/start-sipreg';
import { fmt } from './bench-kit';
import { openStreamClients, type StreamClients } from './sipp/stream-clients';

const READY_TIMEOUT_MS = 20_000;
/** File descriptors each process needs beyond its connections (listeners, pipes, Node's own). */
const SPARE_FILES = 200;

const options = parseArgs({ options: { connections: { type: 'string', default: '10000' } } }).values;
const connections = Number(options.connections);
if (!Number.isInteger(connections) || connections < 1) {
  console.error('usage: node --expose-gc --import tsx bench/ws-idle-memory.bench.ts [--connections N]');
  process.exit(2);
}

/** This process's soft limit on open files (Node has raised it to the hard limit at start-up). */
function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((text) => text.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

if (openFilesLimit() < connections + SPARE_FILES) {
  console.error(`ws-idle-memory: ${connections} connections need ${connections + SPARE_FILES} open files, the limit is ${openFilesLimit()}: raise it (ulimit -n ${connections + SPARE_FILES}, as root ulimit -Hn too) or pass --connections`);
  process.exit(1);
}

/** The server's memory, bytes. */
type Memory = NodeJS.MemoryUsage;

/** The CLI registrar on `ws:127.0.0.1:port` in a child that reports its memory. */
interface MemoryReportingServer {
  readonly memory: () => Promise<Memory>;
  readonly stop: () => Promise<void>;
}

async function startServer(port: number): Promise<MemoryReportingServer> {
  const listen = `ws:127.0.0.1:${port}`;
  const cap = String(connections + SPARE_FILES);
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/memory-reporting-cli.ts', 'registrar', '--listen', listen, '--store', 'memory', '--tcp-max-connections', cap, '--tcp-max-connections-per-ip', cap],
    { cwd: REPOSITORY_ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CLI did not print "sipreg registrar listening on ${listen}" within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    void exited.then(() => reject(new Error('the CLI exited before it listened')));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line !== `sipreg registrar listening on ${listen}`) return;
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  const memory = (): Promise<Memory> =>
    new Promise((resolve) => {
      child.once('message', (usage) => resolve(usage as Memory));
      child.send('memory');
    });
  return { memory, stop };
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const perConnection = (bytes: number): string => fmt(bytes / connections);

/** One line of the table: the server's memory in one state, and what it grew by per connection since no connection. */
function line(state: string, memory: Memory, base: Memory): string {
  const grew = (pick: (usage: Memory) => number): string => (memory === base ? '–' : perConnection(pick(memory) - pick(base)));
  return [
    state,
    mb(memory.rss),
    mb(memory.heapUsed),
    mb(memory.external + memory.arrayBuffers),
    grew((usage) => usage.rss),
    grew((usage) => usage.heapUsed),
    grew((usage) => usage.external + usage.arrayBuffers),
  ].join(' | ');
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0].toFixed(2);
  const port = await freePort('tcp');
  const server = await startServer(port);
  let clients: StreamClients | undefined;
  try {
    const idle = await server.memory();
    const openedAt = performance.now();
    clients = await openStreamClients({ transport: 'ws', port, connections });
    const openSec = (performance.now() - openedAt) / 1000;
    const open = await server.memory();
    const registered = await clients.run({ seconds: 60, perConnection: 1, prefix: 'idle' });
    const bound = await server.memory();
    const stillOpen = clients.open();
    console.log('\n### Memory per idle WebSocket connection (sipreg CLI registrar, ws:, --store memory)\n');
    console.log(
      `${fmt(connections)} connections from one client process on 127.0.0.1, opened in ${openSec.toFixed(1)} s; ${fmt(registered.answered)} REGISTERs answered 200, ` +
        `${fmt(registered.failed)} not; ${fmt(stillOpen)} connections open at the end. Server memory after a full GC (process.memoryUsage()); ` +
        `machine: ${cpus().length} cores, load average before the run ${loadAtStart}.\n`,
    );
    console.log('| state | RSS MB | V8 heap used MB | external + array buffers MB | RSS bytes / connection | heap bytes / connection | external bytes / connection |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    console.log(`| ${line('no connection', idle, idle)} |`);
    console.log(`| ${line(`${fmt(connections)} WebSockets open, idle`, open, idle)} |`);
    console.log(`| ${line(`${fmt(connections)} WebSockets, each registered once (a binding and a flow)`, bound, idle)} |`);
  } finally {
    await clients?.close();
    await server.stop();
  }
}

await main();
