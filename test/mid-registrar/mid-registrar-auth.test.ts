/**
 * The mid-registrar authenticating REGISTERs itself (MidRegistrarOptions.auth): a 401 from here
 * before anything is absorbed or forwarded, the phone's identity checked against the To AOR
 * (403), and in each mode the authenticated REGISTER absorbed or forwarded as without auth.
 */
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { createDigestAuthenticator } from '../../src/auth/digest-authenticator';
import type { MidRegistrarMode } from '../../src/mid-registrar/mid-registrar-options';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildRegister, buildResponseText } from '../../src/testing/message-builders';
import type { ContactSpec } from '../../src/testing/message-builders';
import { parse, parseResponse, setup, T0 } from './mid-harness';

const subscriber = (username: string, password: string) => ({ username, realm: 'example.com', ha1: computeHa1s(username, 'example.com', password) });

/** A mid-registrar in `mode` that authenticates alice and bob of example.com itself. */
function authenticating(mode: MidRegistrarMode) {
  const credentials = new MemoryCredentialStore([subscriber('alice', 'alice-secret'), subscriber('bob', 'bob-secret')]);
  const t = setup(mode, { auth: createDigestAuthenticator({ credentials, clock: new ManualClock(T0) }) });
  /**
   * A phone's REGISTER as `user`: sent without credentials (CSeq `cseq`), then again with the
   * answer to the 401 (CSeq `cseq + 1`). The challenge and the final reply.
   */
  const registerAs = async (user: string, password: string, aor: string, contacts: readonly ContactSpec[], o: { callId: string; cseq?: number }) => {
    const cseq = o.cseq ?? 1;
    const challenged = await t.register(aor, contacts, { callId: o.callId, cseq });
    expect(challenged.status).toBe(401);
    const challenge = parseDigestChallenge(challenged.header('www-authenticate')!)!;
    const authorization = digestAuthorization(challenge, { username: user, password }, { method: 'REGISTER', uri: 'sip:example.com' })!;
    const reply = await t.register(aor, contacts, { callId: o.callId, cseq: cseq + 1, headers: [['Authorization', authorization]] });
    return { challenge, authorization, reply };
  };
  return { ...t, registerAs };
}

describe.each<MidRegistrarMode>(['mirror', 'throttle-contact', 'throttle-aor'])('mid-registrar with local auth (%s)', (mode) => {
  const absorbs = mode !== 'mirror';

  it('answers 401 itself and forwards nothing until the phone authenticates, then forwards or absorbs as without auth', async () => {
    const t = authenticating(mode);
    const contact = [{ uri: 'sip:alice@192.0.2.7:5062', expires: 300 }];
    const first = await t.registerAs('alice', 'alice-secret', 'sip:alice@example.com', contact, { callId: 'a1' });
    expect(first.challenge).toMatchObject({ realm: 'example.com', algorithm: 'MD5' });
    expect(first.reply.status).toBe(200);
    // The challenged REGISTER never reached the main registrar; the authenticated one did, with the phone's credentials.
    expect(t.upstreamSeen.map((r) => [r.cseq.seq, r.header('authorization')])).toEqual([[2, first.authorization]]);
    expect(await t.upstreamContacts('alice@example.com')).toHaveLength(1);
    expect((await t.mid.registrar.bindings('alice@example.com')).map((b) => b.contact)).toEqual(['sip:alice@192.0.2.7:5062']);

    // A reboot: new Call-ID and From tag, authenticated here, so the throttling modes may answer it.
    await t.advance(10_000);
    const reboot = await t.registerAs('alice', 'alice-secret', 'sip:alice@example.com', contact, { callId: 'a2' });
    expect(reboot.reply.status).toBe(200);
    expect(t.upstreamSeen).toHaveLength(absorbs ? 1 : 2);
    expect((await t.mid.registrar.bindings('alice@example.com')).map((b) => [b.contact, b.callId])).toEqual([['sip:alice@192.0.2.7:5062', 'a2']]);
    expect(await t.mid.stats()).toMatchObject({ forwarded: absorbs ? 1 : 2, absorbed: absorbs ? 1 : 0 });
  });

  it('refuses with 403, here, credentials for another AOR', async () => {
    const t = authenticating(mode);
    const contact = [{ uri: 'sip:bob@192.0.2.8', expires: 300 }];
    const stolen = await t.registerAs('bob', 'bob-secret', 'sip:alice@example.com', contact, { callId: 'b1' });
    expect([stolen.reply.status, stolen.reply.header('p-registrar-error')]).toEqual([403, 'Authenticated user may not use this address-of-record']);
    expect(t.upstreamSeen).toEqual([]);
    expect(await t.mid.registrar.bindings('alice@example.com')).toEqual([]);
    const own = await t.registerAs('bob', 'bob-secret', 'sip:bob@example.com', contact, { callId: 'b2' });
    expect(own.reply.status).toBe(200);
  });

  it('tells the host about a wrong password (authFailed, for a ban), not about a first REGISTER without credentials', async () => {
    const t = authenticating(mode);
    const request = (cseq: number, authorization?: string) => parse(buildRegister({
      aor: 'sip:alice@example.com', contacts: [{ uri: 'sip:alice@192.0.2.9', expires: 300 }], callId: 'w1', fromTag: 'w1', cseq,
      headers: authorization === undefined ? [] : [['Authorization', authorization]],
    }));
    const first = await t.mid.process(request(1));
    expect(first.authFailed).toBeUndefined();
    const challenge = parseDigestChallenge(parseResponse(first.response!).header('www-authenticate')!)!;
    const wrong = await t.mid.process(request(2, digestAuthorization(challenge, { username: 'alice', password: 'guess' }, { method: 'REGISTER', uri: 'sip:example.com' })));
    expect(wrong.authFailed).toBe(true);
    expect(parseResponse(wrong.response!).status).toBe(401);
    expect(t.upstreamSeen).toEqual([]);
  });
});

describe('mid-registrar with local auth in front of a main registrar that challenges too', () => {
  it('relays the main registrar\'s own challenge to the phone, as without auth', async () => {
    const t = authenticating('throttle-contact');
    const mainChallenge = 'Digest realm="main.example.net", nonce="m1", qop="auth", algorithm=MD5';
    t.transport.respondWith((request) => {
      t.upstreamSeen.push(request);
      return buildResponseText(request, 401, 'Unauthorized', [['WWW-Authenticate', mainChallenge]]);
    });
    const { reply } = await t.registerAs('alice', 'alice-secret', 'sip:alice@example.com', [{ uri: 'sip:alice@192.0.2.7' }], { callId: 'r1' });
    expect([reply.status, reply.header('www-authenticate'), reply.via.length]).toEqual([401, mainChallenge, 1]);
    expect(t.upstreamSeen).toHaveLength(1);
    expect(await t.mid.registrar.bindings('alice@example.com')).toEqual([]);
  });
});

describe('mid-registrar given the identity by the host (SaveOptions.identity)', () => {
  it('skips its own auth, checks the identity against the To AOR, and throttles as if it had authenticated', async () => {
    const t = authenticating('throttle-contact');
    const request = (aor: string, callId: string) => parse(buildRegister({ aor, contacts: [{ uri: 'sip:carol@192.0.2.10', expires: 300 }], callId, fromTag: callId }));
    const carol = { username: 'carol', realm: 'example.com' };
    const foreign = parseResponse((await t.mid.process(request('sip:alice@example.com', 'c1'), { identity: carol })).response!);
    expect(foreign.status).toBe(403);
    expect(parseResponse((await t.mid.process(request('sip:carol@example.com', 'c2'), { identity: carol })).response!).status).toBe(200);
    expect(parseResponse((await t.mid.process(request('sip:carol@example.com', 'c3'), { identity: carol })).response!).status).toBe(200);
    expect(t.upstreamSeen.map((r) => r.callId)).toEqual(['c2']);
  });
});
