import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RedisRegistrantStore, connectRedis } from '../../src/stores/redis';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { spawnManaged, type ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startCliCommand } from '../helpers/start-sipreg';
import { redisCommand, startRedis, type RedisServer } from '../helpers/start-redis';

const LEASE_MS = 900;

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis({ appendOnly: false });
});
afterAll(async () => {
  await server?.stop();
});

/** A remote registrar on UDP that answers 200 OK to every REGISTER and notes (To user, source port). */
async function scriptedRegistrar(): Promise<{ readonly port: number; readonly seen: { user: string; from: number }[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const seen: { user: string; from: number }[] = [];
  socket.on('message', (m, rinfo) => {
    const text = m.toString();
    const user = /^To: <sip:([^@]+)@/m.exec(text)?.[1] ?? '?';
    seen.push({ user, from: rinfo.port });
    const head = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq|Contact):/i.test(l));
    socket.send(['SIP/2.0 200 OK', ...head.map((l) => (/^To:/i.test(l) ? `${l};tag=r` : l)), 'Content-Length: 0', '', ''].join('\r\n'), rinfo.port, rinfo.address);
  });
  return { port: socket.address().port, seen, close: () => socket.close() };
}

/** Run `sipreg registrant ARGS` to its exit. */
async function exitOf(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawnManaged(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'registrant', '--listen', 'udp:127.0.0.1:0', ...args], { cwd: REPOSITORY_ROOT, killAfterMs: 45_000 });
  const { code } = await child.exited;
  return { code, output: child.output() };
}

describe('sipreg registrant on Redis', () => {
  it('two nodes with --shtag vip/1 on one Redis: only the holder registers the tagged registrant; stopping it hands the tag over', async () => {
    const registrar = await scriptedRegistrar();
    const keyPrefix = 'cli:';
    const client = await connectRedis(server.url);
    const store = new RedisRegistrantStore({ client, ownsClient: true, keyPrefix });
    const record = (user: string, clusterShtag?: string) => ({
      aor: `sip:${user}@example.com`, bindingUri: `sip:${user}@127.0.0.1`, registrar: `sip:127.0.0.1:${registrar.port}`, expirySec: 300, enabled: true,
      ...(clusterShtag === undefined ? {} : { clusterShtag }),
    });
    await store.put(record('vip', 'vip/1'));
    await store.put(record('all'));
    await store.close();

    const nodes: ManagedProcess[] = [];
    const startNode = async (): Promise<{ process: ManagedProcess; port: number }> => {
      const port = await freePort('udp');
      const process = await startCliCommand('registrant', `udp:127.0.0.1:${port}`, [
        '--registrants', server.url, '--redis-key-prefix', keyPrefix, '--shtag', 'vip/1', '--shtag-lease', String(LEASE_MS),
        '--hash-size', '0', '--timer-interval', '2',
      ]);
      nodes.push(process);
      return { process, port };
    };
    const from = (user: string, port: number): number => registrar.seen.filter((s) => s.user === user && s.from === port).length;
    const context = (): string => `REGISTERs ${JSON.stringify(registrar.seen)}\n${nodes.map((n, i) => `--- node ${i}:\n${n.output()}`).join('\n')}`;
    try {
      const a = await startNode();
      await eventually(() => (from('vip', a.port) > 0 && from('all', a.port) > 0 ? true : undefined), 'node A registering vip and all', 20_000, context);
      const b = await startNode();
      await eventually(() => (from('all', b.port) > 0 ? true : undefined), 'node B registering all', 20_000, context);
      // B's first visit is over: it left vip alone, and it holds nothing.
      await new Promise((r) => setTimeout(r, LEASE_MS));
      expect(from('vip', b.port)).toBe(0);
      expect(await redisCommand(server.port, ['GET', `${keyPrefix}shtag:{vip/1}`])).toMatch(new RegExp(`:${a.process.pid}:`));
      expect(b.process.output()).toContain('"backup":["vip/1"]');

      expect((await a.process.stop()).code).toBe(0);
      await eventually(() => (from('vip', b.port) > 0 ? true : undefined), 'node B registering vip after A stopped', 10_000, context);
      expect(b.process.output()).toContain('sharing tag active here');
      expect(await redisCommand(server.port, ['GET', `${keyPrefix}shtag:{vip/1}`])).toMatch(new RegExp(`:${b.process.pid}:`));
      expect(from('vip', a.port)).toBe(1);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      registrar.close();
    }
  }, 60_000);

  it('exits 2 naming the flag for bad --shtag, --shtag-lease, --redis-key-prefix and --registrants values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-cli-'));
    const file = join(dir, 'none.json');
    writeFileSync(file, '[]');
    try {
      const cases: [string[], string][] = [
        [['--registrants', file, '--shtag', 'vip/1'], '--shtag needs --registrants redis://'],
        [['--registrants', file, '--redis-key-prefix', 'x:'], '--redis-key-prefix needs --registrants redis://'],
        [['--registrants', server.url, '--shtag', 'vip'], '--shtag: RedisSharingTagsOptions.tags[0] must be TAG/CLUSTER_ID'],
        [['--registrants', server.url, '--shtag', 'vip/1', '--shtag', 'vip/1'], "--shtag: RedisSharingTagsOptions.tags[1] repeats 'vip/1'"],
        [['--registrants', server.url, '--shtag', 'vip/1', '--shtag-lease', '10'], '--shtag-lease: RedisSharingTagsOptions.leaseMs must be an integer in 100..'],
        [['--registrants', server.url, '--shtag-lease', '1000'], '--shtag-lease needs --shtag'],
        [['--registrants', server.url, '--shtag', 'vip/1', '--shtag-active', 'vip/1'], '--shtag vip/1 is also given to --shtag-active'],
        [['--registrants', server.url, '--redis-key-prefix', 'x{y}:'], '--redis-key-prefix: RedisRegistrantStore keyPrefix'],
        [['--registrants', 'redis-cluster://'], "--registrants: 'redis-cluster://' names no cluster node"],
      ];
      // Three at a time: each is a Node process compiling the CLI with tsx.
      const results: { code: number | null; output: string }[] = [];
      for (let i = 0; i < cases.length; i += 3) results.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => exitOf(args)))));
      results.forEach((result, i) => expect(result).toMatchObject({ code: 2, output: expect.stringContaining(cases[i][1]) }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
