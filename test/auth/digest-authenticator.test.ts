import { createDigestAuthenticator, type DigestAuthenticator } from '../../src/auth/digest-authenticator';
import type { DigestAuthOptions } from '../../src/auth/digest-auth-options';
import type { AuthOutcome } from '../../src/auth/authenticator';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { digestHash } from '../../src/auth/digest-hash';
import type { CredentialStore, DigestAlgorithm, StoredCredentials } from '../../src/ports/credential-store';
import type { Source } from '../../src/ports/transport';
import { StoreError } from '../../src/errors/sdk-error';
import type { RegError } from '../../src/errors/reg-error';
import { buildErrorReply } from '../../src/registrar/reply';
import { digestAuthorization, parseDigestChallenge, type DigestChallenge } from '../../src/sip/digest';
import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';

const T0 = 1_700_000_000_000;
const ALICE = { username: 'alice', password: 'wonderland' };
const source = (address: string): Source => ({ protocol: 'udp', address, port: 5060, local: { protocol: 'udp', address: '127.0.0.1', port: 5060 } });
const PHONE = source('192.0.2.10');

/** A tiny credential store over a Map, answering synchronously (or through `answer`). */
function mapStore(subscribers: readonly StoredCredentials[], answer: <T>(v: T) => T | Promise<T> = (v) => v): CredentialStore & { lookups: number } {
  const byName = new Map(subscribers.map((s) => [`${s.username}@${s.realm.toLowerCase()}`, s]));
  const store = {
    lookups: 0,
    lookup(username: string, realm: string) {
      store.lookups++;
      return answer(byName.get(`${username}@${realm.toLowerCase()}`));
    },
    lookupByUserhash(userhash: string, realm: string, algorithm: DigestAlgorithm) {
      store.lookups++;
      return answer(subscribers.find((s) => s.realm.toLowerCase() === realm.toLowerCase() && digestHash(algorithm, `${s.username}:${s.realm}`) === userhash));
    },
  };
  return store;
}

const subscribers: readonly StoredCredentials[] = [
  { username: 'alice', realm: 'example.com', ha1: computeHa1s('alice', 'example.com', 'wonderland'), aliases: ['al@example.com'] },
  { username: 'bob', realm: 'example.com', ha1: { MD5: computeHa1s('bob', 'example.com', 'builder').MD5 } },
  { username: 'carol', realm: 'example.com', password: 'secret' },
];

/** A literal REGISTER from alice's phone, with `lines` (Authorization ...) before Content-Length. */
function register(lines: readonly string[] = [], body = '', requestUri = 'sip:example.com'): SipRequest {
  const text = `REGISTER ${requestUri} SIP/2.0\r\n`
    + 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n'
    + 'Max-Forwards: 70\r\n'
    + 'From: Alice <sip:alice@example.com>;tag=456248\r\n'
    + 'To: Alice <sip:alice@example.com>\r\n'
    + 'Call-ID: 843817637684230@192.0.2.10\r\n'
    + 'CSeq: 1826 REGISTER\r\n'
    + 'Contact: <sip:alice@192.0.2.10:5060>\r\n'
    + 'Expires: 3600\r\n'
    + lines.map((l) => `${l}\r\n`).join('')
    + (body === '' ? '' : 'Content-Type: application/sdp\r\n')
    + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const parsed = parseSipMessage(text);
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error(`test REGISTER does not parse: ${text}`);
  return parsed.message;
}

/** The outcome, which must be synchronous (the map store answers synchronously). */
function now(outcome: AuthOutcome | Promise<AuthOutcome>): AuthOutcome {
  if (outcome instanceof Promise) throw new Error('expected a synchronous outcome');
  return outcome;
}

/** The refusal of an outcome. */
function refusal(outcome: AuthOutcome): RegError {
  if (outcome.ok) throw new Error('expected a refusal');
  return outcome.error;
}

/** The challenge lines of a refusal. */
function challenges(outcome: AuthOutcome, name = 'WWW-Authenticate'): string[] {
  return (refusal(outcome).headers ?? []).filter(([n]) => n === name).map(([, v]) => v);
}

/** The challenge of `algorithm` a first REGISTER without credentials gets. */
function challengeOf(auth: DigestAuthenticator, algorithm = 'MD5', from: Source = PHONE): DigestChallenge {
  const value = challenges(now(auth.authenticate(register(), 'www', from))).map((v) => parseDigestChallenge(v)!).find((c) => c.algorithm === algorithm);
  if (value === undefined) throw new Error(`no ${algorithm} challenge`);
  return value;
}

/** alice's `Authorization` line answering `challenge` (the client's own digest code). */
function answer(challenge: DigestChallenge, nc = 1, credentials = ALICE, body = '', uri = 'sip:example.com'): string {
  return `Authorization: ${digestAuthorization(challenge, credentials, { method: 'REGISTER', uri, body }, '0a4f113b', nc)!}`;
}

const newAuth = (options: Partial<DigestAuthOptions> = {}): DigestAuthenticator =>
  createDigestAuthenticator({ credentials: mapStore(subscribers), clock: new ManualClock(T0), secret: 'test-secret', ...options });

describe('digest authenticator (RFC 3261 §22, RFC 7616, RFC 8760)', () => {
  it('challenges a REGISTER without credentials: one WWW-Authenticate per algorithm, strongest first, realm the To domain', () => {
    const auth = newAuth({ algorithms: ['MD5', 'SHA-256'] });
    const outcome = now(auth.authenticate(register(), 'www', PHONE));
    expect(outcome).toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
    const lines = challenges(outcome);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Digest realm="example\.com", nonce="[A-Za-z0-9_-]{43}", algorithm=SHA-256, qop="auth"$/);
    expect(lines[1]).toMatch(/^Digest realm="example\.com", nonce="[A-Za-z0-9_-]{43}", algorithm=MD5, qop="auth"$/);
    const wire = new TextDecoder().decode(buildErrorReply(register(), refusal(outcome)));
    expect(wire).toMatch(/^SIP\/2\.0 401 Unauthorized\r\n/);
    expect(wire).toContain(`\r\nWWW-Authenticate: ${lines[0]}\r\nWWW-Authenticate: ${lines[1]}\r\n`);
  });

  it('accepts the right password with the identity and its aliases, synchronously, and refuses a wrong one as a failure', () => {
    const auth = newAuth();
    const ok = now(auth.authenticate(register([answer(challengeOf(auth))]), 'www', PHONE));
    expect(ok).toEqual({ ok: true, identity: { username: 'alice', realm: 'example.com', aliases: ['al@example.com'] } });
    const wrong = now(auth.authenticate(register([answer(challengeOf(auth), 1, { username: 'alice', password: 'looking-glass' })]), 'www', PHONE));
    expect(wrong).toMatchObject({ ok: false, failed: true, error: { code: 'auth-required' } });
    expect(challenges(wrong)[0]).not.toContain('stale');
  });

  it('refuses an unknown user, and a user without an HA1 for the algorithm, as failures (after computing a response)', () => {
    const auth = newAuth({ algorithms: ['MD5', 'SHA-256'] });
    expect(now(auth.authenticate(register([answer(challengeOf(auth), 1, { username: 'mallory', password: 'x' })]), 'www', PHONE)))
      .toMatchObject({ ok: false, failed: true, error: { code: 'auth-required' } });
    expect(now(auth.authenticate(register([answer(challengeOf(auth, 'SHA-256'), 1, { username: 'bob', password: 'builder' })]), 'www', PHONE)))
      .toMatchObject({ ok: false, failed: true });
    expect(now(auth.authenticate(register([answer(challengeOf(auth, 'MD5'), 1, { username: 'bob', password: 'builder' })]), 'www', PHONE)))
      .toEqual({ ok: true, identity: { username: 'bob', realm: 'example.com' } });
    expect(now(auth.authenticate(register([answer(challengeOf(auth, 'SHA-256'))]), 'www', PHONE)))
      .toMatchObject({ ok: true, identity: { username: 'alice' } });
  });

  it('challenges credentials for another realm without counting a failure, and picks ours among several Authorization lines', () => {
    const auth = newAuth();
    const ours = challengeOf(auth);
    const theirs = answer({ ...ours, realm: 'other.org' });
    expect(now(auth.authenticate(register([theirs]), 'www', PHONE))).toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
    expect(now(auth.authenticate(register(['Authorization: Basic YWxpY2U6d29uZGVybGFuZA==', theirs, answer(ours)]), 'www', PHONE)))
      .toMatchObject({ ok: true, identity: { username: 'alice' } });
    expect(now(auth.authenticate(register(['Authorization: Basic YWxpY2U6d29uZGVybGFuZA==']), 'www', PHONE))).toMatchObject({ ok: false, failed: false });
  });

  it('answers 400 naming what is wrong with credentials for our realm', () => {
    const auth = newAuth();
    const c = challengeOf(auth);
    const line = (params: string): string => `Authorization: Digest username="alice", realm="example.com", nonce="${c.nonce}", ${params}`;
    const detail = (lines: string[], request = register(lines)): string | undefined => {
      const o = now(auth.authenticate(request, 'www', PHONE));
      expect(o).toMatchObject({ ok: false, failed: false, error: { code: 'auth-malformed' } });
      return o.ok ? undefined : o.error.detail;
    };
    const good = 'uri="sip:example.com", response="00112233445566778899aabbccddeeff"';
    expect(detail([line(`${good}, qop=auth, nc=00000001`)])).toBe('Malformed digest credentials: qop=auth without cnonce');
    expect(detail([line(`${good}, qop=auth, cnonce="c"`)])).toBe('Malformed digest credentials: qop=auth without nc');
    expect(detail([line(`${good}, qop=auth-int, nc=00000001, cnonce="c"`)])).toBe('Malformed digest credentials: qop=auth-int was not offered (offered: auth)');
    expect(detail([line(good)])).toBe('Malformed digest credentials: qop missing: the challenge offered qop="auth"');
    expect(detail([line(`${good}, qop=auth, nc=00000001, cnonce="c", algorithm=SHA-256`)])).toBe('Malformed digest credentials: algorithm=SHA-256 was not offered (offered: MD5)');
    expect(detail([line(`${good}, qop=auth, nc=00000001, cnonce="c", algorithm=MD5-sess`)])).toBe('Malformed digest credentials: algorithm=MD5-sess was not offered (offered: MD5)');
    expect(detail([line('uri="sip:other.org", response="00", qop=auth, nc=00000001, cnonce="c"')]))
      .toBe('Malformed digest credentials: uri="sip:other.org" is not the Request-URI sip:example.com (RFC 3261 §22.4)');
    expect(detail([line(`${good}, realm="example.com"`)])).toBe('Malformed digest credentials: parameter realm given twice');
    expect(detail(['Authorization: Digest username="alice", realm="example.com", uri="sip:example.com", response="00"'])).toBe('Malformed digest credentials: nonce parameter missing');
    // The uri compares as a string, trimmed: the right answer with a padded uri passes.
    expect(now(auth.authenticate(register([answer(c).replace('uri="sip:example.com"', 'uri=" sip:example.com "')]), 'www', PHONE)))
      .toMatchObject({ ok: false, failed: true });
  });

  it('challenges a nonce not signed here without counting a failure', () => {
    const auth = newAuth();
    const forged = { ...challengeOf(auth), nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093' };
    expect(now(auth.authenticate(register([answer(forged)]), 'www', PHONE))).toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
    const elsewhere = challengeOf(newAuth({ secret: 'another-secret' }));
    expect(now(auth.authenticate(register([answer(elsewhere)]), 'www', PHONE))).toMatchObject({ ok: false, failed: false });
  });

  it('answers stale=true to the right password on an expired nonce, and a plain failure to a wrong one (RFC 7616 §3.3)', () => {
    const clock = new ManualClock(T0);
    const auth = newAuth({ clock, nonceExpire: 30 });
    const c = challengeOf(auth);
    clock.advance(30_001);
    const stale = now(auth.authenticate(register([answer(c)]), 'www', PHONE));
    expect(stale).toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
    expect(challenges(stale)[0]).toMatch(/, algorithm=MD5, qop="auth", stale=true$/);
    const fresh = parseDigestChallenge(challenges(stale)[0])!;
    expect(fresh.nonce).not.toBe(c.nonce);
    expect(now(auth.authenticate(register([answer(fresh)]), 'www', PHONE))).toMatchObject({ ok: true });
    const wrong = now(auth.authenticate(register([answer(c, 2, { username: 'alice', password: 'nope' })]), 'www', PHONE));
    expect(wrong).toMatchObject({ ok: false, failed: true });
    expect(challenges(wrong)[0]).not.toContain('stale');
  });

  it('answers stale=true to a replayed nonce count and accepts counts out of order within the window (Kamailio nonce_count)', () => {
    const auth = newAuth();
    const c = challengeOf(auth);
    const outcome = (nc: number): AuthOutcome => now(auth.authenticate(register([answer(c, nc)]), 'www', PHONE));
    expect(outcome(1)).toMatchObject({ ok: true });
    const replay = outcome(1);
    expect(replay).toMatchObject({ ok: false, failed: false });
    expect(challenges(replay)[0]).toContain('stale=true');
    expect(outcome(3)).toMatchObject({ ok: true });
    expect(outcome(2)).toMatchObject({ ok: true });
    expect(outcome(2)).toMatchObject({ ok: false, failed: false });
    expect(outcome(100)).toMatchObject({ ok: true });
    expect(outcome(30)).toMatchObject({ ok: false, failed: false });
    const unchecked = newAuth({ nonceCount: false });
    const u = challengeOf(unchecked);
    expect(now(unchecked.authenticate(register([answer(u)]), 'www', PHONE))).toMatchObject({ ok: true });
    expect(now(unchecked.authenticate(register([answer(u)]), 'www', PHONE))).toMatchObject({ ok: true });
  });

  it('answers stale=true to a nonce issued here that is older than the last nonceCountCapacity, and counts another node\'s nonces too', () => {
    const auth = newAuth({ nonceCountCapacity: 2 });
    const old = challengeOf(auth);
    for (let k = 0; k < 2; k++) challengeOf(auth);
    const outcome = now(auth.authenticate(register([answer(old)]), 'www', PHONE));
    expect(outcome).toMatchObject({ ok: false, failed: false });
    expect(challenges(outcome)[0]).toContain('stale=true');
    const other = challengeOf(newAuth());
    expect(now(auth.authenticate(register([answer(other, 1)]), 'www', PHONE))).toMatchObject({ ok: true });
    expect(challenges(now(auth.authenticate(register([answer(other, 1)]), 'www', PHONE)))[0]).toContain('stale=true');
    expect(now(auth.authenticate(register([answer(other, 2)]), 'www', PHONE))).toMatchObject({ ok: true });
  });

  it('signs the body with qop auth-int: the right body passes, another body fails (RFC 7616 §3.4.3)', () => {
    const auth = newAuth({ qop: ['auth-int'] });
    const c = challengeOf(auth);
    expect(c.qop).toEqual(['auth-int']);
    const sdp = 'v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\n';
    const line = answer(c, 1, ALICE, sdp);
    expect(line).toContain('qop=auth-int');
    expect(now(auth.authenticate(register([line], sdp), 'www', PHONE))).toMatchObject({ ok: true });
    expect(now(auth.authenticate(register([answer(c, 2, ALICE, sdp)], sdp.replace('alice', 'mallory')), 'www', PHONE))).toMatchObject({ ok: false, failed: true });
  });

  it('speaks RFC 2069 when no qop is offered, and refuses a qop then', () => {
    const auth = newAuth({ qop: [] });
    const c = challengeOf(auth);
    expect(challenges(now(auth.authenticate(register(), 'www', PHONE)))[0]).toMatch(/^Digest realm="example\.com", nonce="[^"]+", algorithm=MD5$/);
    const line = answer(c);
    expect(line).not.toContain('qop');
    expect(now(auth.authenticate(register([line]), 'www', PHONE))).toMatchObject({ ok: true });
    const withQop = answer({ ...c, qop: ['auth'] });
    expect(now(auth.authenticate(register([withQop]), 'www', PHONE))).toMatchObject({
      ok: false, error: { code: 'auth-malformed', detail: 'Malformed digest credentials: qop=auth was not offered (offered: none, RFC 2069)' },
    });
  });

  it('verifies nonces of a rotated-out secret while it is listed, and signs with the first', () => {
    const before = newAuth({ secret: 'old' });
    const rotated = newAuth({ secret: ['new', 'old'] });
    const retired = newAuth({ secret: 'new' });
    expect(now(rotated.authenticate(register([answer(challengeOf(before))]), 'www', PHONE))).toMatchObject({ ok: true });
    const signedNew = challengeOf(rotated);
    expect(now(retired.authenticate(register([answer(signedNew)]), 'www', PHONE))).toMatchObject({ ok: true });
    expect(now(before.authenticate(register([answer(signedNew, 2)]), 'www', PHONE))).toMatchObject({ ok: false, failed: false });
  });

  it('skips the HMAC of a nonce with counts only for the realm and source it was checked for, and still expires it', () => {
    const clock = new ManualClock(T0);
    const auth = newAuth({ clock, nonceExpire: 30, nonceBindsSource: true, secret: ['new', 'old'] });
    const retired = challengeOf(newAuth({ clock, secret: 'old', nonceBindsSource: true }));
    const otherRealm = (nc: number): SipRequest => register([answer({ ...retired, realm: 'example.org' }, nc)], '', 'sip:example.org');
    expect(now(auth.authenticate(register([answer(retired, 1)]), 'www', PHONE))).toMatchObject({ ok: true });
    // counted now: the same nonce from another source, or for another realm, is checked again and refused
    expect(now(auth.authenticate(register([answer(retired, 2)]), 'www', source('192.0.2.99')))).toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
    const elsewhere = now(auth.authenticate(otherRealm(2), 'www', PHONE));
    expect(elsewhere).toMatchObject({ ok: false });
    expect(challenges(elsewhere).join()).not.toContain('stale');
    expect(now(auth.authenticate(register([answer(retired, 3)]), 'www', PHONE))).toMatchObject({ ok: true });
    expect(challenges(now(auth.authenticate(register([answer(retired, 3)]), 'www', PHONE)))[0]).toContain('stale=true');
    expect(now(auth.authenticate(register([answer(retired, 4, { username: 'alice', password: 'nope' })]), 'www', PHONE))).toMatchObject({ ok: false, failed: true });
    clock.advance(30_001);
    const expired = now(auth.authenticate(register([answer(retired, 5)]), 'www', PHONE));
    expect(expired).toMatchObject({ ok: false, failed: false });
    expect(challenges(expired)[0]).toContain('stale=true');
    // only an accepted request gives a nonce counts: a forged one stays unsigned however often it comes
    const fresh = challengeOf(auth);
    const forged = { ...fresh, nonce: fresh.nonce.slice(0, 30) + (fresh.nonce[30] === 'A' ? 'B' : 'A') + fresh.nonce.slice(31) };
    for (const nc of [1, 2]) {
      const refused = now(auth.authenticate(register([answer(forged, nc)]), 'www', PHONE));
      expect(refused).toMatchObject({ ok: false, failed: false });
      expect(challenges(refused)[0]).not.toContain('stale');
    }
  });

  it('binds nonces to the source address when asked', () => {
    const auth = newAuth({ nonceBindsSource: true });
    const c = challengeOf(auth, 'MD5', PHONE);
    expect(now(auth.authenticate(register([answer(c)]), 'www', source('192.0.2.99')))).toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
    expect(now(auth.authenticate(register([answer(c)]), 'www', PHONE))).toMatchObject({ ok: true });
    const unbound = newAuth();
    const u = challengeOf(unbound, 'MD5', PHONE);
    expect(now(unbound.authenticate(register([answer(u)]), 'www', source('192.0.2.99')))).toMatchObject({ ok: true });
    const viaChallenge = parseDigestChallenge(auth.challenge(register(), 'www', false, PHONE).headers![0][1])!;
    expect(now(auth.authenticate(register([answer(viaChallenge)]), 'www', PHONE))).toMatchObject({ ok: true });
  });

  it('answers 503 with Retry-After while the store is down, 500 when it fails otherwise, never ok', async () => {
    const down = (): never => { throw new StoreError('connection lost', { transient: true }); };
    const broken = (): never => { throw new Error('bad row'); };
    const c = challengeOf(newAuth());
    const line = answer(c);
    const withStore = (lookup: CredentialStore['lookup'], retryAfter?: number): DigestAuthenticator => newAuth({ credentials: { lookup }, retryAfter });
    expect(now(withStore(down).authenticate(register([line]), 'www', PHONE)))
      .toEqual({ ok: false, failed: false, error: { code: 'credentials-unavailable', headers: [['Retry-After', '5']], detail: undefined } });
    expect(now(withStore(down, 0).authenticate(register([line]), 'www', PHONE))).toEqual({ ok: false, failed: false, error: { code: 'credentials-unavailable' } });
    expect(now(withStore(broken).authenticate(register([line]), 'www', PHONE))).toEqual({ ok: false, failed: false, error: { code: 'credentials-failure' } });
    const rejecting = withStore(() => Promise.reject(new StoreError('timeout', { transient: true })), 17);
    const pending = rejecting.authenticate(register([line]), 'www', PHONE);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toMatchObject({ ok: false, failed: false, error: { code: 'credentials-unavailable', headers: [['Retry-After', '17']] } });
    const wire = new TextDecoder().decode(buildErrorReply(register(), refusal(await pending)));
    expect(wire).toMatch(/^SIP\/2\.0 503 Service Unavailable\r\n/);
    expect(wire).toContain('\r\nRetry-After: 17\r\n');
  });

  it('works through a store answering with promises', async () => {
    const auth = newAuth({ credentials: mapStore(subscribers, (v) => Promise.resolve(v)) });
    const c = challengeOf(auth);
    const pending = auth.authenticate(register([answer(c)]), 'www', PHONE);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toMatchObject({ ok: true, identity: { username: 'alice' } });
    await expect(auth.authenticate(register([answer(c, 2, { username: 'alice', password: 'x' })]), 'www', PHONE)).resolves.toMatchObject({ ok: false, failed: true });
    // a count replayed while the first lookup is in flight, on a new nonce and on a counted one
    for (const nc of [1, 2]) {
      const nonce = nc === 1 ? challengeOf(auth) : c;
      const both = await Promise.all([0, 1].map(() => auth.authenticate(register([answer(nonce, nc === 1 ? 1 : 3)]), 'www', PHONE)));
      expect(both.map((o) => o.ok).sort()).toEqual([false, true]);
    }
  });

  it('does not consult the store for requests refused before (no credentials, malformed, forged nonce)', () => {
    const store = mapStore(subscribers);
    const auth = newAuth({ credentials: store });
    const c = challengeOf(auth);
    now(auth.authenticate(register([answer({ ...c, nonce: 'forged' })]), 'www', PHONE));
    now(auth.authenticate(register(['Authorization: Digest username="alice"']), 'www', PHONE));
    expect(store.lookups).toBe(0);
    now(auth.authenticate(register([answer(c)]), 'www', PHONE));
    expect(store.lookups).toBe(1);
  });

  it('computes HA1 from the stored password with calculateHa1, and reads a changed password on the next request', () => {
    const people = [{ username: 'carol', realm: 'example.com', password: 'secret' }];
    const live: CredentialStore = { lookup: (username, realm) => people.find((p) => p.username === username && p.realm === realm) };
    const auth = newAuth({ credentials: live, calculateHa1: true, algorithms: ['SHA-256'] });
    const carol = { username: 'carol', password: 'secret' };
    const c = challengeOf(auth, 'SHA-256');
    expect(now(auth.authenticate(register([answer(c, 1, carol)]), 'www', PHONE))).toEqual({ ok: true, identity: { username: 'carol', realm: 'example.com' } });
    people[0] = { ...people[0], password: 'changed' };
    expect(now(auth.authenticate(register([answer(c, 2, carol)]), 'www', PHONE))).toMatchObject({ ok: false, failed: true });
    expect(now(auth.authenticate(register([answer(c, 3, { username: 'carol', password: 'changed' })]), 'www', PHONE))).toMatchObject({ ok: true });
    expect(now(auth.authenticate(register([answer(c, 4, { username: 'nobody', password: '' })]), 'www', PHONE))).toMatchObject({ ok: false, failed: true });
    const ha1Only = newAuth({ algorithms: ['SHA-256'] });
    expect(now(ha1Only.authenticate(register([answer(challengeOf(ha1Only, 'SHA-256'), 1, carol)]), 'www', PHONE))).toMatchObject({ ok: false, failed: true });
  });

  it('offers userhash and finds the subscriber by H(username:realm) (RFC 7616 §3.4.4, the §3.9.2 user)', () => {
    const realm = 'api@example.org';
    const jason = { username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?' };
    const auth = newAuth({ credentials: mapStore([{ username: jason.username, realm, ha1: computeHa1s(jason.username, realm, jason.password) }]), realm, algorithms: ['SHA-512-256'], userhash: true });
    const lines = challenges(now(auth.authenticate(register(), 'www', PHONE)));
    expect(lines).toEqual([expect.stringMatching(/^Digest realm="api@example\.org", nonce="[^"]+", algorithm=SHA-512-256, qop="auth", userhash=true$/)]);
    const line = answer(parseDigestChallenge(lines[0])!, 1, jason);
    expect(line).toContain('username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"');
    expect(now(auth.authenticate(register([line]), 'www', PHONE))).toEqual({ ok: true, identity: { username: jason.username, realm } });
    const noUserhash = newAuth({ credentials: { lookup: () => { throw new Error('not called'); } }, realm, algorithms: ['SHA-512-256'] });
    expect(now(noUserhash.authenticate(register([answer(challengeOf(noUserhash, 'SHA-512-256'), 1, jason)].map((l) => l.replace(/username="[^"]+"/, 'username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"') + ', userhash=true')), 'www', PHONE)))
      .toMatchObject({ ok: false, failed: false, error: { code: 'auth-required' } });
  });

  it('challenges for a proxy with 407 and Proxy-Authenticate, reads Proxy-Authorization, realm the From domain', () => {
    const auth = newAuth();
    const invite = (lines: readonly string[] = []): SipRequest => {
      const text = 'INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8\r\nMax-Forwards: 70\r\n'
        + 'From: Alice <sip:alice@Example.COM>;tag=1928301774\r\nTo: Bob <sip:bob@biloxi.com>\r\nCall-ID: a84b4c76e66710@192.0.2.10\r\n'
        + `CSeq: 314159 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n${lines.map((l) => `${l}\r\n`).join('')}Content-Length: 0\r\n\r\n`;
      const parsed = parseSipMessage(text);
      if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test INVITE does not parse');
      return parsed.message;
    };
    const refused = now(auth.authenticate(invite(), 'proxy', PHONE));
    expect(refused).toMatchObject({ ok: false, failed: false, error: { code: 'proxy-auth-required' } });
    expect(challenges(refused)).toEqual([]);
    const [line] = challenges(refused, 'Proxy-Authenticate');
    expect(line).toMatch(/^Digest realm="example\.com", /);
    const value = digestAuthorization(parseDigestChallenge(line)!, ALICE, { method: 'INVITE', uri: 'sip:bob@biloxi.com' }, 'c', 1)!;
    expect(now(auth.authenticate(invite([`Authorization: ${value}`]), 'proxy', PHONE))).toMatchObject({ ok: false, error: { code: 'proxy-auth-required' } });
    expect(now(auth.authenticate(invite([`Proxy-Authorization: ${value}`]), 'proxy', PHONE))).toMatchObject({ ok: true, identity: { username: 'alice' } });
    // HA2 of the INVITE is not taken for the REGISTER after it, nor the REGISTER's for another Request-URI.
    expect(now(auth.authenticate(register([answer(challengeOf(auth))]), 'www', PHONE))).toMatchObject({ ok: true });
    const tcp = 'sip:example.com;transport=tcp';
    expect(now(auth.authenticate(register([answer(challengeOf(auth), 1, ALICE, '', tcp)], '', tcp), 'www', PHONE))).toMatchObject({ ok: true });
    expect(now(auth.authenticate(register([answer(challengeOf(auth), 1, ALICE, '', tcp)], ''), 'www', PHONE))).toMatchObject({ ok: false, error: { code: 'auth-malformed' } });
    expect(auth.challenge(invite(), 'proxy', true).headers).toEqual([['Proxy-Authenticate', expect.stringMatching(/^Digest realm="example\.com", nonce="[^"]+", algorithm=MD5, qop="auth", stale=true$/)]]);
  });

  it('challenges with the fixed realm, quoted, and names a missing realm', () => {
    const auth = newAuth({ realm: 'the "best" realm' });
    expect(auth.challenge(register(), 'www').headers![0][1]).toMatch(/^Digest realm="the \\"best\\" realm", nonce=/);
    const tel = 'REGISTER tel:+15551234 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n'
      + 'From: <tel:+15551234>;tag=1\r\nTo: <tel:+15551234>\r\nCall-ID: t@192.0.2.10\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n';
    const parsed = parseSipMessage(tel);
    if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test REGISTER does not parse');
    expect(newAuth().challenge(parsed.message, 'www')).toEqual({
      code: 'auth-malformed', headers: undefined,
      detail: 'No realm to challenge with: neither the To/From URI nor the Request-URI has a host; set DigestAuthOptions.realm',
    });
    expect(newAuth().authenticate(parsed.message, 'www', PHONE)).toMatchObject({ ok: false, failed: false, error: { code: 'auth-malformed' } });
  });
});
