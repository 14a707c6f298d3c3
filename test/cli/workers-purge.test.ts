/**
 * `sipreg registrar --workers 2`: one worker, the one at place 0, purges the shared location
 * (usrloc's timer): N workers no longer scan the store N times per interval, and an expired
 * binding is still removed. Counted on the Redis server: each purge asks for the AORs due with
 * one ZRANGEBYSCORE on the expiry index.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { buildRegister, IdSequence } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import { queryBindings } from '../helpers/query-bindings';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { redisCommand, startRedis, type RedisServer } from '../helpers/start-redis';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { eventually } from '../helpers/eventually';

const ids = new IdSequence('workers-purge');
const PURGE_MS = 100;
const WINDOW_MS = 2_000;

let redis: RedisServer;
let server: ManagedProcess | undefined;
let peer: UdpSipPeer | undefined;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});
afterAll(async () => {
  await peer?.close();
  await server?.stop();
  await redis?.stop();
});

/** How many ZRANGEBYSCORE the Redis server has run (INFO commandstats). */
async function purgeScans(): Promise<number> {
  const info = String(await redisCommand(redis.port, ['INFO', 'commandstats']));
  return Number(/cmdstat_zrangebyscore:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('sipreg registrar --workers 2 purging', () => {
  it('purges from one worker: one scan of the store per interval, and an expired binding goes', async () => {
    const port = await freePort();
    server = await startSipreg({ port, store: redis.url, extraArgs: ['--workers', '2', '--purge-interval', String(PURGE_MS), '--min-expires', '1'], readyTimeoutMs: 30_000 });
    const before = await purgeScans();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const scans = (await purgeScans()) - before;
    // One purger: about WINDOW_MS / PURGE_MS scans; two would make twice as many.
    expect(scans).toBeGreaterThan(0.5 * (WINDOW_MS / PURGE_MS));
    expect(scans).toBeLessThan(1.5 * (WINDOW_MS / PURGE_MS));

    peer = await UdpSipPeer.open({ context: () => server!.output() });
    const aor = 'sip:gina@127.0.0.1';
    const registered = await peer.request(buildRegister({ aor, contacts: [{ uri: `sip:gina@127.0.0.1:${peer.port}` }], via: { port: peer.port, rport: true }, expires: 1, ids }), port, 10_000);
    expect(registered.status).toBe(200);
    expect(await redisCommand(redis.port, ['ZCARD', 'sipreg:expiry'])).toBe(1);
    await eventually(async () => ((await redisCommand(redis.port, ['ZCARD', 'sipreg:expiry'])) === 0 ? true : undefined), 'the expiry index emptied', 5_000, () => server!.output());
    expect((await queryBindings(port, aor)).contacts).toEqual([]);
  }, 60_000);
});
