import type { TransactionOutcome } from '../../src/ports/transport';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { createNodeTransport, type NodeTransport, type NodeTransportOptions } from '../../src/transports/node-transport';
import { tcpPeer, tcpServer, udpPeer, waitUntil } from './net-peers';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

const ids = new IdSequence('timers');
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function transport(clock: ManualClock, options: Partial<NodeTransportOptions> = {}): Promise<NodeTransport> {
  const created = await createNodeTransport({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], clock, ...options });
  open.push(created);
  return created;
}

/** Track a promise's outcome without awaiting it. */
function track(promise: Promise<TransactionOutcome>): { outcome?: TransactionOutcome } {
  const state: { outcome?: TransactionOutcome } = {};
  void promise.then((outcome) => {
    state.outcome = outcome;
  });
  return state;
}

/** Let pending socket I/O and promise callbacks run (bounded, no timing assertion). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('client transactions (RFC 3261 §17.1.2)', () => {
  it('UDP: retransmits on Timer E (T1 doubling to T2) and times out on Timer F', async () => {
    const clock = new ManualClock(1_000_000);
    const t = await transport(clock);
    const uas = await udpPeer();
    open.push(uas);
    const request = buildRequest('OPTIONS', { requestUri: `sip:127.0.0.1:${uas.port}`, ids });
    const state = track(t.request(encode(request), { protocol: 'udp', address: '127.0.0.1', port: uas.port }));
    expect(await uas.nth(1)).toBe(request);
    // Timer E fires at 500, 1500, 3500, 7500, then every 4000 ms (T2) up to Timer F at 32000.
    const fireAt = [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500];
    let now = 0;
    for (const [index, at] of fireAt.entries()) {
      clock.advance(at - 1 - now);
      await settle();
      expect(uas.received).toHaveLength(index + 1);
      clock.advance(1);
      now = at;
      expect(await uas.nth(index + 2)).toBe(request);
    }
    expect(state.outcome).toBeUndefined();
    clock.advance(32000 - now);
    await waitUntil(() => state.outcome !== undefined, 'Timer F');
    expect(state.outcome).toEqual({ kind: 'timeout' });
    clock.advance(10_000);
    await settle();
    expect(uas.received).toHaveLength(11);
  });

  it('UDP: a provisional response slows retransmissions to T2; the final response settles', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock);
    const uas = await udpPeer();
    open.push(uas);
    const request = buildRequest('MESSAGE', { body: 'hi', ids });
    const state = track(t.request(encode(request), { protocol: 'udp', address: '127.0.0.1', port: uas.port }));
    await uas.nth(1);
    const udpPort = t.endpoints()[0].port;
    await uas.send(buildResponseText(request, 100, 'Trying'), udpPort);
    await settle();
    clock.advance(500);
    await uas.nth(2);
    clock.advance(3999);
    await settle();
    expect(uas.received).toHaveLength(2);
    clock.advance(1);
    await uas.nth(3);
    await uas.send(buildResponseText(request, 202, 'Accepted'), udpPort);
    await waitUntil(() => state.outcome !== undefined, 'the final response');
    expect(state.outcome).toMatchObject({ kind: 'response', response: { status: 202, reason: 'Accepted' } });
    clock.advance(60_000);
    await settle();
    expect(uas.received).toHaveLength(3);
  });

  it('matches responses on branch and CSeq method, ignoring others', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock);
    const uas = await udpPeer();
    open.push(uas);
    const request = buildRequest('OPTIONS', { via: { branch: 'z9hG4bK-match' }, ids });
    const state = track(t.request(encode(request), { protocol: 'udp', address: '127.0.0.1', port: uas.port }));
    await uas.nth(1);
    const udpPort = t.endpoints()[0].port;
    const ok = buildResponseText(request, 200, 'OK');
    await uas.send(ok.replace('z9hG4bK-match', 'z9hG4bK-other'), udpPort);
    await uas.send(ok.replace('OPTIONS', 'INFO'), udpPort);
    await settle();
    expect(state.outcome).toBeUndefined();
    await uas.send(ok, udpPort);
    await waitUntil(() => state.outcome !== undefined, 'the matching response');
    expect(state.outcome).toMatchObject({ kind: 'response', response: { status: 200 } });
  });

  it('TCP: sends once, never retransmits, Timer F times out; a response on the connection settles', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock);
    const server = await tcpServer();
    open.push(server);
    const destination = { protocol: 'tcp', address: '127.0.0.1', port: server.port } as const;
    const first = buildRequest('OPTIONS', { via: { transport: 'TCP' }, ids });
    const timedOut = track(t.request(encode(first), destination));
    await waitUntil(() => server.peers.length === 1, 'the connection');
    await server.peers[0].waitFor('OPTIONS sip:');
    clock.advance(31_999);
    await settle();
    expect(timedOut.outcome).toBeUndefined();
    clock.advance(1);
    await waitUntil(() => timedOut.outcome !== undefined, 'Timer F');
    expect(timedOut.outcome).toEqual({ kind: 'timeout' });
    expect(server.peers[0].text()).toBe(first);

    const second = buildRequest('OPTIONS', { via: { transport: 'TCP' }, ids });
    const answered = track(t.request(encode(second), destination));
    await server.peers[0].waitFor('OPTIONS sip:', 2);
    await server.peers[0].write(buildResponseText(second, 200, 'OK'));
    await waitUntil(() => answered.outcome !== undefined, 'the response');
    expect(answered.outcome).toMatchObject({ kind: 'response', response: { status: 200 } });
    expect(server.peers).toHaveLength(1);
  });

  it('TCP: the loss of the connection ends the transaction with a transport error', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock);
    const server = await tcpServer();
    open.push(server);
    const state = track(t.request(encode(buildRequest('OPTIONS', { ids })), { protocol: 'tcp', address: '127.0.0.1', port: server.port }));
    await waitUntil(() => server.peers.length === 1, 'the connection');
    server.peers[0].close();
    await waitUntil(() => state.outcome !== undefined, 'the transport error');
    expect(state.outcome?.kind).toBe('transport-error');
  });

  it('reports a refused TCP connection as a transport-error outcome, and close() ends pending transactions', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock);
    const server = await tcpServer();
    const port = server.port;
    await server.close();
    const refused = await t.request(encode(buildRequest('OPTIONS', { ids })), { protocol: 'tcp', address: '127.0.0.1', port });
    expect(refused).toMatchObject({ kind: 'transport-error', error: { code: 'ERR_SIPREG_TRANSPORT' } });
    const uas = await udpPeer();
    open.push(uas);
    const pending = t.request(encode(buildRequest('OPTIONS', { ids })), { protocol: 'udp', address: '127.0.0.1', port: uas.port });
    await t.close();
    expect((await pending).kind).toBe('transport-error');
  });

  it('rejects data that is not a request with a branch (a programmer error)', async () => {
    const t = await transport(new ManualClock(0));
    const destination = { protocol: 'udp', address: '127.0.0.1', port: 9 } as const;
    await expect(t.request(encode('garbage'), destination)).rejects.toThrow('not a SIP request');
    const noBranch = buildRequest('OPTIONS', { ids }).replace(/;branch=[^\r]*/, '');
    await expect(t.request(encode(noBranch), destination)).rejects.toThrow('no branch');
    const request = buildRequest('OPTIONS', { ids });
    void t.request(encode(request), destination);
    await expect(t.request(encode(request), destination)).rejects.toThrow('already in flight');
  });
});

describe('TCP idle timeout and keepConnection (tcp_persistent_flag)', () => {
  it('closes an idle connection after tcpIdleTimeoutMs unless kept until a later time', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock, { tcpIdleTimeoutMs: 10_000 });
    const sources: Parameters<NodeTransport['keepConnection']>[0][] = [];
    t.onRequest((_request, source) => sources.push(source));
    const tcpPort = t.endpoints()[1].port;

    const idle = await tcpPeer(tcpPort);
    const kept = await tcpPeer(tcpPort);
    open.push(idle, kept);
    await kept.write(buildRequest('OPTIONS', { via: { transport: 'TCP' }, ids }));
    await waitUntil(() => sources.length === 1, 'the request');
    t.keepConnection(sources[0], clock.now() + 60_000);

    clock.advance(10_000);
    await waitUntil(idle.closed, 'the idle connection to close');
    clock.advance(49_999);
    await settle();
    expect(kept.closed()).toBe(false);
    clock.advance(1);
    await waitUntil(kept.closed, 'the kept connection to close at its deadline');
  });

  it('traffic postpones the idle close', async () => {
    const clock = new ManualClock(0);
    const t = await transport(clock, { tcpIdleTimeoutMs: 10_000 });
    let requests = 0;
    t.onRequest(() => requests++);
    const peer = await tcpPeer(t.endpoints()[1].port);
    open.push(peer);
    clock.advance(6_000);
    await peer.write(buildRequest('OPTIONS', { via: { transport: 'TCP' }, ids }));
    await waitUntil(() => requests === 1, 'the request');
    clock.advance(6_000);
    await settle();
    expect(peer.closed()).toBe(false);
    clock.advance(4_000);
    await waitUntil(peer.closed, 'the idle close');
  });
});

describe('IPv6', () => {
  it('serves udp:[::1] and tcp:[::1] when the host has IPv6 loopback', async () => {
    let t: NodeTransport;
    try {
      t = await createNodeTransport({ listen: ['udp:[::1]:0', 'tcp:[::1]:0'] });
    } catch {
      return; // no IPv6 loopback in this environment
    }
    open.push(t);
    expect(t.endpoints().map((e) => e.address)).toEqual(['::1', '::1']);
    const received: string[] = [];
    t.onRequest((request, source) => {
      received.push(`${source.protocol}:${source.address}:${request.via[0].host}`);
      void t.sendResponse(encode(buildResponseText(request, 200, 'OK')), request, source);
    });
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp6');
    open.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
    const replies: string[] = [];
    socket.on('message', (bytes) => replies.push(bytes.toString()));
    await new Promise<void>((resolve) => socket.bind(0, '::1', () => resolve()));
    socket.send(buildRequest('OPTIONS', { via: { host: '::1', port: socket.address().port }, ids }), t.endpoints()[0].port, '::1');
    await waitUntil(() => replies.length === 1, 'the IPv6 reply');
    const reply = parseSipMessage(replies[0]);
    expect(reply.ok && reply.message.kind === 'response' && reply.message.status).toBe(200);
    expect(received).toEqual(['udp:::1:[::1]']);
  });
});
