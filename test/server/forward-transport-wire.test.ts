import type { SipRequest, SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { sendForward } from '../../src/server/forward-transport';
import { buildRequest } from '../../src/testing/message-builders';
import { createNodeTransport, type NodeTransport } from '../../src/transports/node';
import { startUdpTcpCallee, type UdpTcpCallee } from '../helpers/udp-tcp-callee';
import { recordingLogger, waitUntil } from '../transports/net-peers';

/** A MESSAGE with a body of `size` bytes, as a caller at 127.0.0.1:5070 sent it. */
function message(size: number): SipRequest {
  const parsed = parseSipMessage(buildRequest('MESSAGE', { to: 'sip:bob@example.com', body: 'x'.repeat(size) }));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('bad fixture');
  return parsed.message;
}

describe('sendForward over the node transport (RFC 3261 §18.1.1)', () => {
  let proxy: NodeTransport;
  let callee: UdpTcpCallee | undefined;
  const responses: SipResponse[] = [];
  const logger = recordingLogger();

  beforeAll(async () => {
    proxy = await createNodeTransport({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'] });
    proxy.onResponse((response) => responses.push(response));
  });
  afterEach(async () => {
    await callee?.close();
    callee = undefined;
  });
  afterAll(() => proxy.close());

  const forward = (request: SipRequest, uri: string) => sendForward({ transport: proxy, logger }, request, { uri });
  const tcpPort = () => proxy.endpoints().find((e) => e.protocol === 'tcp')?.port;

  it('sends a request beyond a UDP datagram to a UA registered without transport over TCP, and its 200 comes back on that connection', async () => {
    callee = await startUdpTcpCallee();
    const request = message(70_000);
    expect(await forward(request, `sip:bob@127.0.0.1:${callee.port}`)).toEqual({ kind: 'sent', destination: { protocol: 'tcp', address: '127.0.0.1', port: callee.port } });
    const got = await callee.nth(1);
    expect([got.protocol, got.bytes > 65_507, got.request.via[0].transport, got.request.via[0].port]).toEqual(['tcp', true, 'TCP', tcpPort()]);
    expect(got.request.body.length).toBe(70_000);
    await waitUntil(() => responses.some((r) => r.callId === request.callId), 'the 200 relayed back');
  });

  it('sends a request of 1300 to 65,507 bytes over TCP, and a smaller one over UDP', async () => {
    callee = await startUdpTcpCallee();
    await forward(message(2_000), `sip:bob@127.0.0.1:${callee.port}`);
    await forward(message(100), `sip:bob@127.0.0.1:${callee.port}`);
    await callee.nth(2);
    expect(callee.received.map((r) => `${r.request.body.length} ${r.protocol} ${r.request.via[0].transport}`).sort()).toEqual(['100 udp UDP', '2000 tcp TCP']);
  });

  it('falls back to UDP when the UA takes no TCP connection and the request fits a datagram; beyond one it is too large and nothing is sent', async () => {
    callee = await startUdpTcpCallee({ tcp: false });
    const uri = `sip:bob@127.0.0.1:${callee.port}`;
    expect(await forward(message(70_000), uri)).toMatchObject({ kind: 'too-large', destination: { protocol: 'udp', port: callee.port } });
    expect(await forward(message(2_000), uri)).toMatchObject({ kind: 'sent', destination: { protocol: 'udp', port: callee.port } });
    const got = await callee.nth(1);
    expect([got.protocol, got.request.body.length, got.request.via[0].transport]).toEqual(['udp', 2_000, 'UDP']);
    expect(callee.received).toHaveLength(1);
  });

  it('does not open TCP to a UA that asked for transport=udp: too large beyond a datagram, UDP below', async () => {
    callee = await startUdpTcpCallee();
    const uri = `sip:bob@127.0.0.1:${callee.port};transport=udp`;
    expect(await forward(message(70_000), uri)).toMatchObject({ kind: 'too-large' });
    expect(await forward(message(2_000), uri)).toMatchObject({ kind: 'sent', destination: { protocol: 'udp' } });
    expect((await callee.nth(1)).protocol).toBe('udp');
    expect(callee.received).toHaveLength(1);
  });
});
