/**
 * Without local authentication the main registrar authenticates, so the throttling modes answer a
 * REGISTER themselves only when it comes from the registration the main registrar accepted: the
 * Call-ID and From tag of its last 2xx for the binding (OpenSIPS issue #3193).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipRequest } from '../../src/sip/message';
import { SqliteLocationStore } from '../../src/stores/sqlite-location-store';
import { buildResponseText } from '../../src/testing/message-builders';
import { setup } from './mid-harness';

const CHALLENGE = 'Digest realm="example.com", nonce="main-1", qop="auth", algorithm=MD5';

/** The main registrar challenges REGISTERs of `callId` (a phone it has no credentials from), and saves the others. */
function challengeCallId(t: ReturnType<typeof setup>, callId: string): void {
  t.transport.respondWith(async (request: SipRequest) => {
    t.upstreamSeen.push(request);
    if (request.callId === callId) return buildResponseText(request, 401, 'Unauthorized', [['WWW-Authenticate', CHALLENGE]]);
    return (await t.main.save(request)).response!;
  });
}

describe('mid-registrar without local auth: only the accepted registration is absorbed (OpenSIPS #3193)', () => {
  it('throttle-contact forwards a refresh of a registered Contact from another Call-ID, and relays the main registrar\'s 401', async () => {
    const t = setup('throttle-contact');
    const contact = [{ uri: 'sip:alice@192.0.2.7:5062', expires: 300 }];
    expect((await t.register('sip:alice@example.com', contact, { callId: 'a1', fromTag: 'ta' })).status).toBe(200);
    expect(t.upstreamSeen).toHaveLength(1);
    const [stored] = await t.mid.registrar.bindings('alice@example.com');
    expect(stored.upstream?.accepted).toEqual({ callId: 'a1', fromTag: 'ta' });

    challengeCallId(t, 'intruder');
    await t.advance(10_000);
    const intruder = await t.register('sip:alice@example.com', contact, { callId: 'intruder', fromTag: 'ti', cseq: 7 });
    expect(intruder.status).toBe(401);
    expect(intruder.header('www-authenticate')).toBe(CHALLENGE);
    expect(t.upstreamSeen.map((r) => r.callId)).toEqual(['a1', 'intruder']);
    expect((await t.mid.registrar.bindings('alice@example.com')).map((b) => [b.callId, b.cseq, b.expiresAt])).toEqual([['a1', 1, stored.expiresAt]]);

    // The phone's own refresh within the throttle window: absorbed, as before.
    const refresh = await t.register('sip:alice@example.com', contact, { callId: 'a1', fromTag: 'ta', cseq: 2 });
    expect(refresh.status).toBe(200);
    expect(t.upstreamSeen).toHaveLength(2);
    expect(await t.mid.stats()).toMatchObject({ forwarded: 2, absorbed: 1 });
  });

  it('throttle-contact forwards the same Call-ID with another From tag', async () => {
    const t = setup('throttle-contact');
    const contact = [{ uri: 'sip:bob@192.0.2.8', expires: 300 }];
    await t.register('sip:bob@example.com', contact, { callId: 'b1', fromTag: 'tb' });
    t.transport.respondWith((request) => {
      t.upstreamSeen.push(request);
      return buildResponseText(request, 401, 'Unauthorized', [['WWW-Authenticate', CHALLENGE]]);
    });
    expect((await t.register('sip:bob@example.com', contact, { callId: 'b1', fromTag: 'forged', cseq: 2 })).status).toBe(401);
    expect(t.upstreamSeen.map((r) => [r.callId, r.from.params.tag])).toEqual([['b1', 'tb'], ['b1', 'forged']]);
  });

  it('throttle-aor forwards a foreign de-registration of one device and a foreign query instead of answering them', async () => {
    const t = setup('throttle-aor');
    await t.register('sip:carol@example.com', [{ uri: 'sip:carol@192.0.2.16', expires: 300 }], { callId: 'c1', fromTag: 't1' });
    await t.register('sip:carol@example.com', [{ uri: 'sip:carol@192.0.2.17', expires: 300 }], { callId: 'c2', fromTag: 't2' });
    expect(t.upstreamSeen).toHaveLength(2);

    challengeCallId(t, 'intruder');
    const removal = await t.register('sip:carol@example.com', [{ uri: 'sip:carol@192.0.2.16', expires: 0 }], { callId: 'intruder', fromTag: 'ti' });
    expect(removal.status).toBe(401);
    const query = await t.register('sip:carol@example.com', [], { callId: 'intruder', fromTag: 'ti', cseq: 2 });
    expect(query.status).toBe(401);
    expect(query.contacts).toEqual([]);
    expect(t.upstreamSeen.map((r) => [r.callId, r.contacts !== '*' && r.contacts.length])).toEqual([['c1', 1], ['c2', 1], ['intruder', 1], ['intruder', 0]]);
    expect((await t.mid.registrar.bindings('carol@example.com')).map((b) => b.contact).sort()).toEqual(['sip:carol@192.0.2.16', 'sip:carol@192.0.2.17']);

    // Each device leaves or asks with its own registration: answered here.
    const own = await t.register('sip:carol@example.com', [], { callId: 'c2', fromTag: 't2', cseq: 2 });
    expect(own.status).toBe(200);
    expect(own.contacts !== '*' && own.contacts.map((c) => c.uri).sort()).toEqual(['sip:carol@192.0.2.16', 'sip:carol@192.0.2.17']);
    expect((await t.register('sip:carol@example.com', [{ uri: 'sip:carol@192.0.2.16', expires: 0 }], { callId: 'c1', fromTag: 't1', cseq: 2 })).status).toBe(200);
    expect(t.upstreamSeen).toHaveLength(4);
    expect((await t.mid.registrar.bindings('carol@example.com')).map((b) => b.contact)).toEqual(['sip:carol@192.0.2.17']);
  });

  it('throttle-aor keeps each device\'s own Call-ID and From tag when another device refreshed the AOR upstream', async () => {
    const t = setup('throttle-aor', { outgoingExpires: 600 });
    await t.register('sip:dan@example.com', [{ uri: 'sip:dan@192.0.2.20', expires: 120 }], { callId: 'd1' });
    await t.advance(10_000);
    await t.register('sip:dan@example.com', [{ uri: 'sip:dan@192.0.2.21', expires: 120 }], { callId: 'd2' });
    // d1's refresh carries the AOR's newest upstream registration (d2's), and stays d1's.
    await t.register('sip:dan@example.com', [{ uri: 'sip:dan@192.0.2.20', expires: 120 }], { callId: 'd1', cseq: 2 });
    await t.register('sip:dan@example.com', [{ uri: 'sip:dan@192.0.2.20', expires: 120 }], { callId: 'd1', cseq: 3 });
    expect(t.upstreamSeen).toHaveLength(2);
    const byContact = new Map((await t.mid.registrar.bindings('dan@example.com')).map((b) => [b.contact, b.upstream]));
    expect(byContact.get('sip:dan@192.0.2.20')).toMatchObject({ callId: 'd2', accepted: { callId: 'd1', fromTag: 'tag-d1' } });
    expect(byContact.get('sip:dan@192.0.2.21')).toMatchObject({ callId: 'd2', accepted: { callId: 'd2', fromTag: 'tag-d2' } });
  });

  it('forwards the next REGISTER of a binding stored without the accepted Call-ID and From tag (a file from an older sipreg), then absorbs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-mid-accepted-'));
    try {
      const path = join(dir, 'location.db');
      const store = new SqliteLocationStore({ path });
      const t = setup('throttle-contact', { store });
      const contact = [{ uri: 'sip:erin@192.0.2.30', expires: 300 }];
      await t.register('sip:erin@example.com', contact, { callId: 'e1' });
      const db = new Database(path);
      const upstream = (): Record<string, unknown> => JSON.parse((db.prepare('SELECT upstream FROM location').get() as { upstream: string }).upstream) as Record<string, unknown>;
      expect(upstream().accepted).toEqual({ callId: 'e1', fromTag: 'tag-e1' });
      db.prepare("UPDATE location SET upstream = json_remove(upstream, '$.accepted')").run();

      await t.register('sip:erin@example.com', contact, { callId: 'e1', cseq: 2 });
      expect(t.upstreamSeen).toHaveLength(2);
      expect(upstream().accepted).toEqual({ callId: 'e1', fromTag: 'tag-e1' });
      await t.register('sip:erin@example.com', contact, { callId: 'e1', cseq: 3 });
      expect(t.upstreamSeen).toHaveLength(2);
      db.close();
      await t.mid.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
