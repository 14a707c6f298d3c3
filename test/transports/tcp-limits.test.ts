/**
 * Bounded TCP (issue 23): a message must be complete within a deadline from its first byte (OpenSIPS
 * `tcp_max_msg_time`), accepted connections are capped globally (Kamailio `tcp_max_connections`)
 * and per source address, and an oversized message is answered 513 (RFC 3261 §21.5.7) before the
 * connection closes. Real sockets on 127.0.0.1; time moves only through a ManualClock.
 */
import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../src/testing/message-builders';
import { createNodeTransport, type NodeTransport, type NodeTransportOptions } from '../../src/transports/node-transport';
import { answer, recordingLogger, registersOverTcp, tcpPeer, waitUntil, type TcpPeer } from './net-peers';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

const ids = new IdSequence('tcp-limits');

async function transport(options: Partial<NodeTransportOptions> = {}): Promise<{ t: NodeTransport; port: number; requests: SipRequest[]; closedFlows: string[] }> {
  const t = await createNodeTransport({ listen: ['tcp:127.0.0.1:0'], ...options });
  open.push(t);
  const requests: SipRequest[] = [];
  const closedFlows: string[] = [];
  t.onRequest((request, source) => {
    requests.push(request);
    void t.sendResponse(answer(request), request, source);
  });
  t.onFlowClosed((id) => closedFlows.push(id));
  return { t, port: t.endpoints()[0].port, requests, closedFlows };
}

/** A TCP client to 127.0.0.1:`port` leaving from `localAddress`, closed after the test. */
async function peerFrom(port: number, localAddress = '127.0.0.1', allowHalfOpen = false): Promise<TcpPeer> {
  const peer = await tcpPeer(port, localAddress, allowHalfOpen);
  open.push(peer);
  return peer;
}

const registers = (peer: TcpPeer): Promise<void> => registersOverTcp(peer, ids);

describe('TCP message deadline (slowloris)', () => {
  it('closes a connection whose message is not complete within tcpMessageTimeoutMs of its first byte, though bytes keep coming', async () => {
    const clock = new ManualClock(1_000_000);
    const { port, requests } = await transport({ clock, tcpMessageTimeoutMs: 1000, tcpIdleTimeoutMs: 60_000 });
    const base = clock.pending();
    const phone = await peerFrom(port);
    await waitUntil(() => clock.pending() === base + 1, 'the idle timer of the accepted connection');

    // A message completed within the deadline is served, and the deadline ends with it.
    const first = buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP' }, ids });
    await phone.write(first.slice(0, 20));
    await waitUntil(() => clock.pending() === base + 2, 'the message deadline to be armed by the first byte');
    clock.advance(600);
    await phone.write(first.slice(20));
    await phone.waitFor('SIP/2.0 200 OK');
    await waitUntil(() => clock.pending() === base + 1, 'the deadline to end with the complete message');

    // The next message gets its own deadline from its first byte; later bytes do not restart it.
    const second = buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP' }, ids });
    await phone.write(second.slice(0, 1));
    await waitUntil(() => clock.pending() === base + 2, 'the deadline of the second message');
    clock.advance(600);
    await phone.write(second.slice(1, 2));
    clock.advance(399);
    expect(clock.pending()).toBe(base + 2);
    clock.advance(1);
    await waitUntil(phone.closed, 'the slow connection to close at the deadline');
    expect(requests).toHaveLength(1);
  });

  it('rejects a tcpMessageTimeoutMs that is not a positive integer', async () => {
    await expect(createNodeTransport({ listen: ['tcp:127.0.0.1:0'], tcpMessageTimeoutMs: 0 })).rejects.toThrow('tcpMessageTimeoutMs must be a positive integer');
  });
});

describe('TCP connection caps', () => {
  it('closes an accepted connection over tcpMaxConnectionsPerIp at once; the earlier ones and other addresses keep working', async () => {
    const logger = recordingLogger();
    const { port, closedFlows } = await transport({ tcpMaxConnectionsPerIp: 2, logger });
    const a = await peerFrom(port);
    const b = await peerFrom(port);
    await registers(a);
    await registers(b);
    const extra = await peerFrom(port);
    await waitUntil(extra.closed, 'the connection over the per-address cap to close');
    const other = await peerFrom(port, '127.0.0.2');
    await registers(other);
    await registers(a);
    expect(logger.entries).toContainEqual({ level: 'debug', obj: expect.objectContaining({ remote: '127.0.0.1', limit: 'tcpMaxConnectionsPerIp', refused: 1 }), msg: 'tcp connection refused' });

    // Closing one frees its slot for the same address.
    a.close();
    await waitUntil(() => closedFlows.length === 1, 'the server to see the close');
    await registers(await peerFrom(port));
  });

  it('closes an accepted connection over tcpMaxConnections at once, whatever its address; the earlier ones keep working', async () => {
    const logger = recordingLogger();
    const { port } = await transport({ tcpMaxConnections: 2, logger });
    const a = await peerFrom(port, '127.0.0.1');
    const b = await peerFrom(port, '127.0.0.2');
    await registers(a);
    await registers(b);
    const extra = await peerFrom(port, '127.0.0.3');
    await waitUntil(extra.closed, 'the connection over the global cap to close');
    await registers(a);
    await registers(b);
    expect(logger.entries).toContainEqual({ level: 'debug', obj: expect.objectContaining({ remote: '127.0.0.3', limit: 'tcpMaxConnections', refused: 1 }), msg: 'tcp connection refused' });
  });

  it('rejects caps that are not positive integers', async () => {
    await expect(createNodeTransport({ listen: ['tcp:127.0.0.1:0'], tcpMaxConnections: -1 })).rejects.toThrow('tcpMaxConnections must be a positive integer');
    await expect(createNodeTransport({ listen: ['tcp:127.0.0.1:0'], tcpMaxConnectionsPerIp: 1.5 })).rejects.toThrow('tcpMaxConnectionsPerIp must be a positive integer');
  });
});

describe('oversized TCP message', () => {
  it('answers 513 Message Too Large (RFC 3261 §21.5.7) built from the head, then closes without reading on', async () => {
    const { port, requests, closedFlows } = await transport({ maxMessageBytes: 1000 });
    const phone = await peerFrom(port);
    const oversized = buildRequest('MESSAGE', { via: { transport: 'TCP' }, ids }).replace('Content-Length: 0', 'Content-Length: 5000');
    const next = buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP' }, ids });
    await phone.write(oversized + next);
    await waitUntil(phone.closed, 'the connection to close');
    const parsed = parseSipMessage(phone.text());
    if (!parsed.ok || parsed.message.kind !== 'response') throw new Error(`not a response: ${phone.text()}`);
    expect([parsed.message.status, parsed.message.reason]).toEqual([513, 'Message Too Large']);
    expect(parsed.message.callId).toBe(/Call-ID: (\S+)/.exec(oversized)?.[1]);
    expect(requests).toHaveLength(0);
    await waitUntil(() => closedFlows.length === 1, 'the server side to close');
  });

  it('cuts off a peer that keeps its side open after the 513, tcpMessageTimeoutMs later', async () => {
    const clock = new ManualClock(0);
    const { port, closedFlows } = await transport({ maxMessageBytes: 1000, clock, tcpMessageTimeoutMs: 1000 });
    const base = clock.pending();
    const phone = await peerFrom(port, '127.0.0.1', true);
    await phone.write(buildRequest('MESSAGE', { via: { transport: 'TCP' }, ids }).replace('Content-Length: 0', 'Content-Length: 5000'));
    await phone.waitFor('SIP/2.0 513 Message Too Large');
    await waitUntil(() => clock.pending() === base + 2, 'the idle timer and the farewell deadline');
    expect(closedFlows).toHaveLength(0);
    clock.advance(1000);
    await waitUntil(() => closedFlows.length === 1, 'the half-open connection to be cut off');
  });

  it('closes without an answer when the head itself exceeds maxMessageBytes', async () => {
    const { port, requests } = await transport({ maxMessageBytes: 1000 });
    const phone = await peerFrom(port);
    await phone.write(`OPTIONS sip:a@example.com SIP/2.0\r\nX-Pad: ${'a'.repeat(2000)}\r\n`);
    await waitUntil(phone.closed, 'the connection to close');
    expect([phone.text(), requests.length]).toEqual(['', 0]);
  });
});
