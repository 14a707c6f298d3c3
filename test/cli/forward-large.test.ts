import type { ManagedProcess } from '../helpers/spawn-managed';
import { freeUdpTcpPort } from '../helpers/free-udp-tcp-port';
import { startCliCommand } from '../helpers/start-sipreg';
import { startUdpTcpCallee, type UdpTcpCallee } from '../helpers/udp-tcp-callee';
import { tcpPeer, udpPeer, waitUntil } from '../transports/net-peers';

/** A caller's MESSAGE to `user`, with a `bodyBytes` body, from `transport` 127.0.0.1:`port`. */
function bigMessage(user: string, bodyBytes: number, transport: 'UDP' | 'TCP', port: number): string {
  return [
    `MESSAGE sip:${user}@example.com SIP/2.0`, `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK-big-${user}-${bodyBytes};rport`,
    'Max-Forwards: 70', `From: <sip:alice@example.com>;tag=big`, `To: <sip:${user}@example.com>`, `Call-ID: big-${user}-${bodyBytes}`,
    'CSeq: 1 MESSAGE', 'Content-Type: text/plain', `Content-Length: ${bodyBytes}`, '', 'x'.repeat(bodyBytes),
  ].join('\r\n');
}

function register(user: string, port: number, contactParams = ''): string {
  return [
    'REGISTER sip:example.com SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-reg-${user};rport`, 'Max-Forwards: 70',
    `From: <sip:${user}@example.com>;tag=r`, `To: <sip:${user}@example.com>`, `Call-ID: reg-${user}`, 'CSeq: 1 REGISTER',
    `Contact: <sip:${user}@127.0.0.1:${port}${contactParams}>`, 'Content-Length: 0', '', '',
  ].join('\r\n');
}

/**
 * RFC 3261 §18.1.1 on the wire: the CLI registrar forwards a request too large for UDP to a UA
 * registered over UDP over TCP instead, and answers 513 when the UA asked for UDP only, where it
 * used to log EMSGSIZE and answer 503.
 */
describe('sipreg registrar: forwarding a request larger than a UDP datagram', () => {
  let server: ManagedProcess;
  let port: number;
  const callees: UdpTcpCallee[] = [];

  beforeAll(async () => {
    port = await freeUdpTcpPort();
    server = await startCliCommand('registrar', `udp:127.0.0.1:${port}`, [
      '--listen', `tcp:127.0.0.1:${port}`, '--store', 'memory', '--max-message-bytes', '100000', '--log-level', 'warn',
    ]);
  });
  afterAll(async () => {
    await Promise.all(callees.map((c) => c.close()));
    await server.stop();
  });

  async function registered(user: string, options: { readonly tcp?: boolean; readonly contactParams?: string } = {}): Promise<UdpTcpCallee> {
    const callee = await startUdpTcpCallee({ tcp: options.tcp });
    callees.push(callee);
    await callee.sendUdp(register(user, callee.port, options.contactParams), port);
    await waitUntil(() => callee.responses.some((r) => r.status === 200), `the 200 to ${user}'s REGISTER`);
    return callee;
  }

  it('sends a 70,000-byte MESSAGE to a UA registered over UDP over TCP, and relays its 200', async () => {
    const callee = await registered('bob');
    const caller = await tcpPeer(port);
    try {
      await caller.write(bigMessage('bob', 70_000, 'TCP', caller.socket.localPort ?? 0));
      await caller.waitFor('SIP/2.0 ');
      expect(caller.text()).toMatch(/^SIP\/2\.0 200 OK/);
      const got = await callee.nth(1);
      expect([got.protocol, got.request.method, got.request.via[0].transport, got.request.body.length]).toEqual(['tcp', 'MESSAGE', 'TCP', 70_000]);
    } finally {
      caller.close();
    }
  });

  it('sends a 2,000-byte MESSAGE from a UDP caller over TCP too (the path MTU is unknown), the 200 going back over UDP', async () => {
    const callee = await registered('carol');
    const caller = await udpPeer();
    try {
      await caller.send(bigMessage('carol', 2_000, 'UDP', caller.port), port);
      expect(await caller.nth(1)).toMatch(/^SIP\/2\.0 200 OK/);
      expect((await callee.nth(1)).protocol).toBe('tcp');
    } finally {
      await caller.close();
    }
  });

  it('answers 513 when the UA registered ;transport=udp, or takes no TCP connection, and sends it nothing', async () => {
    const pinned = await registered('dave', { contactParams: ';transport=udp' });
    const udpOnly = await registered('erin', { tcp: false });
    const caller = await tcpPeer(port);
    try {
      await caller.write(bigMessage('dave', 70_000, 'TCP', caller.socket.localPort ?? 0));
      await caller.write(bigMessage('erin', 70_000, 'TCP', caller.socket.localPort ?? 0));
      await caller.waitFor('SIP/2.0 ', 2);
      expect(caller.text().match(/^SIP\/2\.0 .*$/gm)).toEqual(['SIP/2.0 513 Message Too Large', 'SIP/2.0 513 Message Too Large']);
      expect([pinned.received, udpOnly.received]).toEqual([[], []]);
    } finally {
      caller.close();
    }
  });
});
