import type { SipResponse } from '../../src/sip/message';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { createNodeTransport, type NodeTransport } from '../../src/transports/node-transport';
import { tcpServer, udpPeer, waitUntil } from '../transports/net-peers';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

const ids = new IdSequence('timer-k');
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function transport(clock: ManualClock): Promise<{ t: NodeTransport; relayed: SipResponse[] }> {
  const t = await createNodeTransport({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], clock });
  open.push(t);
  const relayed: SipResponse[] = [];
  t.onResponse((response) => {
    relayed.push(response);
  });
  return { t, relayed };
}

describe('Timer K over the wire (RFC 3261 §17.1.2.2)', () => {
  it('UDP: a retransmitted final response of our own request is absorbed for T4, not handed to onResponse', async () => {
    const clock = new ManualClock(0);
    const { t, relayed } = await transport(clock);
    const uas = await udpPeer();
    open.push(uas);
    const request = buildRequest('REGISTER', { ids });
    const outcome = t.request(encode(request), { protocol: 'udp', address: '127.0.0.1', port: uas.port });
    await uas.nth(1);
    const udpPort = t.endpoints()[0].port;
    const ok = buildResponseText(request, 200, 'OK');
    await uas.send(ok, udpPort);
    expect(await outcome).toMatchObject({ kind: 'response', response: { status: 200 } });
    // The copy is sent after the first was seen: it can only be relayed or absorbed.
    await uas.send(ok, udpPort);
    clock.advance(4999);
    await uas.send(ok, udpPort);
    // A stray response (another branch) still goes to onResponse, and it arrives after both copies.
    await uas.send(ok.replace(/branch=[^\r;]*/, 'branch=z9hG4bK-stray'), udpPort);
    await waitUntil(() => relayed.some((r) => r.via[0].branch === 'z9hG4bK-stray'), 'the stray response');
    expect(relayed.map((r) => r.via[0].branch)).toEqual(['z9hG4bK-stray']);
    // T4 later the transaction is gone: a further copy matches nothing and goes to onResponse.
    clock.advance(1);
    await uas.send(ok, udpPort);
    await waitUntil(() => relayed.length === 2, 'the copy after Timer K');
    expect(relayed[1].via[0].branch).not.toBe('z9hG4bK-stray');
  });

  it('TCP: Timer K is 0, a later copy of the final response matches no transaction', async () => {
    const clock = new ManualClock(0);
    const { t, relayed } = await transport(clock);
    const server = await tcpServer();
    open.push(server);
    const request = buildRequest('REGISTER', { via: { transport: 'TCP' }, ids });
    const outcome = t.request(encode(request), { protocol: 'tcp', address: '127.0.0.1', port: server.port });
    await waitUntil(() => server.peers.length === 1, 'the connection');
    await server.peers[0].waitFor('REGISTER sip:');
    const ok = buildResponseText(request, 200, 'OK');
    await server.peers[0].write(ok);
    expect(await outcome).toMatchObject({ kind: 'response', response: { status: 200 } });
    await server.peers[0].write(ok);
    await waitUntil(() => relayed.length === 1, 'the copy');
  });
});
