import { createRegistrar } from '../../src/registrar/registrar';
import { createDigestAuthenticator } from '../../src/auth/digest-authenticator';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { digestAuthorization, selectDigestChallenge } from '../../src/sip/digest';
import { register, res } from './sip-text';

/** The counters behind the OpenSIPS statistics and /metrics (issue 21): rejections by reason, expirations, failed credentials, pushes. */

const T0 = 1_700_000_000_000;
const PHONE = 'sip:alice@192.0.2.10:5060;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip';
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('registrar statistics counters', () => {
  it('counts rejected REGISTERs by reason (max_contacts hits among them) and the bindings this node found expired', async () => {
    const clock = new ManualClock(T0);
    const registrar = createRegistrar({ clock, purgeIntervalMs: 0, maxContacts: 1 });
    expect((await registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>', '<sip:alice@192.0.2.2>'] }))).status).toBe(503);
    expect((await registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>'], expires: 'soon' }))).status).toBe(400);
    expect((await registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>'], expires: 60, cseq: 3 }))).status).toBe(200);
    clock.advance(61_000);
    expect(await registrar.purgeExpired()).toBe(1);
    const stats = await registrar.stats();
    expect(stats.rejectedByReason).toEqual({ 'too-many-contacts': 1, 'expires-parse': 1 });
    expect([stats.rejectedRegs, stats.acceptedRegs, stats.expired, stats.bindings]).toEqual([2, 1, 1, 0]);
  });

  it('counts REGISTERs whose credentials did not verify, not the first challenge', async () => {
    const clock = new ManualClock(T0);
    const credentials = new MemoryCredentialStore([{ username: 'alice', realm: 'example.com', ha1: computeHa1s('alice', 'example.com', 'secret') }]);
    const auth = createDigestAuthenticator({ credentials, clock, secret: 'stats-test' });
    const registrar = createRegistrar({ clock, purgeIntervalMs: 0, auth });
    const challenged = await registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>'] }));
    expect(challenged.status).toBe(401);
    const challenge = selectDigestChallenge(res(challenged.response).headerAll('WWW-Authenticate'));
    if (challenge === undefined) throw new Error('no digest challenge');
    const wrong = digestAuthorization(challenge, { username: 'alice', password: 'guess' }, { method: 'REGISTER', uri: 'sip:example.com' });
    expect((await registrar.save(register({ contacts: ['<sip:alice@192.0.2.1>'], cseq: 2, extra: [`Authorization: ${wrong}`] }))).status).toBe(401);
    const stats = await registrar.stats();
    expect([stats.authFailures, stats.rejectedRegs]).toEqual([1, 0]);
  });

  it('counts the pushes sent and those the notifier failed', async () => {
    const clock = new ManualClock(T0);
    let fail = false;
    const registrar = createRegistrar({
      clock,
      purgeIntervalMs: 0,
      push: { enabled: true, providers: ['apns'], maxPushAttempts: 1 },
      pushNotifier: { notify: () => (fail ? Promise.reject(new Error('apns down')) : undefined) },
    });
    registrar.on('error', () => undefined);
    expect((await registrar.save(register({ contacts: [`<${PHONE}>`] }))).status).toBe(200);
    await registrar.lookup('sip:alice@example.com');
    fail = true;
    clock.advance(40_000);
    await registrar.lookup('sip:alice@example.com');
    await flush();
    const stats = await registrar.stats();
    expect([stats.pushesSent, stats.pushesFailed]).toEqual([2, 1]);
  });
});
