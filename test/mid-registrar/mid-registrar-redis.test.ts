import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMidRegistrar, type MidRegistrar } from '../../src/mid-registrar/mid-registrar';
import { createRegistrar } from '../../src/registrar/registrar';
import type { SipRequest } from '../../src/sip/message';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { RedisLocationStore, connectRedis, type RedisClient } from '../../src/stores/redis';
import { eventually } from '../helpers/eventually';
import { redisCommand, startRedis, type RedisServer } from '../helpers/start-redis';
import { parse, T0, UPSTREAM } from './mid-harness';

// Two mid-registrar nodes in front of one main registrar, sharing their location on a real Redis.
let redis: RedisServer;
let client: RedisClient;
beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  client = await connectRedis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

function twoNodes(ownership?: { a: readonly string[]; b: readonly string[] }) {
  const clock = new ManualClock(T0);
  const main = createRegistrar({ clock, purgeIntervalMs: 0, minExpires: 1 });
  const upstreamSeen: SipRequest[] = [];
  const mids: MidRegistrar[] = [];
  const closers: (() => Promise<void>)[] = [];
  for (const [name, host] of [['a', '10.0.0.2'], ['b', '10.0.0.4']] as const) {
    const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: host, port: 5060 }] });
    transport.respondWith(async (request) => {
      upstreamSeen.push(request);
      return (await main.save(request)).response!;
    });
    const store = new RedisLocationStore({ client, keyPrefix: `mid${T0}:`, notices: true });
    const tags = ownership?.[name];
    const mid = createMidRegistrar({
      mode: 'throttle-contact', clock, transport, upstream: UPSTREAM, store,
      ...(tags === undefined ? {} : { isTagActive: (tag: string) => tags.includes(tag) }),
    });
    mids.push(mid);
    closers.push(async () => {
      await mid.close();
      await store.close();
    });
  }
  return { clock, main, upstreamSeen, a: mids[0], b: mids[1], close: async () => Promise.all(closers.map((c) => c())) };
}

const waitForSubscribers = (): Promise<true> => eventually(async () => {
  const [, count] = (await redisCommand(redis.port, ['PUBSUB', 'NUMSUB', `mid${T0}:changes`])) as [string, number];
  return count >= 2 ? true : undefined;
}, 'both nodes listening', 5_000, () => '', 20);

describe('mid-registrar nodes sharing a Redis location', () => {
  it('a call the main registrar routes by contact id reaches the phone through the node that did not forward its REGISTER', async () => {
    const t = twoNodes();
    try {
      // Each node's store subscribes when its registrar starts watching.
      await waitForSubscribers();
      // B has looked up a contact id before (its one scan of the store after a start is spent).
      expect((await t.b.lookup(parse(buildRequest('INVITE', { requestUri: 'sip:x@10.0.0.4;ctid=0123456789abcdef' })))).kind).toBe('not-found');
      const phone = parse(buildRegister({ aor: 'sip:alice@example.com', contacts: [{ uri: 'sip:alice@192.0.2.7:5062', expires: 600 }], callId: 'a1' }));
      expect((await t.a.process(phone)).response).toBeDefined();
      const [forwarded] = (await t.main.bindings('alice@example.com')).map((b) => b.contact);
      expect(forwarded).toMatch(/;ctid=[0-9a-f]{16}$/);
      const invite = parse(buildRequest('INVITE', { requestUri: forwarded, to: 'sip:alice@example.com' }));
      const found = await eventually(async () => {
        const r = await t.b.lookup(invite);
        return r.kind === 'found' ? r : undefined;
      }, 'node B routing the contact id', 5_000, () => '');
      expect(found.targets.map((x) => x.uri)).toEqual(['sip:alice@192.0.2.7:5062']);
    } finally {
      await t.close();
    }
  });

  it('when a phone vanishes, exactly one node de-registers it upstream: the one holding its ownership tag', async () => {
    const t = twoNodes({ a: [], b: ['vip/1'] });
    try {
      await waitForSubscribers();
      const phone = parse(buildRegister({ aor: 'sip:bob@example.com', contacts: [{ uri: 'sip:bob@192.0.2.8', expires: 60 }], callId: 'b1' }));
      await t.a.process(phone, { ownershipTag: 'vip/1' });
      expect(t.upstreamSeen).toHaveLength(1);
      // Both nodes' purge timers fire; only the tag owner removes the binding and de-registers it.
      t.clock.advance(61_000);
      await eventually(async () => ((await t.main.bindings('bob@example.com')).length === 0 ? true : undefined), 'the de-REGISTER', 5_000, () => '');
      t.clock.advance(1_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await Promise.all([t.a.drain(), t.b.drain()]);
      const deRegisters = t.upstreamSeen.slice(1);
      expect(deRegisters.map((r) => [r.callId, r.expires])).toEqual([['b1', 0]]);
      expect(deRegisters[0].via[0].host).toBe('10.0.0.4');
      expect(await t.main.bindings('bob@example.com')).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
