import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findBinary } from './find-binary';
import { freePort } from './free-port';
import { sleep } from './sleep';
import { spawnManaged, type ManagedProcess } from './spawn-managed';

/** A real `redis-server` on 127.0.0.1, started by {@link startRedis}. */
export interface RedisServer {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its data directory (a temporary directory, removed by {@link RedisServer.stop}). */
  readonly dir: string;
  /** SIGKILL the server (no shutdown save), wait for exit. */
  kill(): Promise<void>;
  /** Start it again on the same port and dir (same config: AOF reloaded); resolves once it answers PING. */
  restart(): Promise<void>;
  /** Stop it (SIGTERM then SIGKILL) and delete its dir. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * `--appendonly yes --appendfsync always`, so a write Redis acknowledged survives kill -9;
   * `false` runs it without persistence (`--appendonly no`).
   * @defaultValue true
   */
  readonly appendOnly?: boolean;
  /** More `redis-server` arguments, after the defaults (so they win), e.g. `['--cluster-enabled', 'yes']`. @defaultValue none */
  readonly extraArgs?: readonly string[];
}

/** How long {@link startRedis} and {@link RedisServer.restart} wait for `+PONG`. */
const READY_TIMEOUT_MS = 10_000;
/** How often a freshly picked port may turn out taken before {@link startRedis} gives up. */
const PORT_ATTEMPTS = 3;

/**
 * The absolute path of `executable` (`redis-server` or `redis-cli`); throws when it is not
 * installed, so the tests that need Redis fail rather than skip.
 */
export function requireRedisBinary(executable: 'redis-server' | 'redis-cli'): string {
  const path = findBinary(executable);
  if (path === undefined) {
    throw new Error(`${executable} not found: apt-get install redis-server (.ci/run installs it)`);
  }
  return path;
}

/**
 * Start `redis-server` in the foreground on 127.0.0.1 and a free TCP port, with its data in a
 * fresh temporary directory, no RDB snapshots and (by default) an fsync-always AOF; resolves
 * once it answers `PING` with `+PONG`.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = requireRedisBinary('redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'sipreg-redis-'));
  const persistence =
    options.appendOnly === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];
  const argsFor = (port: number): string[] => [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    ...persistence,
    '--protected-mode', 'no',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    ...(options.extraArgs ?? []),
  ];

  // freePort() closes its probe socket before redis-server binds, so another process may take
  // the port in between: try again with a new port when that happens.
  let port = 0;
  let child: ManagedProcess | undefined;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort('tcp');
    const candidate = spawnManaged(binary, argsFor(port), { cwd: dir });
    try {
      await waitForRedis(port, candidate, READY_TIMEOUT_MS);
      child = candidate;
    } catch (error) {
      await candidate.stop();
      if (attempt < PORT_ATTEMPTS && /address already in use/i.test(candidate.output())) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  let current: ManagedProcess = child;
  let stopped = false;
  const serverPort = port;
  return {
    port: serverPort,
    url: `redis://127.0.0.1:${serverPort}`,
    dir,
    async kill(): Promise<void> {
      current.child.kill('SIGKILL');
      await current.exited;
    },
    async restart(): Promise<void> {
      if (stopped) throw new Error(`redis-server on port ${serverPort} was stopped; it cannot restart`);
      // A second restart() without kill() would leave two servers fighting over the port.
      await current.stop();
      current = spawnManaged(binary, argsFor(serverPort), { cwd: dir });
      try {
        await waitForRedis(serverPort, current, READY_TIMEOUT_MS);
      } catch (error) {
        await current.stop();
        throw error;
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      await current.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Poll 127.0.0.1:`port` with `PING` until it answers `+PONG` (a server still loading its AOF
 * answers `-LOADING`); reject when `server` exits first or `timeoutMs` elapses, with its output.
 */
async function waitForRedis(port: number, server: ManagedProcess, timeoutMs: number): Promise<void> {
  let exit: string | undefined;
  void server.exited.then((value) => {
    exit = `exited (code ${value.code}, signal ${value.signal})`;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pings(port)) return;
    if (exit !== undefined || Date.now() > deadline) {
      const reason = exit ?? `did not answer PING within ${timeoutMs} ms`;
      throw new Error(`redis-server on port ${port} ${reason}; output:\n${server.output()}`);
    }
    await sleep(50);
  }
}

/** Whether 127.0.0.1:`port` answers an inline `PING` with `+PONG` within a second. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 1_000);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

/** A RESP2 reply: simple and bulk strings, integers, nil (`null`) and arrays of them. */
export type RespValue = string | number | null | RespValue[];

/**
 * Send one command to the Redis on 127.0.0.1:`port` over a fresh TCP connection (as a RESP
 * array of bulk strings) and resolve with its reply; an error reply (`-ERR ...`, `-MOVED ...`),
 * also one inside an array, rejects. For tests that check what a store wrote without a Redis client library.
 *
 * @param port - the server's port.
 * @param args - the command and its arguments, e.g. `['SET', 'k', 'v']`.
 * @param timeoutMs - how long to wait for the reply.
 * @defaultValue timeoutMs `5000`
 */
export function redisCommand(port: number, args: readonly string[], timeoutMs = 5_000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | undefined, value?: RespValue): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(value ?? null);
    };
    const what = `redis ${args.join(' ')} on port ${port}`;
    const timer = setTimeout(() => finish(new Error(`${what}: no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      const parts = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
      socket.write(`*${args.length}\r\n${parts.join('')}`);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      let parsed: { readonly value: RespValue | Error; readonly end: number } | undefined;
      try {
        parsed = parseResp(buffer, 0);
      } catch (error) {
        finish(error as Error);
        return;
      }
      if (parsed === undefined) return;
      if (parsed.value instanceof Error) finish(new Error(`${what}: ${parsed.value.message}`));
      else finish(undefined, parsed.value);
    });
    socket.once('error', (error) => finish(new Error(`${what}: ${error.message}`)));
    socket.once('close', () => finish(new Error(`${what}: connection closed before a reply`)));
  });
}

/** Parse one RESP2 value at `offset`; `undefined` while `buffer` does not hold all of it yet. */
function parseResp(buffer: Buffer, offset: number): { readonly value: RespValue | Error; readonly end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset]);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buffer, end);
        if (item === undefined) return undefined;
        if (item.value instanceof Error) return item;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP reply: ${JSON.stringify(buffer.toString('utf8', offset, lineEnd))}`);
  }
}
