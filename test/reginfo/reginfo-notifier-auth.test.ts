/**
 * The reg-event notifier authenticating SUBSCRIBEs (ReginfoOptions.auth, RFC 3680 §4.6):
 * authenticate, then (authorize ?? the identity may watch only an AOR it may use).
 */
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { createDigestAuthenticator } from '../../src/auth/digest-authenticator';
import type { ReginfoOptions } from '../../src/reginfo/reginfo-options';
import type { Source } from '../../src/ports/transport';
import type { SipResponse } from '../../src/sip/message';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildRequest, buildResponseText, IdSequence } from '../../src/testing/message-builders';
import { network, T0, type Network, type Node } from './reginfo-harness';

const WATCHER = { address: '127.0.0.1', port: 6000 } as const;
const ids = new IdSequence('wa');
const subscriber = (username: string, password: string) => ({ username, realm: 'example.com', ha1: computeHa1s(username, 'example.com', password) });

/** A SUBSCRIBE from `user`@example.com's watcher for `aor`, with credentials when given. */
function subscribe(user: string, aor: string, o: { callId: string; cseq: number; toTag?: string; authorization?: string }): string {
  return buildRequest('SUBSCRIBE', {
    requestUri: aor,
    to: aor,
    from: `sip:${user}@example.com`,
    fromTag: `${user}-tag`,
    toTag: o.toTag,
    callId: o.callId,
    cseq: o.cseq,
    contacts: [`sip:${user}@127.0.0.1:6000`],
    expires: 600,
    headers: [['Event', 'reg'], ...(o.authorization === undefined ? [] : [['Authorization', o.authorization] as [string, string]])],
    via: { host: '127.0.0.1', port: 6000 },
    ids,
  });
}

describe('reg-event notifier with auth', () => {
  let net: Network;
  let a: Node;
  const failures: Source[] = [];

  const start = (extra: Partial<ReginfoOptions> = {}): void => {
    const credentials = new MemoryCredentialStore([subscriber('alice', 'alice-secret'), subscriber('bob', 'bob-secret')]);
    const auth = createDigestAuthenticator({ credentials, clock: new ManualClock(T0) });
    net = network([{ name: 'A', reginfo: { auth, ...extra } }], (r) => buildResponseText(r, 200, 'OK'));
    a = net.nodes[0];
    a.reginfo.on('authFailed', (source) => failures.push(source));
  };
  afterEach(async () => {
    failures.length = 0;
    await net.close();
  });

  /** Deliver a SUBSCRIBE from the watcher; its final response. */
  const deliver = async (text: string): Promise<SipResponse> => {
    const before = a.transport.responses.length;
    a.transport.deliver(text, { ...WATCHER, protocol: 'udp' });
    await net.step(0);
    return a.transport.responses.slice(before).at(-1)!.response;
  };
  /** SUBSCRIBE as `user` to `aor`: a 401 first, then the answer with `password`; the final response. */
  const subscribeAs = async (user: string, password: string, aor: string, callId: string, toTag?: string, cseq = 1): Promise<SipResponse> => {
    const challenged = await deliver(subscribe(user, aor, { callId, cseq, toTag }));
    expect(challenged.status).toBe(401);
    const challenge = parseDigestChallenge(challenged.header('www-authenticate')!)!;
    const authorization = digestAuthorization(challenge, { username: user, password }, { method: 'SUBSCRIBE', uri: aor })!;
    return deliver(subscribe(user, aor, { callId, cseq: cseq + 1, toTag, authorization }));
  };
  const notifies = (): number => a.transport.requests.filter((r) => r.request.method === 'NOTIFY').length;

  it('answers 401 before anything, 200 and a NOTIFY for the subscriber\'s own AOR, 403 for another\'s', async () => {
    start();
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    const bare = await deliver(subscribe('alice', 'sip:alice@example.com', { callId: 's1', cseq: 1 }));
    expect(bare.status).toBe(401);
    expect(parseDigestChallenge(bare.header('www-authenticate')!)).toMatchObject({ realm: 'example.com' });
    expect(notifies()).toBe(0);

    const own = await subscribeAs('alice', 'alice-secret', 'sip:alice@example.com', 's1');
    expect(own.status).toBe(200);
    expect(notifies()).toBe(1);
    expect(a.reginfo.subscriptions().watchers.map((w) => [w.aor, w.watcher])).toEqual([['alice@example.com', 'sip:alice@example.com']]);

    const other = await subscribeAs('bob', 'bob-secret', 'sip:alice@example.com', 's2');
    expect(other.status).toBe(403);
    expect(notifies()).toBe(1);
    expect(a.reginfo.subscriptions().watchers).toHaveLength(1);
    expect(failures).toEqual([]);
  });

  it('takes a refresh only from the identity that subscribed', async () => {
    start();
    const ok = await subscribeAs('alice', 'alice-secret', 'sip:alice@example.com', 's1');
    const toTag = ok.to.params.tag!;
    expect((await subscribeAs('bob', 'bob-secret', 'sip:alice@example.com', 's1', toTag, 3)).status).toBe(403);
    expect((await subscribeAs('alice', 'alice-secret', 'sip:alice@example.com', 's1', toTag, 5)).status).toBe(200);
  });

  it('emits authFailed with the source for a wrong password, for a ban to count', async () => {
    start();
    const reply = await subscribeAs('alice', 'guess', 'sip:alice@example.com', 's1');
    expect(reply.status).toBe(401);
    expect(failures.map((s) => [s.address, s.port])).toEqual([[WATCHER.address, WATCHER.port]]);
    expect(notifies()).toBe(0);
  });

  it('lets authorize decide instead of the own-AOR rule, given the identity', async () => {
    start({ authorize: (_request, _source, aor, identity) => identity?.username === 'bob' || aor === `${identity?.username}@example.com` });
    expect((await subscribeAs('bob', 'bob-secret', 'sip:alice@example.com', 's1')).status).toBe(200);
    expect((await subscribeAs('alice', 'alice-secret', 'sip:bob@example.com', 's2')).status).toBe(403);
  });
});
