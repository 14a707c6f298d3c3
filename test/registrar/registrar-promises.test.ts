import { createRegistrar } from '../../src/registrar/registrar';
import type { Registrar } from '../../src/registrar/registrar';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { register, req } from './sip-text';

const T0 = 1_700_000_000_000;

const invite = req(`
INVITE sip:alice@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKinv
Max-Forwards: 70
From: <sip:bob@example.com>;tag=b1
To: <sip:alice@example.com>
Call-ID: inv-1
CSeq: 1 INVITE
Content-Length: 0

`);

/** Every public query of the façade, called as a JavaScript user would (no types to help). */
const publicCalls = (r: Registrar): Record<string, () => unknown> => ({
  save: () => r.save(register({ contacts: ['<sip:alice@192.0.2.1>'] })),
  lookup: () => r.lookup(invite),
  lookupMany: () => r.lookupMany([invite, 'sip:nobody@example.com']),
  bindings: () => r.bindings('sip:alice@example.com'),
  isRegistered: () => r.isRegistered('sip:alice@example.com'),
  isContactRegistered: () => r.isContactRegistered('sip:alice@example.com', 'sip:alice@192.0.2.1'),
  isIpRegistered: () => r.isIpRegistered('sip:alice@example.com', '192.0.2.1'),
  stats: () => r.stats(),
});

describe('the registrar façade always answers with a promise', () => {
  it('with the synchronous memory store, every public method returns a Promise, so .then() always works', async () => {
    const registrar = createRegistrar({ clock: new ManualClock(T0), store: new MemoryLocationStore(), purgeIntervalMs: 0 });
    for (const [name, call] of Object.entries(publicCalls(registrar))) {
      const answer = call();
      expect([name, answer instanceof Promise]).toEqual([name, true]);
      await answer;
    }
    const saved = await registrar.save(register({ contacts: ['<sip:alice@192.0.2.2>'], callId: 'c2' }));
    expect(saved.status).toBe(200);
    const found = await registrar.lookup(invite);
    expect(found.kind === 'found' && found.targets.map((t) => t.uri).sort()).toEqual(['sip:alice@192.0.2.1', 'sip:alice@192.0.2.2']);
    expect(await registrar.isIpRegistered('alice@example.com', ['192.0.2.2'])).toBe(true);
    expect((await registrar.stats()).acceptedRegs).toBe(2);
    await registrar.close();
  });

  it('commits before save returns: the work starts synchronously, only the answer is deferred', async () => {
    const store = new MemoryLocationStore();
    const registrar = createRegistrar({ clock: new ManualClock(T0), store, purgeIntervalMs: 0 });
    const inserted: string[] = [];
    registrar.on('inserted', (c) => inserted.push(c.binding.contact));
    const pending = registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>'] }));
    expect(store.count().bindings).toBe(1);
    expect(inserted).toEqual(['sip:alice@192.0.2.1']);
    expect((await pending).ok).toBe(true);
    await registrar.close();
  });

  it('misuse after close is a rejection, never a synchronous throw', async () => {
    const registrar = createRegistrar({ purgeIntervalMs: 0 });
    await registrar.close();
    for (const [name, call] of Object.entries(publicCalls(registrar))) {
      if (name === 'stats') continue; // counters stay readable after close
      let answer: unknown;
      expect(() => { answer = call(); }).not.toThrow();
      await expect(answer).rejects.toThrow(/closed/);
    }
  });

  it('a store that fails is an error value of lookup (code -3), a 500 value of save, and a rejection of bindings', async () => {
    const broken = new MemoryLocationStore();
    const fire = new Error('disk on fire');
    broken.load = () => { throw fire; };
    const registrar = createRegistrar({ store: broken, purgeIntervalMs: 0 });
    await expect(registrar.lookup(invite)).resolves.toEqual({ kind: 'error', code: -3, aor: 'alice@example.com', error: fire, transient: false });
    await expect(registrar.bindings('alice@example.com')).rejects.toThrow('disk on fire');
    const saved = await registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>'] }));
    expect([saved.ok, saved.status]).toEqual([false, 500]);
    await registrar.close();
  });

  it('the internal saveNow/lookupNow answer synchronously with a synchronous store (the server hot path)', async () => {
    const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
    const saved = registrar.saveNow(register({ contacts: ['<sip:alice@192.0.2.1>'] }));
    expect(saved).not.toBeInstanceOf(Promise);
    const found = registrar.lookupNow(invite);
    expect(found).not.toBeInstanceOf(Promise);
    expect(registrar.lookupManyNow([invite])).not.toBeInstanceOf(Promise);
    expect(found).toEqual(await registrar.lookup(invite));
    await registrar.close();
    expect(() => registrar.saveNow(register({ contacts: ['<sip:alice@192.0.2.1>'] }))).toThrow(/closed/);
  });
});
