import { createHash } from 'node:crypto';
import type { Endpoint } from '../../src/ports/transport';
import { BranchIds } from '../../src/sip/branch-ids';
import type { SipRequest } from '../../src/sip/message';
import type { SipResolver } from '../../src/sip/request-destination';
import { FakeTransport, type FakeResponder } from '../../src/testing/fake-transport';
import { buildResponseText } from '../../src/testing/message-builders';
import { localViaSentBy } from '../../src/transactions/local-via-sent-by';
import { sendRequest, type RequestParts, type SendRequestOptions } from '../../src/transactions/send-request';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const param = (value: string, name: string): string | undefined => new RegExp(`${name}="?([^",]+)"?`).exec(value)?.[1];

const UDP: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const TCP: Endpoint = { protocol: 'tcp', address: '::1', port: 5062 };

/** Knows one name; SRV never answers. */
const resolver: SipResolver = {
  resolveHost: async (host) => {
    if (host === 'registrar.example') return '192.0.2.7';
    throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  },
  resolveSrv: async () => [],
  random: () => 0,
};

const parts = (over: Partial<RequestParts> = {}): RequestParts => ({
  method: 'REGISTER',
  requestUri: 'sip:192.0.2.1:5070',
  from: '<sip:alice@example.com>;tag=f1',
  to: '<sip:alice@example.com>',
  callId: 'c1@test',
  cseq: 7,
  contact: '<sip:alice@127.0.0.1:5060>;expires=60',
  ...over,
});

function setup(responder: FakeResponder, endpoints: readonly Endpoint[] = [UDP, TCP]) {
  const transport = new FakeTransport({ endpoints });
  transport.respondWith(responder);
  const ctx = { transport, resolver, branches: new BranchIds() };
  const send = (p: RequestParts = parts(), options?: SendRequestOptions) => sendRequest(ctx, p, 'tst', options);
  return { transport, send, sent: (): SipRequest[] => transport.requests.map((r) => r.request) };
}

const ok = (r: SipRequest): string => buildResponseText(r, 200, 'OK');
const challenge = (r: SipRequest, status: 401 | 407, nonce = 'n1'): string => status === 401
  ? buildResponseText(r, 401, 'Unauthorized', [['WWW-Authenticate', `Digest realm="example.com", nonce="${nonce}", qop="auth"`]])
  : buildResponseText(r, 407, 'Proxy Authentication Required', [['Proxy-Authenticate', `Digest realm="proxy.example", nonce="${nonce}"`]]);
const alice = { username: 'alice', password: 'secret' };

describe('sendRequest: the one outgoing-request helper (RFC 3261 §8.1.2, §17.1.2, §22)', () => {
  it('writes a Via of the destination protocol with a new branch, sent-by = the local socket of that protocol, and rport', async () => {
    const t = setup(ok);
    const udp = await t.send();
    const tcp = await t.send(parts({ requestUri: 'sip:192.0.2.1:5070;transport=tcp' }));
    const [a, b] = t.sent();
    expect(a.via[0]).toMatchObject({ transport: 'UDP', host: '127.0.0.1', port: 5060 });
    expect(b.via[0]).toMatchObject({ transport: 'TCP', host: '[::1]', port: 5062 });
    expect(a.via[0].raw).toMatch(/;rport$/);
    expect(a.via[0].branch).toMatch(/^z9hG4bK-tst-/);
    expect(b.via[0].branch).not.toBe(a.via[0].branch);
    expect(t.transport.requests.map((r) => r.destination)).toEqual([
      { protocol: 'udp', address: '192.0.2.1', port: 5070 },
      { protocol: 'tcp', address: '192.0.2.1', port: 5070 },
    ]);
    expect(udp).toMatchObject({ kind: 'response', cseq: 7, destination: { protocol: 'udp', address: '192.0.2.1', port: 5070 } });
    expect(udp.answered).toBeUndefined();
    expect(tcp.kind).toBe('response');
  });

  it('localViaSentBy: a forced socket, else the first of the protocol, else the first endpoint', () => {
    const forced: Endpoint = { protocol: 'udp', address: '10.0.0.1', port: 5090 };
    expect(localViaSentBy([UDP, TCP], 'tcp')).toBe(TCP);
    expect(localViaSentBy([UDP, TCP], 'tls')).toBe(UDP);
    expect(localViaSentBy([UDP, TCP], 'tcp', forced)).toBe(forced);
    expect(localViaSentBy([], 'udp')).toBeUndefined();
  });

  it('a forced local socket is the sent-by and the socket asked of the transport; sentBy overrides the Via only', async () => {
    const t = setup(ok);
    const local: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5090 };
    await t.send(parts(), { local });
    await t.send(parts(), { sentBy: { host: '203.0.113.5', port: 5999 } });
    expect(t.transport.requests[0].local).toEqual(local);
    expect(t.sent()[0].via[0]).toMatchObject({ host: '127.0.0.1', port: 5090 });
    expect(t.transport.requests[1].local).toBeUndefined();
    expect(t.sent()[1].via[0]).toMatchObject({ host: '203.0.113.5', port: 5999 });
  });

  it('sends to the first Route (loose routing, RFC 3261 §16.12) with the Request-URI untouched, or to an explicit destination', async () => {
    const t = setup(ok);
    const routes = ['<sip:registrar.example;transport=tcp;lr>', '<sip:192.0.2.9;lr>'];
    await t.send(parts({ routes }));
    const explicit: Endpoint = { protocol: 'udp', address: '192.0.2.50', port: 5080 };
    const result = await t.send(parts({ routes }), { destination: explicit });
    const [routed] = t.sent();
    expect(routed.uri).toBe('sip:192.0.2.1:5070');
    expect(routed.headerAll('route')).toEqual(routes);
    expect(t.transport.requests[0].destination).toEqual({ protocol: 'tcp', address: '192.0.2.7', port: 5060 });
    expect(routed.via[0].transport).toBe('TCP');
    expect(t.transport.requests[1].destination).toBe(explicit);
    expect(result.destination).toBe(explicit);
  });

  it('401 then 200: answers once with Authorization, CSeq + 1, a new branch, nc 1; reports the CSeq and the challenge', async () => {
    const t = setup((r) => (r.header('authorization') === undefined ? challenge(r, 401) : ok(r)));
    const result = await t.send(parts(), { credentials: alice });
    const [first, second] = t.sent();
    expect(result).toMatchObject({ kind: 'response', cseq: 8 });
    expect(result.kind === 'response' && result.response.status).toBe(200);
    expect(result.answered).toMatchObject({ proxy: false, nc: 1, challenge: { realm: 'example.com', nonce: 'n1' } });
    expect(second.cseq.seq).toBe(8);
    expect(second.callId).toBe(first.callId);
    expect(second.via[0].branch).not.toBe(first.via[0].branch);
    const auth = second.header('authorization')!;
    const ha2 = md5('REGISTER:sip:192.0.2.1:5070');
    expect(param(auth, 'nc')).toBe('00000001');
    expect(param(auth, 'response')).toBe(md5(`${md5('alice:example.com:secret')}:n1:00000001:${param(auth, 'cnonce')}:auth:${ha2}`));
    expect(second.header('proxy-authorization')).toBeUndefined();
  });

  it('407 then 200: answers with Proxy-Authorization (RFC 3261 §22.3), the credentials chosen by realm', async () => {
    const realms: string[] = [];
    const t = setup((r) => (r.header('proxy-authorization') === undefined ? challenge(r, 407) : ok(r)));
    const result = await t.send(parts(), { credentials: (realm) => (realms.push(realm), alice) });
    expect(realms).toEqual(['proxy.example']);
    expect(result).toMatchObject({ kind: 'response', cseq: 8, answered: { proxy: true } });
    const second = t.sent()[1];
    expect(second.header('proxy-authorization')).toMatch(/^Digest username="alice", realm="proxy.example", nonce="n1"/);
    expect(second.header('authorization')).toBeUndefined();
  });

  it('401 twice: the second challenge is the final outcome, no third request; credentials sent before are replaced', async () => {
    const t = setup((r) => challenge(r, 401, `n${t.transport.requests.length}`));
    const result = await t.send(parts({ headers: [['Authorization', 'Digest username="alice", nonce="old"'], ['User-Agent', 'ua']] }), { credentials: alice });
    expect(t.sent()).toHaveLength(2);
    expect(result.kind === 'response' && result.response.status).toBe(401);
    expect(result.cseq).toBe(8);
    expect(result.answered?.challenge.nonce).toBe('n1');
    const second = t.sent()[1];
    expect(second.headerAll('authorization')).toHaveLength(1);
    expect(param(second.header('authorization')!, 'nonce')).toBe('n1');
    expect(second.header('user-agent')).toBe('ua');
  });

  it('a challenge is final without credentials, without an answerable challenge, or when beforeRetry says no', async () => {
    const t = setup((r) => challenge(r, 401));
    const none = await t.send();
    const unknownRealm = await t.send(parts(), { credentials: () => undefined });
    const cseqs: number[] = [];
    const refused = await t.send(parts(), { credentials: alice, beforeRetry: (response, cseq) => (cseqs.push(response.status, cseq), false) });
    expect(t.sent()).toHaveLength(3);
    for (const r of [none, unknownRealm, refused]) {
      expect(r).toMatchObject({ kind: 'response', cseq: 7 });
      expect(r.answered).toBeUndefined();
    }
    expect(cseqs).toEqual([401, 8]);
    const basic = setup((r) => buildResponseText(r, 401, 'Unauthorized', [['WWW-Authenticate', 'Basic realm="x"']]));
    expect(await basic.send(parts(), { credentials: alice })).toMatchObject({ kind: 'response', cseq: 7 });
    expect(basic.sent()).toHaveLength(1);
  });

  it('an unresolvable destination settles as a transport error; nothing is sent', async () => {
    const t = setup(ok);
    const result = await t.send(parts({ requestUri: 'sip:nowhere.example' }));
    expect(result.kind).toBe('transport-error');
    expect(result.kind === 'transport-error' && result.error.message).toMatch(/ENOTFOUND nowhere\.example/);
    expect(result.cseq).toBe(7);
    expect(result.destination).toBeUndefined();
    expect(await t.send(parts({ requestUri: 'tel:+15551234' }))).toMatchObject({ kind: 'transport-error' });
    expect(t.sent()).toHaveLength(0);
  });

  it('a transport error, thrown or reported, and a timeout settle as outcomes; the retry of a challenge too', async () => {
    const failing = new FakeTransport({ endpoints: [UDP] });
    failing.request = async () => {
      throw new Error('EHOSTUNREACH');
    };
    const thrown = await sendRequest({ transport: failing, resolver, branches: new BranchIds() }, parts(), 'tst');
    expect(thrown.kind === 'transport-error' && thrown.error.message).toBe('EHOSTUNREACH');
    const t = setup((r) => (r.header('authorization') === undefined ? challenge(r, 401) : new Error('ECONNREFUSED')));
    const retried = await t.send(parts(), { credentials: alice });
    expect(retried).toMatchObject({ kind: 'transport-error', cseq: 8, answered: { nc: 1 } });
    const timeout = setup(() => 'timeout');
    expect(await timeout.send()).toMatchObject({ kind: 'timeout', cseq: 7 });
  });
});
