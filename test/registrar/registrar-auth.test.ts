import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import type { AuthIdentity, AuthKind, AuthOutcome, Authenticator } from '../../src/auth/authenticator';
import type { SipRequest } from '../../src/sip/message';
import type { Source } from '../../src/ports/transport';
import { regError } from '../../src/errors/reg-error';
import { ConfigError } from '../../src/errors/sdk-error';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { register, res } from './sip-text';

const T0 = 1_700_000_000_000;
const ALICE: AuthIdentity = { username: 'alice', realm: 'example.com' };
const CHALLENGE = regError('auth-required', [['WWW-Authenticate', 'Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5']]);

/**
 * An authenticator answering from a script, recording each call: the registrar's side of the
 * contract is under test here (the digest one has its own tests and the property test).
 */
class ScriptedAuthenticator implements Authenticator {
  readonly calls: { kind: AuthKind; source?: Source }[] = [];
  constructor(private readonly answer: AuthOutcome, private readonly later = false) {}
  authenticate(_request: SipRequest, kind: AuthKind, source?: Source): AuthOutcome | Promise<AuthOutcome> {
    this.calls.push({ kind, source });
    return this.later ? Promise.resolve(this.answer) : this.answer;
  }
}

function setup(auth: Authenticator, options: RegistrarOptions = {}) {
  const store = new MemoryLocationStore();
  const loads: string[] = [];
  const load = store.load.bind(store);
  store.load = ((aor: string) => {
    loads.push(aor);
    return load(aor);
  }) as typeof store.load;
  const registrar = createRegistrar({ store, clock: new ManualClock(T0), purgeIntervalMs: 0, auth, ...options });
  return { store, loads, registrar };
}

const source: Source = { protocol: 'udp', address: '192.0.2.10', port: 5060, local: { protocol: 'udp', address: '127.0.0.1', port: 5060 } };

describe('registrar authentication (RFC 3261 §10.3 steps 2 and 3)', () => {
  it('answers the authenticator\'s challenge without loading the AOR, flags failed credentials, and counts neither in rejectedRegs', async () => {
    const first = setup(new ScriptedAuthenticator({ ok: false, error: CHALLENGE, failed: false }));
    const challenged = first.registrar.saveNow(register(), { source });
    expect(challenged instanceof Promise).toBe(false);
    const result = await challenged;
    expect(result).toMatchObject({ ok: false, status: 401, aor: 'alice@example.com', error: { code: 'auth-required' } });
    expect('authFailed' in result).toBe(false);
    const reply = res(result.response);
    expect([reply.status, reply.header('WWW-Authenticate')]).toEqual([401, 'Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5']);
    expect(first.loads).toEqual([]);
    expect((await first.registrar.stats()).rejectedRegs).toBe(0);

    const wrong = setup(new ScriptedAuthenticator({ ok: false, error: CHALLENGE, failed: true }));
    expect(await wrong.registrar.save(register())).toMatchObject({ ok: false, status: 401, authFailed: true });
    expect(wrong.loads).toEqual([]);
  });

  it('hands the authenticator the www kind and the source, and saves synchronously when it answers synchronously', async () => {
    const auth = new ScriptedAuthenticator({ ok: true, identity: ALICE });
    const { registrar, store } = setup(auth);
    const saved = registrar.saveNow(register(), { source });
    expect(saved instanceof Promise).toBe(false);
    expect((saved as Awaited<typeof saved>).status).toBe(200);
    expect(auth.calls).toEqual([{ kind: 'www', source }]);
    expect(store.count().bindings).toBe(1);
  });

  it('waits for an asynchronous authenticator before loading anything, then saves', async () => {
    const { registrar, loads } = setup(new ScriptedAuthenticator({ ok: true, identity: ALICE }, true));
    const pending = registrar.saveNow(register());
    expect(pending instanceof Promise).toBe(true);
    expect(loads).toEqual([]);
    expect((await pending).status).toBe(200);
    expect(loads).toEqual(['alice@example.com']);
    expect(await registrar.bindings('alice@example.com')).toHaveLength(1);
  });

  it('answers 403 when the identity may not use the To AOR — a Contact: * and a de-registration alike — and counts it nowhere', async () => {
    const { registrar, loads } = setup(new ScriptedAuthenticator({ ok: true, identity: ALICE }));
    for (const request of [
      register({ user: 'bob' }),
      register({ user: 'bob', contacts: ['*'], expires: 0 }),
      register({ user: 'bob', contacts: ['<sip:bob@192.0.2.10:5060>;expires=0'] }),
    ]) {
      const result = await registrar.save(request);
      expect(result).toMatchObject({ ok: false, status: 403, aor: 'bob@example.com', error: { code: 'auth-forbidden' } });
      expect(res(result.response).header('P-Registrar-Error')).toBe('Authenticated user may not use this address-of-record');
    }
    expect(loads).toEqual([]);
    expect(await registrar.stats()).toMatchObject({ acceptedRegs: 0, rejectedRegs: 0 });
  });

  it('lets an identity use its aliases, compares users as caseSensitive says, and skips the check with checkTo false', async () => {
    const aliased = setup(new ScriptedAuthenticator({ ok: true, identity: { ...ALICE, aliases: ['bob@example.com'] } })).registrar;
    expect((await aliased.save(register({ user: 'bob' }))).status).toBe(200);
    const insensitive = setup(new ScriptedAuthenticator({ ok: true, identity: { username: 'Alice', realm: 'EXAMPLE.com' } }), { caseSensitive: false }).registrar;
    expect((await insensitive.save(register({ user: 'ALICE' }))).status).toBe(200);
    const sensitive = setup(new ScriptedAuthenticator({ ok: true, identity: { username: 'Alice', realm: 'example.com' } })).registrar;
    expect((await sensitive.save(register({ user: 'alice' }))).status).toBe(403);
    const unchecked = setup(new ScriptedAuthenticator({ ok: true, identity: ALICE }), { checkTo: false }).registrar;
    expect((await unchecked.save(register({ user: 'bob' }))).status).toBe(200);
  });

  it('does not run the authenticator for a save given the identity, but still checks the AOR against it', async () => {
    const auth = new ScriptedAuthenticator({ ok: false, error: CHALLENGE, failed: true });
    const { registrar } = setup(auth);
    expect((await registrar.save(register(), { identity: ALICE })).status).toBe(200);
    expect((await registrar.save(register({ user: 'bob' }), { identity: ALICE })).status).toBe(403);
    expect(auth.calls).toEqual([]);
    const hostChecked = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
    expect((await hostChecked.save(register({ user: 'bob' }), { identity: ALICE })).status).toBe(403);
  });

  it('refuses an auth option that is not an authenticator, saying what to give', () => {
    expect(() => createRegistrar({ auth: {} as Authenticator, purgeIntervalMs: 0 })).toThrow(new ConfigError(
      'RegistrarOptions.auth must have an authenticate(request, kind, source) method: give it createDigestAuthenticator({ credentials })',
    ));
  });
});
