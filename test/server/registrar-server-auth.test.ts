import { createDigestAuthenticator } from '../../src/auth/digest-authenticator';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { createSourceGuard } from '../../src/auth/source-guard';
import type { SourceGuardOptions } from '../../src/auth/source-guard-options';
import type { CredentialStore } from '../../src/ports/credential-store';
import { StoreError } from '../../src/errors/sdk-error';
import { createRegistrar } from '../../src/registrar/registrar';
import { createRegistrarServer } from '../../src/server/registrar-server';
import type { RegistrarServerOptions } from '../../src/server/registrar-server';
import { digestAuthorization, selectDigestChallenge } from '../../src/sip/digest';
import type { SipRequest, SipResponse } from '../../src/sip/message';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../src/testing/message-builders';
import type { ContactSpec } from '../../src/testing/message-builders';
import type { Source } from '../../src/ports/transport';

const T0 = 1_700_000_000_000;
const REALM = 'example.com';
const settle = () => new Promise((r) => setImmediate(r));

const subscribers = () => new MemoryCredentialStore([
  { username: 'alice', realm: REALM, ha1: computeHa1s('alice', REALM, 'alice-secret') },
  { username: 'bob', realm: REALM, ha1: computeHa1s('bob', REALM, 'bob-secret') },
]);

interface Setup {
  readonly credentials?: CredentialStore;
  readonly guard?: SourceGuardOptions;
  readonly authMethods?: readonly string[];
  readonly register?: RegistrarServerOptions['register'];
  /** The registrar's `domains`. @defaultValue [REALM] */
  readonly domains?: readonly string[];
}

function setup(o: Setup = {}) {
  const clock = new ManualClock(T0);
  const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }] });
  const auth = createDigestAuthenticator({ credentials: o.credentials ?? subscribers(), clock, secret: 'server-auth-test' });
  const registrar = createRegistrar({ clock, purgeIntervalMs: 0, auth, domains: o.domains ?? [REALM] });
  const guard = o.guard === undefined ? undefined : createSourceGuard({ ...o.guard, clock });
  const proxyAuth = o.authMethods === undefined ? undefined : { authenticator: auth, methods: o.authMethods };
  const server = createRegistrarServer({ registrar, transport, guard, proxyAuth, register: o.register });
  return { clock, transport, registrar, server, guard, ids: new IdSequence('auth-srv') };
}

type Harness = ReturnType<typeof setup>;

/** Deliver `text` from `from` and return the response it got, if any. */
/** The final response `text` got, if any (a forwarded INVITE gets only `100 Trying` from the proxy, RFC 3261 §16.2). */
async function send(h: Harness, text: string, from: Partial<Source> = {}): Promise<SipResponse | undefined> {
  const before = h.transport.responses.length;
  h.transport.deliver(text, from);
  await settle();
  await settle();
  return h.transport.responses.slice(before).map((r) => r.response).find((r) => r.status >= 200);
}

/** The `Authorization` / `Proxy-Authorization` answering `challenged`'s strongest challenge (RFC 3261 §22.4). */
function answer(challenged: SipResponse, header: 'WWW-Authenticate' | 'Proxy-Authenticate', request: { method: string; uri: string }, username: string, password: string): string {
  const challenge = selectDigestChallenge(challenged.headerAll(header));
  if (challenge === undefined) throw new Error(`no digest challenge in the ${challenged.status}`);
  const value = digestAuthorization(challenge, { username, password }, request);
  if (value === undefined) throw new Error('the challenge cannot be answered');
  return value;
}

interface RegisterAs {
  readonly aor: string;
  readonly username: string;
  readonly password: string;
  readonly contacts?: readonly ContactSpec[] | '*';
  readonly from?: Partial<Source>;
}

/** A UA's REGISTER: first without credentials (must get 401), then once more answering the challenge (RFC 3261 §10.2.4). */
async function registerAs(h: Harness, r: RegisterAs): Promise<{ challenge: SipResponse; final: SipResponse | undefined }> {
  const callId = `${h.ids.next()}@ua`;
  const base = { aor: r.aor, contacts: r.contacts ?? [`sip:${r.username}@192.0.2.20:5062`], callId, ids: h.ids };
  const challenge = await send(h, buildRegister({ ...base, cseq: 1 }), r.from);
  expect(challenge?.status).toBe(401);
  const authorization = answer(challenge!, 'WWW-Authenticate', { method: 'REGISTER', uri: `sip:${REALM}` }, r.username, r.password);
  const final = await send(h, buildRegister({ ...base, cseq: 2, headers: { Authorization: authorization } }), r.from);
  return { challenge: challenge!, final };
}

const contactsOf = async (h: Harness, aor: string): Promise<string[]> => (await h.registrar.bindings(aor)).map((b) => b.contact);

describe('registrar server with authentication', () => {
  it('challenges a REGISTER with 401 and saves it once it answers with the subscriber\'s password', async () => {
    const h = setup();
    const { challenge, final } = await registerAs(h, { aor: 'sip:alice@example.com', username: 'alice', password: 'alice-secret' });
    expect(challenge.header('WWW-Authenticate')).toMatch(/^Digest realm="example\.com", nonce="[^"]+"/);
    expect(final?.status).toBe(200);
    expect(await contactsOf(h, 'alice@example.com')).toEqual(['sip:alice@192.0.2.20:5062']);
  });

  it('answers 401 to a stranger\'s Contact: * and to a wrong password, and alice\'s binding stays (the issue\'s headline bug)', async () => {
    const h = setup();
    await registerAs(h, { aor: 'sip:alice@example.com', username: 'alice', password: 'alice-secret' });
    const stranger = { address: '203.0.113.66', port: 5099 };
    const wipe = await send(h, buildRegister({ aor: 'sip:alice@example.com', contacts: '*', ids: h.ids }), stranger);
    expect([wipe?.status, wipe?.reason]).toEqual([401, 'Unauthorized']);
    const guessed = await registerAs(h, { aor: 'sip:alice@example.com', username: 'alice', password: 'password1', contacts: '*', from: stranger });
    expect(guessed.final?.status).toBe(401);
    expect(await contactsOf(h, 'alice@example.com')).toEqual(['sip:alice@192.0.2.20:5062']);
    expect((await h.registrar.stats()).rejectedRegs).toBe(0);
  });

  it('answers 403 to alice\'s valid credentials on bob\'s To, and stores nothing for bob', async () => {
    const h = setup();
    const { final } = await registerAs(h, { aor: 'sip:bob@example.com', username: 'alice', password: 'alice-secret' });
    expect([final?.status, final?.header('P-Registrar-Error')]).toEqual([403, 'Authenticated user may not use this address-of-record']);
    expect(await contactsOf(h, 'bob@example.com')).toEqual([]);
  });

  it('drops every request of a source banned after 3 wrong passwords, other sources still served', async () => {
    const h = setup({ guard: { ban: { after: 3 } } });
    const guesser = { address: '203.0.113.7', port: 5060 };
    for (let i = 0; i < 3; i++) {
      const { final } = await registerAs(h, { aor: 'sip:bob@example.com', username: 'bob', password: `guess-${i}`, from: guesser });
      expect(final?.status).toBe(401);
    }
    expect(h.guard!.bans().map((b) => [b.address, b.failures])).toEqual([['203.0.113.7', 3]]);
    const dropped = h.server.counters.dropped;
    expect(await send(h, buildRegister({ aor: 'sip:bob@example.com', ids: h.ids }), guesser)).toBeUndefined();
    expect(await send(h, buildRequest('OPTIONS', { to: 'sip:127.0.0.1:5060', ids: h.ids }), guesser)).toBeUndefined();
    expect(h.server.counters.dropped).toBe(dropped + 2);
    const { final } = await registerAs(h, { aor: 'sip:bob@example.com', username: 'bob', password: 'bob-secret', from: { address: '192.0.2.20', port: 5062 } });
    expect(final?.status).toBe(200);
  });

  it('answers a banned source 403 and a rate-limited one 503 with Retry-After when the guard says reply, and never an ACK', async () => {
    const h = setup({ guard: { ban: { after: 1, action: 'reply' }, pike: { reqsDensityPerUnit: 2, samplingTimeUnit: 4, action: 'reply' } } });
    const options = () => buildRequest('OPTIONS', { to: 'sip:127.0.0.1:5060', ids: h.ids });
    const flooder = { address: '198.51.100.1' };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(h, options(), flooder))?.status);
    expect(statuses).toEqual([200, 200, 503]);
    expect(h.transport.lastResponse().header('Retry-After')).toBe('4');
    expect(h.transport.lastResponse().header('P-Registrar-Error')).toBe('Too many requests from this source');
    expect(await send(h, buildRequest('ACK', { to: 'sip:bob@example.com', toTag: 'x', ids: h.ids }), flooder)).toBeUndefined();

    const guesser = { address: '198.51.100.2' };
    const { final } = await registerAs(h, { aor: 'sip:bob@example.com', username: 'bob', password: 'guess', from: guesser });
    expect(final?.status).toBe(401);
    const banned = await send(h, options(), guesser);
    expect([banned?.status, banned?.header('P-Registrar-Error')]).toEqual([403, 'Source banned after failed authentications']);
  });

  it('counts a custom register answer flagged authFailed towards the ban (the mid-registrar\'s local authentication)', async () => {
    const h = setup({
      guard: { ban: { after: 2 } },
      register: (request) => ({ authFailed: request.header('Authorization') !== undefined }),
    });
    const source = { address: '203.0.113.9' };
    await send(h, buildRegister({ aor: 'sip:bob@example.com', ids: h.ids }), source);
    expect(h.guard!.bans()).toEqual([]);
    for (let i = 0; i < 2; i++) await send(h, buildRegister({ aor: 'sip:bob@example.com', headers: { Authorization: 'Digest username="bob"' }, ids: h.ids }), source);
    expect(h.guard!.bans().map((b) => b.address)).toEqual(['203.0.113.9']);
  });

  it('challenges an INVITE with 407 under proxyAuth, forwards it once authenticated without our realm\'s Proxy-Authorization, and 403s a foreign From', async () => {
    const h = setup({ authMethods: ['invite'], guard: { ban: { after: 2 } } });
    await registerAs(h, { aor: 'sip:bob@example.com', username: 'bob', password: 'bob-secret' });
    const invite = (spec: { from?: string; headers?: Record<string, string>; toTag?: string; requestUri?: string } = {}) => buildRequest('INVITE', {
      to: 'sip:bob@example.com', from: spec.from ?? 'sip:alice@example.com', callId: 'inv-1@ua', headers: spec.headers, toTag: spec.toTag, requestUri: spec.requestUri, ids: h.ids,
    });
    const caller = { address: '192.0.2.30', port: 5064 };
    /** Proxy-Authorization for a fresh 407 (a nonce count is never sent twice). */
    const credentialsFor = async (username: string, password: string, from: Partial<Source> = caller): Promise<string> => {
      const fresh = await send(h, invite(), from);
      return answer(fresh!, 'Proxy-Authenticate', { method: 'INVITE', uri: 'sip:bob@example.com' }, username, password);
    };

    const challenged = await send(h, invite(), caller);
    expect(challenged?.status).toBe(407);
    expect(challenged?.header('Proxy-Authenticate')).toMatch(/^Digest realm="example\.com", nonce="[^"]+"/);
    expect(h.transport.sent).toHaveLength(0);

    const credentials = answer(challenged!, 'Proxy-Authenticate', { method: 'INVITE', uri: 'sip:bob@example.com' }, 'alice', 'alice-secret');
    const theirs = 'Digest username="alice", realm="carrier.example", nonce="n", uri="sip:bob@example.com", response="00"';
    expect(await send(h, invite({ headers: { 'Proxy-Authorization': credentials, 'proxy-authorization': theirs } }), caller)).toBeUndefined();
    expect(h.transport.sent).toHaveLength(1);
    const forwarded = h.transport.sent[0].message as SipRequest;
    expect(forwarded.uri).toBe('sip:bob@192.0.2.20:5062');
    expect(forwarded.headerAll('Proxy-Authorization')).toEqual([theirs]);

    const posing = await credentialsFor('alice', 'alice-secret');
    const forbidden = await send(h, invite({ from: 'sip:bob@example.com', headers: { 'Proxy-Authorization': posing } }), caller);
    expect(forbidden?.status).toBe(403);
    expect(h.guard!.bans()).toEqual([]);

    // Not challenged: a method not listed, an in-dialog request, a From in a domain not served.
    await send(h, buildRequest('MESSAGE', { to: 'sip:bob@example.com', from: 'sip:alice@example.com', ids: h.ids }), caller);
    await send(h, invite({ toTag: 'dlg-1', requestUri: 'sip:bob@192.0.2.20:5062' }), caller);
    await send(h, invite({ from: 'sip:carol@elsewhere.example' }), caller);
    expect(h.transport.sent).toHaveLength(4);

    const guesser = { address: '203.0.113.50' };
    for (let i = 0; i < 2; i++) {
      const wrong = await credentialsFor('alice', `guess-${i}`, guesser);
      expect((await send(h, invite({ headers: { 'Proxy-Authorization': wrong } }), guesser))?.status).toBe(407);
    }
    expect(h.guard!.bans().map((b) => b.address)).toEqual(['203.0.113.50']);
  });

  it('challenges every From when the registrar serves any domain (an empty domains list)', async () => {
    const h = setup({ authMethods: ['MESSAGE'], domains: [] });
    const challenged = await send(h, buildRequest('MESSAGE', { to: 'sip:bob@example.com', from: 'sip:carol@elsewhere.example', ids: h.ids }));
    expect([challenged?.status, challenged?.header('Proxy-Authenticate')?.startsWith('Digest realm="elsewhere.example"')]).toEqual([407, true]);
  });

  it('answers 503 with Retry-After when the credential store is away, and bans nobody for it', async () => {
    const down: CredentialStore = { lookup: () => Promise.reject(new StoreError('redis: connection lost', { transient: true })) };
    const h = setup({ credentials: down, guard: { ban: { after: 1 } } });
    const { final } = await registerAs(h, { aor: 'sip:alice@example.com', username: 'alice', password: 'alice-secret' });
    expect([final?.status, final?.header('Retry-After')]).toEqual([503, '5']);
    expect(h.guard!.bans()).toEqual([]);
    expect(await contactsOf(h, 'alice@example.com')).toEqual([]);
  });

  it('refuses proxyAuth methods that cannot be challenged, saying what to do', () => {
    const registrar = createRegistrar({ purgeIntervalMs: 0 });
    const authenticator = createDigestAuthenticator({ credentials: subscribers() });
    const attempt = (methods: readonly string[]) => () => createRegistrarServer({ registrar, transport: new FakeTransport(), proxyAuth: { authenticator, methods } });
    expect(attempt(['INVITE', 'ack'])).toThrow('RegistrarServerOptions.proxyAuth.methods must not list ACK: it cannot be resubmitted with credentials (RFC 3261 §22.1)');
    expect(attempt(['REGISTER'])).toThrow('RegistrarServerOptions.proxyAuth.methods must not list REGISTER: give the registrar auth (RegistrarOptions.auth) instead');
    expect(attempt([])).toThrow("RegistrarServerOptions.proxyAuth.methods must list the methods to challenge, e.g. ['INVITE', 'MESSAGE']");
  });
});
