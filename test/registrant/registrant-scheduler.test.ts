import { createHash } from 'node:crypto';
import { ConfigError } from '../../src/errors/sdk-error';
import { createRegistrantScheduler } from '../../src/registrant/registrant-scheduler';
import { REGISTRANT_TRANSITIONS } from '../../src/registrant/registrant-state';
import { pickSrv } from '../../src/sip/request-destination';
import { MemoryRegistrantStore } from '../../src/stores/memory-registrant-store';
import { FakeTransport } from '../../src/testing/fake-transport';
import { buildResponseText } from '../../src/testing/message-builders';
import type { SipRequest } from '../../src/sip/message';
import { contactExpires, harness, ok, record, T0, type Harness } from './registrant-harness';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const challenge401 = (r: SipRequest, extra = ''): string =>
  buildResponseText(r, 401, 'Unauthorized', [['WWW-Authenticate', `Digest realm="example.com", nonce="n1", qop="auth"${extra}`]]);
const authParam = (value: string, name: string): string | undefined => new RegExp(`${name}="?([^",]+)"?`).exec(value)?.[1];

/** Every transition seen must be an edge of the documented state machine. */
function expectLegal(h: Harness): void {
  for (const c of h.changes) expect(REGISTRANT_TRANSITIONS[c.from]).toContain(c.to);
}

describe('registrant scheduler (OpenSIPS uac_registrant, RFC 3261 §10.2)', () => {
  it('registers at start: REGISTER to the registrar, To/From = AOR, our Contact with expires, then REGISTERED', async () => {
    const h = await harness([record()], (r) => ok(r));
    const [reg] = h.sent();
    expect(reg.method).toBe('REGISTER');
    expect(reg.uri).toBe('sip:127.0.0.1:5070');
    expect(reg.to.uri).toBe('sip:alice@example.com');
    expect(reg.from.uri).toBe('sip:alice@example.com');
    expect(reg.from.params.tag).toBeTruthy();
    expect(reg.contacts).toHaveLength(1);
    expect(reg.contacts !== '*' && reg.contacts[0].uri).toBe('sip:alice@127.0.0.1:5060');
    expect(contactExpires(reg)).toBe(3600);
    expect(reg.cseq).toEqual({ seq: 1, method: 'REGISTER' });
    expect(reg.via[0].host).toBe('127.0.0.1');
    expect(reg.via[0].branch).toMatch(/^z9hG4bK/);
    expect(h.transport.requests[0].destination).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5070 });
    expect(h.states()).toEqual(['REGISTERING', 'REGISTERED']);
    const [status] = h.scheduler.list();
    expect(status).toMatchObject({ state: 'REGISTERED', stateCode: 3, expiresSec: 3600, registeredUntil: T0 + 3600_000 });
    expect(h.scheduler.stats()).toEqual({ registrants: 1, enabledRegistrants: 1, registeredRegistrants: 1, failedRegistrants: 0 });
    expectLegal(h);
  });

  it('takes the expiry from our own Contact in the 200 (RFC 3261 §19.1.4 comparison), else from Expires', async () => {
    const listed = await harness([record()], (r) => buildResponseText(r, 200, 'OK', [
      ['Contact', '<sip:bob@10.0.0.9>;expires=50'],
      ['Contact', '<SIP:alice@127.0.0.1:5060;transport=UDP>;expires=600'],
    ]));
    // transport=UDP is a parameter only one side has: §19.1.4 says they then differ.
    expect(listed.scheduler.list()[0].expiresSec).toBe(3600);
    const equal = await harness([record({ bindingUri: 'sip:alice@127.0.0.1:5060;ob' })], (r) => buildResponseText(r, 200, 'OK', [
      ['Contact', '<sip:bob@10.0.0.9>;expires=50'],
      ['Contact', '<sip:alice@127.0.0.1:5060;OB>;expires=600'],
    ]));
    expect(equal.scheduler.list()[0].expiresSec).toBe(600);
    const header = await harness([record()], (r) => buildResponseText(r, 200, 'OK', [['Expires', '900']]));
    expect(header.scheduler.list()[0].expiresSec).toBe(900);
    const none = await harness([record()], (r) => ok(r, 0));
    expect(none.changes.at(-1)).toMatchObject({ to: 'REGISTRAR_ERROR', status: 200 });
  });

  it('refreshes before expiry with the same Call-ID and the next CSeq; never lets the registration lapse', async () => {
    const h = await harness([record({ expirySec: 600 })], (r) => ok(r), { timerIntervalSec: 10, hashSize: 0 });
    const sendTimes = [T0];
    h.scheduler.on('stateChange', (c) => c.to === 'REGISTERING' && sendTimes.push(h.clock.now()));
    await h.runFor(3 * 3600_000);
    const sent = h.sent();
    expect(sent.length).toBeGreaterThan(15);
    expect(new Set(sent.map((r) => r.callId)).size).toBe(1);
    expect(sent.map((r) => r.cseq.seq)).toEqual(sent.map((_, i) => i + 1));
    // every refresh leaves while the registration it renews still runs, at least timer_interval ahead
    for (let i = 1; i < sendTimes.length; i++) expect(sendTimes[i] - sendTimes[i - 1]).toBeLessThanOrEqual(600_000 - 10_000);
    expect(h.scheduler.list()[0].registeredUntil).toBeGreaterThan(h.clock.now());
  });

  it('answers a 401 with digest credentials (AUTHENTICATING), keeping Call-ID, next CSeq', async () => {
    let n = 0;
    const h = await harness([record({ username: 'alice', password: 'secret' })], (r) => (n++ === 0 ? challenge401(r) : ok(r)));
    expect(h.states()).toEqual(['REGISTERING', 'AUTHENTICATING', 'REGISTERED']);
    expect(h.changes.map((c) => c.status)).toEqual([undefined, 401, 200]);
    const [first, second] = h.sent();
    expect(second.callId).toBe(first.callId);
    expect(second.cseq.seq).toBe(2);
    const auth = second.header('authorization')!;
    const cnonce = authParam(auth, 'cnonce')!;
    const ha1 = md5('alice:example.com:secret');
    const ha2 = md5('REGISTER:sip:127.0.0.1:5070');
    expect(authParam(auth, 'response')).toBe(md5(`${ha1}:n1:00000001:${cnonce}:auth:${ha2}`));
    expect(authParam(auth, 'uri')).toBe('sip:127.0.0.1:5070');
    expectLegal(h);
  });

  it('answers the strongest of several challenges (RFC 7616 §3.7): SHA-512-256 with qop auth-int over the empty body', async () => {
    const sha = (alg: string, v: string): string => createHash(alg).update(v).digest('hex');
    let n = 0;
    const h = await harness([record({ username: 'alice', password: 'secret' })], (r) => (n++ > 0 ? ok(r) : buildResponseText(r, 401, 'Unauthorized', [
      ['WWW-Authenticate', 'Digest realm="example.com", nonce="m", qop="auth", algorithm=MD5'],
      ['WWW-Authenticate', 'Digest realm="example.com", nonce="s", qop="auth-int", algorithm=SHA-512-256'],
      ['WWW-Authenticate', 'Digest realm="example.com", nonce="x", algorithm=SHA-1'],
    ])));
    const auth = h.sent()[1].header('authorization')!;
    expect(auth).toContain('algorithm=SHA-512-256');
    expect(auth).toContain('qop=auth-int');
    const H = (v: string): string => sha('sha512-256', v);
    const cnonce = authParam(auth, 'cnonce')!;
    const ha2 = H(`REGISTER:sip:127.0.0.1:5070:${H('')}`);
    expect(authParam(auth, 'response')).toBe(H(`${H('alice:example.com:secret')}:s:00000001:${cnonce}:auth-int:${ha2}`));
    expect(h.scheduler.list()[0].state).toBe('REGISTERED');
  });

  it('answers a 407 with Proxy-Authorization', async () => {
    let n = 0;
    const h = await harness([record({ username: 'alice', password: 'secret' })], (r) =>
      n++ === 0 ? buildResponseText(r, 407, 'Proxy Authentication Required', [['Proxy-Authenticate', 'Digest realm="p", nonce="x"']]) : ok(r));
    expect(h.sent()[1].header('proxy-authorization')).toMatch(/^Digest username="alice", realm="p"/);
    expect(h.scheduler.list()[0].state).toBe('REGISTERED');
  });

  it('a second challenge to answered credentials is WRONG_CREDENTIALS, with no retry loop', async () => {
    const h = await harness([record({ username: 'alice', password: 'wrong' })], (r) => challenge401(r), { timerIntervalSec: 10, hashSize: 0 });
    expect(h.states()).toEqual(['REGISTERING', 'AUTHENTICATING', 'WRONG_CREDENTIALS']);
    await h.runFor(600_000);
    expect(h.sent()).toHaveLength(2);
    expect(h.scheduler.stats().failedRegistrants).toBe(1);
    // It is retried only after the full expiry (no backoff ramp for credentials), with a new Call-ID.
    await h.runFor(3600_000);
    expect(h.sent()).toHaveLength(4);
    expect(h.sent()[2].callId).not.toBe(h.sent()[0].callId);
  });

  it('a challenge without provisioned credentials is WRONG_CREDENTIALS at once', async () => {
    const h = await harness([record()], (r) => challenge401(r));
    expect(h.states()).toEqual(['REGISTERING', 'WRONG_CREDENTIALS']);
    expect(h.sent()).toHaveLength(1);
  });

  it('a challenged unREGISTER is answered once (AUTHENTICATING_UNREGISTER); CSeq counts every request sent (RFC 3261 §10.2.4)', async () => {
    const h = await harness([record({ username: 'alice', password: 'secret' })], (r) =>
      (r.header('authorization') === undefined ? challenge401(r) : ok(r)), { preemptiveAuth: false });
    expect(h.scheduler.list()[0].cseq).toBe(2);
    await h.scheduler.close({ unregister: true });
    expect(h.states()).toEqual(['REGISTERING', 'AUTHENTICATING', 'REGISTERED', 'UNREGISTERING', 'AUTHENTICATING_UNREGISTER', 'NOT_REGISTERED']);
    expect(h.sent().map((r) => [r.cseq.seq, r.header('authorization') !== undefined])).toEqual([[1, false], [2, true], [3, false], [4, true]]);
    expect(new Set(h.sent().map((r) => r.via[0].branch)).size).toBe(4);
    expect(h.scheduler.list()[0].cseq).toBe(4);
    expectLegal(h);
  });

  it('a stale nonce (stale=true) is answered again without counting as a failure', async () => {
    let n = 0;
    const h = await harness([record({ username: 'alice', password: 'secret' })], (r) =>
      n++ === 0 ? challenge401(r) : n === 2 ? challenge401(r, ', stale=true').replace('n1', 'n2') : ok(r));
    expect(h.states()).toEqual(['REGISTERING', 'AUTHENTICATING', 'AUTHENTICATING', 'REGISTERED']);
    expect(authParam(h.sent()[2].header('authorization')!, 'nonce')).toBe('n2');
    expect(h.scheduler.list()[0].failures).toBe(0);
  });

  it('re-uses the nonce on refresh with the next nonce count (RFC 7616 §3.4), and answers a fresh challenge to it', async () => {
    let n = 0;
    const h = await harness([record({ username: 'alice', password: 'secret', expirySec: 300 })], (r) =>
      (n++ === 0 ? challenge401(r) : ok(r)), { timerIntervalSec: 10, hashSize: 0 });
    await h.runFor(300_000);
    const refresh = h.sent()[2];
    expect(authParam(refresh.header('authorization')!, 'nc')).toBe('00000002');
    expect(h.changes.at(-1)!.to).toBe('REGISTERED');
    const noReuse = await harness([record({ username: 'alice', password: 'secret', expirySec: 300 })], (r) =>
      (r.header('authorization') === undefined ? challenge401(r) : ok(r)), { timerIntervalSec: 10, hashSize: 0, preemptiveAuth: false });
    await noReuse.runFor(300_000);
    expect(noReuse.sent()[2].header('authorization')).toBeUndefined();
    expect(noReuse.sent()[3].header('authorization')).toBeDefined();
  });

  it('423 is retried at once with Min-Expires; 423 without a larger one is REGISTRAR_ERROR', async () => {
    const h = await harness([record({ expirySec: 60 })], (r) =>
      contactExpires(r)! < 300 ? buildResponseText(r, 423, 'Interval Too Brief', [['Min-Expires', '300']]) : ok(r));
    expect(h.states()).toEqual(['REGISTERING', 'REGISTERING', 'REGISTERED']);
    expect(h.changes[1].status).toBe(423);
    expect(contactExpires(h.sent()[1])).toBe(300);
    const bad = await harness([record({ expirySec: 60 })], (r) => buildResponseText(r, 423, 'Interval Too Brief', [['Min-Expires', '30']]));
    expect(bad.states()).toEqual(['REGISTERING', 'REGISTRAR_ERROR']);
  });

  it('no reply and 408 are REGISTER_TIMEOUT; the retry comes after the RFC 5626 backoff with a new Call-ID', async () => {
    const h = await harness([record()], () => 'timeout', { timerIntervalSec: 2, hashSize: 0 });
    expect(h.states()).toEqual(['REGISTERING', 'REGISTER_TIMEOUT']);
    const gaps: number[] = [];
    let last = h.clock.now();
    h.scheduler.on('stateChange', (c) => {
      if (c.to === 'REGISTERING') {
        gaps.push(h.clock.now() - last);
        last = h.clock.now();
      }
    });
    await h.runFor(4 * 3600_000);
    // wait = min(cap = 3600 s, 30 · 2^n) s, actual 50–100 % of it, rounded up to the next visit (2 s).
    gaps.slice(0, 6).forEach((gap, i) => {
      const wait = Math.min(3600, 30 * 2 ** (i + 1)) * 1000;
      expect(gap).toBeGreaterThanOrEqual(wait / 2);
      expect(gap).toBeLessThanOrEqual(wait + 2000);
    });
    expect(new Set(h.sent().map((r) => r.callId)).size).toBe(h.sent().length);
    const t408 = await harness([record()], (r) => buildResponseText(r, 408, 'Request Timeout'));
    expect(t408.states()).toEqual(['REGISTERING', 'REGISTER_TIMEOUT']);
  });

  it('failureRetryIntervalSec caps the wait; backoffBaseSec 0 waits exactly that (OpenSIPS)', async () => {
    const h = await harness([record()], () => 'timeout', { timerIntervalSec: 1, hashSize: 0, failureRetryIntervalSec: 20, backoffBaseSec: 0 });
    await h.runFor(61_000);
    const sentAt = h.changes.filter((c) => c.to === 'REGISTERING').length;
    expect(sentAt).toBe(4);
  });

  it('honours Retry-After of an error reply (REGISTRAR_ERROR); 3xx and transport errors are INTERNAL_ERROR', async () => {
    const h = await harness([record()], (r) => buildResponseText(r, 503, 'Service Unavailable', [['Retry-After', '120']]), { timerIntervalSec: 1, hashSize: 0 });
    expect(h.changes.at(-1)).toMatchObject({ to: 'REGISTRAR_ERROR', status: 503 });
    await h.runFor(119_000);
    expect(h.sent()).toHaveLength(1);
    await h.runFor(2000);
    expect(h.sent()).toHaveLength(2);
    const moved = await harness([record()], (r) => buildResponseText(r, 302, 'Moved', [['Contact', '<sip:elsewhere@10.0.0.1>']]));
    expect(moved.changes.at(-1)).toMatchObject({ to: 'INTERNAL_ERROR', status: 302 });
    const broken = await harness([record()], () => new Error('ECONNREFUSED'));
    expect(broken.changes.at(-1)).toMatchObject({ to: 'INTERNAL_ERROR' });
    expect(broken.scheduler.list()[0].lastReason).toContain('ECONNREFUSED');
  });

  it('unique binding: a 200 listing two of our bindings removes them all (Contact: *) and registers afresh', async () => {
    const params = ';reg-id=1;+sip.instance="<urn:uuid:11111111-aabb>"';
    let n = 0;
    const h = await harness([record({ bindingParams: params })], (r) => {
      n++;
      if (r.contacts === '*') return buildResponseText(r, 200, 'OK');
      return n === 1 ? ok(r, undefined, [`<sip:alice@10.9.9.9:5060>${params};expires=100`]) : ok(r);
    });
    expect(h.states()).toEqual(['REGISTERING', 'UNREGISTERING', 'NOT_REGISTERED', 'REGISTERING', 'REGISTERED']);
    const [, removal, fresh] = h.sent();
    expect(removal.contacts).toBe('*');
    expect(removal.expires).toBe(0);
    expect(fresh.callId).not.toBe(removal.callId);
    expect(contactExpires(fresh)).toBe(3600);
    expectLegal(h);
  });

  it('disable sends the unREGISTER at once and stops; enable registers at once; the store keeps the flag', async () => {
    const h = await harness([record()], (r) => ok(r), { timerIntervalSec: 10, hashSize: 0 });
    const key = record();
    expect(await h.scheduler.disable(key)).toBe(true);
    await h.step(0);
    const unreg = h.sent()[1];
    expect(contactExpires(unreg)).toBe(0);
    expect(unreg.callId).toBe(h.sent()[0].callId);
    expect(h.states()).toEqual(['REGISTERING', 'REGISTERED', 'UNREGISTERING', 'NOT_REGISTERED']);
    expect((await h.store.loadAll())[0].enabled).toBe(false);
    await h.runFor(7200_000);
    expect(h.sent()).toHaveLength(2);
    expect(await h.scheduler.enable(key)).toBe(true);
    await h.step(0);
    expect(h.sent()).toHaveLength(3);
    expect(h.scheduler.list()[0].state).toBe('REGISTERED');
    expect(await h.scheduler.disable({ ...key, aor: 'sip:nobody@example.com' })).toBe(false);
  });

  it('disabled while its REGISTER is outstanding: a challenge or 423 is not answered, a 200 is removed at once', async () => {
    for (const [first, expected] of [
      ['401', ['REGISTERING', 'NOT_REGISTERED']],
      ['423', ['REGISTERING', 'NOT_REGISTERED']],
      ['200', ['REGISTERING', 'REGISTERED', 'UNREGISTERING', 'NOT_REGISTERED']],
    ] as const) {
      let release: (() => void) | undefined;
      let n = 0;
      const h = await harness([record({ username: 'alice', password: 'secret' })], (r) => {
        if (n++ > 0) return ok(r);
        return new Promise((resolve) => {
          release = () => resolve(first === '401' ? challenge401(r) : first === '423'
            ? buildResponseText(r, 423, 'Interval Too Brief', [['Min-Expires', '7200']]) : ok(r));
        });
      });
      await h.scheduler.disable(record());
      release!();
      await h.step(0);
      expect(h.states()).toEqual(expected);
      expect(h.sent().slice(1).every((r) => contactExpires(r) === 0)).toBe(true);
      expectLegal(h);
    }
  });

  it('forceRegister sends a REGISTER now; list/forceRegister take all three coordinates or none', async () => {
    const h = await harness([record(), record({ aor: 'sip:bob@example.com' })], (r) => ok(r), { timerIntervalSec: 100, hashSize: 0 });
    expect(h.sent()).toHaveLength(2);
    expect(h.scheduler.forceRegister(record())).toBe(1);
    expect(h.scheduler.forceRegister()).toBe(1); // alice's is still outstanding
    await h.step(0);
    expect(h.sent()).toHaveLength(4);
    expect(h.scheduler.list(record({ aor: 'sip:bob@example.com' }))).toHaveLength(1);
    expect(() => h.scheduler.list({ aor: 'sip:bob@example.com' } as never)).toThrow(ConfigError);
  });

  it('reload keeps registered registrants, registers new ones, unregisters removed and disabled ones', async () => {
    const h = await harness([record(), record({ aor: 'sip:bob@example.com' })], (r) => ok(r), { timerIntervalSec: 4, hashSize: 0 });
    const aliceCall = h.scheduler.list(record())[0].callId;
    h.store.delete(record({ aor: 'sip:bob@example.com' }));
    h.store.put(record({ aor: 'sip:carol@example.com' }));
    h.store.put(record({ expirySec: 1200 }));
    await h.scheduler.reload();
    await h.step(0);
    const bobUnreg = h.sent().find((r) => r.to.uri === 'sip:bob@example.com' && contactExpires(r) === 0);
    expect(bobUnreg).toBeDefined();
    await h.runFor(4000);
    expect(h.sent().some((r) => r.to.uri === 'sip:carol@example.com')).toBe(true);
    const alice = h.scheduler.list(record())[0];
    expect(alice).toMatchObject({ state: 'REGISTERED', callId: aliceCall });
    expect(h.scheduler.list().map((s) => s.record.aor).sort()).toEqual(['sip:alice@example.com', 'sip:carol@example.com']);
    // the state column edited in the store, then a reload of that one record: unREGISTERed, then left alone
    h.store.put(record({ expirySec: 1200, enabled: false }));
    h.store.put(record({ aor: 'sip:carol@example.com', expirySec: 60 }));
    await h.scheduler.reload(record());
    await h.step(0);
    expect(contactExpires(h.sent().at(-1)!)).toBe(0);
    expect(h.sent().at(-1)!.callId).toBe(aliceCall);
    expect(h.scheduler.list(record())[0]).toMatchObject({ state: 'NOT_REGISTERED', record: { enabled: false } });
    expect(h.scheduler.list(record({ aor: 'sip:carol@example.com' }))[0].record.expirySec).toBeUndefined(); // not reloaded
    const before = h.sent().length;
    await h.runFor(7200_000);
    expect(h.sent().filter((r) => r.to.uri === 'sip:alice@example.com').length).toBe(h.sent().slice(0, before).filter((r) => r.to.uri === 'sip:alice@example.com').length);
  });

  it('clustering: registers only while the sharing tag is active here, and stands down when it moves', async () => {
    let active = false;
    const h = await harness([record({ clusterShtag: 'vip/1' })], (r) => ok(r), {
      timerIntervalSec: 2, hashSize: 0, enableClustering: true,
      isTagActive: (tag, cluster) => tag === 'vip' && cluster === 1 && active,
    });
    await h.runFor(10_000);
    expect(h.sent()).toHaveLength(0);
    active = true;
    await h.runFor(2000);
    expect(h.scheduler.list()[0].state).toBe('REGISTERED');
    active = false;
    h.scheduler.tagChanged('vip', 1, false);
    expect(h.scheduler.list()[0].state).toBe('NOT_REGISTERED');
    await h.runFor(7200_000);
    expect(h.sent()).toHaveLength(1); // no unREGISTER: the node holding the tag keeps the binding
    active = true;
    h.scheduler.tagChanged('vip', 1, true);
    await h.step(0);
    expect(h.sent()).toHaveLength(2);
    expect(h.sent()[1].callId).not.toBe(h.sent()[0].callId);
    await expect(createRegistrantScheduler({ store: new MemoryRegistrantStore([]), transport: new FakeTransport(), enableClustering: true }))
      .rejects.toThrow(ConfigError);
  });

  it('sends through the outbound proxy with a Route, From the third party, from the forced socket', async () => {
    const h = await harness([record({
      proxy: 'sip:127.0.0.2:5080;transport=tcp',
      thirdPartyRegistrant: 'sip:admin@example.com',
      forcedSocket: 'udp:127.0.0.1:5090',
    })], (r) => ok(r));
    const [sent] = h.transport.requests;
    expect(sent.destination).toEqual({ protocol: 'tcp', address: '127.0.0.2', port: 5080 });
    expect(sent.local).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5090 });
    expect(sent.request.uri).toBe('sip:127.0.0.1:5070');
    expect(sent.request.header('route')).toBe('<sip:127.0.0.2:5080;transport=tcp;lr>');
    expect(sent.request.from.uri).toBe('sip:admin@example.com');
    expect(sent.request.to.uri).toBe('sip:alice@example.com');
    expect(sent.request.via[0].port).toBe(5090);
  });

  it('finds the registrar by DNS SRV when its URI has a name and no port (RFC 3263 §4.2), else by A; re-resolves after a failure', async () => {
    const srvAsked: string[] = [];
    const srv = { '_sip._udp.carrier.example': [{ name: 'b.carrier.example', port: 5070, priority: 20, weight: 1 }, { name: 'a.carrier.example', port: 5080, priority: 10, weight: 1 }] } as Record<string, { name: string; port: number; priority: number; weight: number }[]>;
    const hosts: Record<string, string> = { 'a.carrier.example': '192.0.2.1', 'b.carrier.example': '192.0.2.2', 'carrier.example': '192.0.2.9', 'tcp.example': '192.0.2.3' };
    let replies = 0;
    const h = await harness([
      record({ registrar: 'sip:carrier.example' }),
      record({ aor: 'sip:bob@example.com', registrar: 'sip:carrier.example:5099' }),
      record({ aor: 'sip:carol@example.com', registrar: 'sips:tcp.example' }),
    ], (r) => (r.to.uri === 'sip:alice@example.com' && replies++ === 0 ? 'timeout' : ok(r)), {
      timerIntervalSec: 2, hashSize: 0,
      resolveSrv: async (name) => { srvAsked.push(name); return srv[name] ?? Promise.reject(new Error('ENOTFOUND')); },
      resolveHost: async (host) => hosts[host] ?? Promise.reject(new Error('ENOTFOUND')),
    });
    const destinations = () => h.transport.requests.map((r) => `${r.request.to.uri} ${r.destination.protocol}:${r.destination.address}:${r.destination.port}`);
    expect(destinations().sort()).toEqual([
      'sip:alice@example.com udp:192.0.2.1:5080', // the lowest priority SRV record
      'sip:bob@example.com udp:192.0.2.9:5099', // an explicit port: no SRV, the A record
      'sip:carol@example.com tls:192.0.2.3:5061', // _sips._tcp has none: the A record on 5061
    ]);
    expect(srvAsked).toEqual(['_sip._udp.carrier.example', '_sips._tcp.tcp.example']);
    await h.runFor(120_000);
    expect(srvAsked.filter((n) => n === '_sip._udp.carrier.example')).toHaveLength(2); // asked again after the timeout
  });

  it('picks SRV targets by priority, then by weight (RFC 2782)', () => {
    const records = [{ name: 'x', port: 1, priority: 1, weight: 10 }, { name: 'y', port: 2, priority: 1, weight: 30 }, { name: 'z', port: 3, priority: 0, weight: 0 }];
    expect(pickSrv(records, 0.99)?.name).toBe('z');
    const group = records.slice(0, 2);
    expect(pickSrv(group, 0)?.name).toBe('x');
    expect(pickSrv(group, 0.24)?.name).toBe('x');
    expect(pickSrv(group, 0.26)?.name).toBe('y');
    expect(pickSrv(group, 0.999)?.name).toBe('y');
    expect(pickSrv([], 0.5)).toBeUndefined();
  });

  it('resolves a registrar host name; a name that does not resolve is INTERNAL_ERROR', async () => {
    const h = await harness([record({ registrar: 'sip:registrar.example.com' })], (r) => ok(r), {
      resolveHost: async (host) => (host === 'registrar.example.com' ? '192.0.2.7' : Promise.reject(new Error('ENOTFOUND'))),
    });
    expect(h.transport.requests[0].destination).toEqual({ protocol: 'udp', address: '192.0.2.7', port: 5060 });
    const bad = await harness([record({ registrar: 'sip:nowhere.invalid' })], (r) => ok(r), { resolveHost: () => Promise.reject(new Error('ENOTFOUND')) });
    expect(bad.changes.at(-1)).toMatchObject({ to: 'INTERNAL_ERROR' });
  });

  it('visits one bucket per timerInterval/2^hashSize: hash_size 2, timer_interval 8 checks a bucket every 2 s', async () => {
    const records = Array.from({ length: 40 }, (_, i) => record({ aor: `sip:u${i}@example.com` }));
    const h = await harness(records, (r) => ok(r), { hashSize: 2, timerIntervalSec: 8 });
    const counts = [h.sent().length];
    for (let i = 0; i < 4; i++) {
      await h.step(2000);
      counts.push(h.sent().length);
    }
    expect(counts.at(-1)).toBe(40);
    // each visit sent one bucket: four increments, none larger than the whole
    expect(new Set(counts).size).toBe(4);
    await expect(createRegistrantScheduler({ store: new MemoryRegistrantStore([]), transport: new FakeTransport(), hashSize: 4, timerIntervalSec: 8 }))
      .rejects.toThrow(/at least the number of buckets/);
  });

  it('spreads the first refreshes of a bucket over its visits, so refreshes do not repeat the start-up burst', async () => {
    const records = Array.from({ length: 300 }, (_, i) => record({ aor: `sip:u${i}@example.com` }));
    const h = await harness(records, (r) => ok(r), { hashSize: 0, timerIntervalSec: 60 });
    const start = h.sent().length;
    expect(start).toBe(300);
    await h.runFor(3600_000);
    // the next refreshes of 300 registrants fall on different visits (every 60 s), at most ceil(300/57) per visit
    const dues = h.scheduler.list().map((s) => s.dueAt);
    const byVisit = new Map<number, number>();
    for (const d of dues) byVisit.set(Math.ceil((d - T0) / 60_000), (byVisit.get(Math.ceil((d - T0) / 60_000)) ?? 0) + 1);
    expect(Math.max(...byVisit.values())).toBeLessThanOrEqual(Math.ceil(300 / 57));
  });

  it('unregisterOnClose makes a plain close() remove every registration', async () => {
    const h = await harness([record()], (r) => ok(r), { unregisterOnClose: true });
    await h.scheduler.close();
    expect(contactExpires(h.sent().at(-1)!)).toBe(0);
    expect(h.scheduler.list()[0].state).toBe('NOT_REGISTERED');
  });

  it('a failure while handling a reply is an error event, not an unhandled rejection', async () => {
    const h = await harness([record({ expirySec: 300 })], (r) => ok(r), { timerIntervalSec: 10, hashSize: 0 });
    const errors: Error[] = [];
    h.scheduler.on('error', (e) => errors.push(e));
    h.scheduler.on('stateChange', (c) => {
      if (c.to === 'REGISTERED') throw new Error('listener bug');
    });
    await h.runFor(300_000);
    expect(errors.map((e) => e.message)).toContain('listener bug');
    expect(h.scheduler.list()[0].state).toBe('REGISTERED');
  });

  it('close() stops without a timer left; close({ unregister }) removes every registration first', async () => {
    const h = await harness([record(), record({ aor: 'sip:bob@example.com' })], (r) => ok(r), { timerIntervalSec: 10, hashSize: 0 });
    await h.scheduler.close({ unregister: true });
    const unregs = h.sent().filter((r) => contactExpires(r) === 0);
    expect(unregs).toHaveLength(2);
    expect(h.clock.pending()).toBe(0);
    expect(h.scheduler.list().every((s) => s.state === 'NOT_REGISTERED')).toBe(true);
    expect(() => h.scheduler.forceRegister()).toThrow(ConfigError);
    const quiet = await harness([record()], (r) => ok(r));
    await quiet.scheduler.close();
    await quiet.runFor(7200_000);
    expect(quiet.sent()).toHaveLength(1);
    expect(quiet.clock.pending()).toBe(0);
  });
});
