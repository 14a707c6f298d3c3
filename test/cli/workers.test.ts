/**
 * `sipreg registrar --workers N` (issue 19): N processes on one UDP socket (node:cluster shares the
 * handle) and one location in Redis. Which worker reads a datagram is the kernel's choice, so the
 * test stops one worker (SIGSTOP) to make the other serve alone, then the other way round.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { digestAuthorization, selectDigestChallenge } from '../../src/sip/digest';
import { buildRegister, IdSequence } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { queryBindings } from '../helpers/query-bindings';
import { runToExit } from '../helpers/run-to-exit';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { startRedis, type RedisServer } from '../helpers/start-redis';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { writeSubscribers } from '../helpers/write-subscribers';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const ids = new IdSequence('cli-workers');
const AORS = 200;
const BATCH = 50;

let redis: RedisServer;
let server: ManagedProcess | undefined;
let peer: UdpSipPeer | undefined;
const stopped = new Set<number>();

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});
afterAll(async () => {
  for (const pid of stopped) process.kill(pid, 'SIGCONT');
  peer?.close();
  await server?.stop();
  await redis?.stop();
});

const aor = (user: string): string => `sip:${user}@127.0.0.1`;

/** REGISTER `user` from the peer, retransmitted until the final response; its status. */
async function register(port: number, user: string): Promise<number> {
  const text = buildRegister({ aor: aor(user), contacts: [{ uri: `sip:${user}@127.0.0.1:${peer!.port}` }], via: { port: peer!.port, rport: true }, expires: 600, ids });
  return (await peer!.request(text, port, 10_000)).status;
}

/** Run `task` on every item, {@link BATCH} at a time (one UDP burst each), and collect the results. */
async function inBatches<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map(task))));
  return out;
}

/** How many bindings each AOR has, asked of the registrar by a REGISTER without Contact (RFC 3261 §10.2.3). */
const bindingCounts = (port: number, users: readonly string[]): Promise<number[]> =>
  inBatches(users, async (user) => (await queryBindings(port, aor(user), 10_000)).contacts.length);

/** Whether a UDP socket can bind 127.0.0.1:`port` exclusively: no process holds the registrar's any more. */
function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind({ port, address: '127.0.0.1', exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

describe('sipreg registrar --workers', () => {
  it('two workers on one UDP socket and one Redis: every REGISTER answered, each worker serves alone and sees what the other saved, a killed worker is replaced, SIGTERM ends all', async () => {
    const port = await freePort();
    server = await startSipreg({ port, store: redis.url, extraArgs: ['--workers', '2', '--store-key-prefix', 'workers:'], readyTimeoutMs: 30_000 });
    const workersLine = await eventually(() => /^sipreg registrar workers: 2 \(pids (\d+), (\d+)\)$/m.exec(server!.output()) ?? undefined, 'the workers line', 5_000, () => server!.output());
    const [a, b] = [Number(workersLine[1]), Number(workersLine[2])];
    peer = await UdpSipPeer.open({ context: () => server!.output() });
    const users = Array.from({ length: AORS }, (_, i) => `w${i}`);

    // Both workers reading the socket.
    expect(await inBatches(users, (user) => register(port, user))).toEqual(users.map(() => 200));
    expect(await bindingCounts(port, users)).toEqual(users.map(() => 1));

    // One worker at a time: it answers REGISTERs and finds every binding the other saved.
    const saved = [...users];
    for (const [halted, serving] of [[a, b], [b, a]]) {
      process.kill(halted, 'SIGSTOP');
      stopped.add(halted);
      expect(await register(port, `only-${serving}`)).toBe(200);
      saved.push(`only-${serving}`);
      expect(await bindingCounts(port, saved)).toEqual(saved.map(() => 1));
      process.kill(halted, 'SIGCONT');
      stopped.delete(halted);
    }

    // A killed worker is replaced: with the other one halted, the replacement answers.
    process.kill(a, 'SIGKILL');
    await eventually(() => (server!.output().includes(`(pid ${a}) exited with signal SIGKILL; starting another`) ? true : undefined), 'the restart line', 10_000, () => server!.output());
    process.kill(b, 'SIGSTOP');
    stopped.add(b);
    expect(await register(port, 'after-restart')).toBe(200);
    process.kill(b, 'SIGCONT');
    stopped.delete(b);

    const primary = server;
    server = undefined;
    expect(await primary.stop(10_000)).toEqual({ code: 0, signal: null });
    expect(await udpPortFree(port)).toBe(true);
  }, 120_000);

  it('with --auth-db and no --auth-secret, a nonce one worker issued is accepted by the other (one secret for all)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-workers-'));
    try {
      writeSubscribers(join(dir, 'subscriber.db'), [{ username: 'carol', realm: '127.0.0.1', password: 'secret' }]);
      const port = await freePort();
      server = await startSipreg({ port, store: redis.url, extraArgs: ['--workers', '2', '--store-key-prefix', 'workers-auth:', '--auth-db', `sqlite:${join(dir, 'subscriber.db')}`], readyTimeoutMs: 30_000 });
      const workersLine = await eventually(() => /^sipreg registrar workers: 2 \(pids (\d+), (\d+)\)$/m.exec(server!.output()) ?? undefined, 'the workers line', 5_000, () => server!.output());
      const [a, b] = [Number(workersLine[1]), Number(workersLine[2])];
      peer ??= await UdpSipPeer.open({ context: () => server!.output() });
      const base = { aor: aor('carol'), contacts: [{ uri: peer.uri }], via: { port: peer.port, rport: true }, callId: `${ids.next()}@127.0.0.1`, fromTag: ids.next(), ids };

      process.kill(b, 'SIGSTOP');
      stopped.add(b);
      const challenge = await peer.request(buildRegister({ ...base, cseq: 1 }), port);
      expect(challenge.status).toBe(401);
      process.kill(b, 'SIGCONT');
      stopped.delete(b);
      const offered = selectDigestChallenge(challenge.headerAll('WWW-Authenticate'));
      const authorization = digestAuthorization(offered!, { username: 'carol', password: 'secret' }, { method: 'REGISTER', uri: 'sip:127.0.0.1' });
      process.kill(a, 'SIGSTOP');
      stopped.add(a);
      expect((await peer.request(buildRegister({ ...base, cseq: 2, headers: { Authorization: authorization! } }), port)).status).toBe(200);
      process.kill(a, 'SIGCONT');
      stopped.delete(a);
    } finally {
      await server?.stop();
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses --workers 2 without a store the workers share, with SQLite memory-only bindings, or with reg-event (exit 2), saying what to do', async () => {
    const port = await freePort();
    const refusal = async (args: readonly string[]): Promise<string> => {
      const run = await runToExit(process.execPath, [...CLI, 'registrar', '--listen', `udp:127.0.0.1:${port}`, '--workers', '2', ...args]);
      expect(run.code).toBe(2);
      return run.stderr;
    };
    expect(await refusal(['--store', 'memory'])).toBe('sipreg: --workers 2 needs a store every worker shares: --store redis://HOST:PORT (or sqlite:PATH), not memory, which is one per process\n');
    expect(await refusal(['--store', 'sqlite::memory:', '--save-flags', 'm'])).toContain('memory-only bindings (save flag m) stay in the worker that saved them; drop m from --save-flags or use --store redis://HOST:PORT');
    expect(await refusal(['--store', redis.url, '--reginfo-server-address', 'sip:reginfo@127.0.0.1'])).toContain('--workers 2 cannot run reg-event (--reginfo-server-address)');
  });

  it('with --ping-interval, each worker pings its share of the AORs: every contact one ping per interval, from both workers', async () => {
    await server?.stop();
    const port = await freePort();
    server = await startSipreg({ port, store: redis.url, extraArgs: ['--workers', '2', '--store-key-prefix', 'cli-workers-ping:', '--ping-interval', '2'], readyTimeoutMs: 30_000 });
    const phones = await Promise.all(Array.from({ length: 8 }, () => UdpSipPeer.open()));
    try {
      for (const [i, phone] of phones.entries()) {
        const text = buildRegister({ aor: aor(`pinged${i}`), contacts: [{ uri: `sip:pinged${i}@127.0.0.1:${phone.port}` }], via: { port: phone.port, rport: true }, expires: 600, ids });
        expect((await phone.request(text, port, 10_000)).status).toBe(200);
      }
      const pings = () => phones.map((phone) => phone.requests().filter((r) => r.method === 'OPTIONS'));
      const before = pings().map((p) => p.length);
      await new Promise((r) => setTimeout(r, 4_500));
      const counts = pings().map((p, i) => p.length - before[i]);
      // One pinger per AOR: 2 (or 3) pings in 4.5 s at a 2 s interval; one per worker would be 4 or more.
      expect(counts.every((n) => n >= 1 && n <= 3)).toBe(true);
      // Each worker names its own UDP socket in the Via of its pings: both took part.
      const viaPorts = new Set(pings().flat().map((r) => r.via[0].port));
      expect(viaPorts.size).toBe(2);
    } finally {
      await Promise.all(phones.map((phone) => phone.close()));
    }
  }, 60_000);

  it('lists --workers in --help', async () => {
    const help = await runToExit(process.execPath, [...CLI, 'registrar', '--help']);
    expect(help.stdout).toMatch(/^ {2}--workers +processes on the same --listen sockets \(node:cluster\)/m);
  });
});
