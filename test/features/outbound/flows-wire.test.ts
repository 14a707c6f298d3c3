/**
 * Connections are flows on the wire (RFC 5626 §5.3, RFC 7118 §5): a client with a `.invalid`
 * Contact registers over a real TCP connection to a registrar server on the node transport (TCP
 * standing in for TLS and WebSocket), receives over that connection a MESSAGE a UDP client sends
 * to its AOR, and its binding goes when the connection closes.
 */
import { createRegistrar } from '../../../src/registrar/registrar';
import { createRegistrarServer } from '../../../src/server/registrar-server';
import { ManualClock } from '../../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../../src/testing/message-builders';
import { createNodeTransport, type NodeTransport } from '../../../src/transports/node';
import { parseSip } from '../../helpers/parse-sip';
import type { SipResponse } from '../../../src/sip/message';
import { tcpPeer, udpPeer, waitUntil, type TcpPeer, type UdpPeer } from '../../transports/net-peers';

const CONTACT = 'sip:k3j9@df7jal23ls0d.invalid;transport=tcp';

describe('a .invalid Contact over a TCP connection', () => {
  let transport: NodeTransport;
  let registrar: ReturnType<typeof createRegistrar>;
  let phone: TcpPeer;
  let caller: UdpPeer;
  const ids = new IdSequence('fw');
  const port = (protocol: string) => transport.endpoints().find((e) => e.protocol === protocol)?.port ?? 0;

  beforeAll(async () => {
    transport = await createNodeTransport({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'] });
    // receivedMode 'nat', as the CLI runs: the flow's far end is the stored source address.
    registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0, receivedMode: 'nat' });
    createRegistrarServer({ registrar, transport });
    phone = await tcpPeer(port('tcp'));
    caller = await udpPeer();
  });
  afterAll(async () => {
    phone.close();
    await caller.close();
    await transport.close();
    await registrar.close();
  });

  it('registers with received and rport stamped in the Via over the stream (RFC 3261 §18.2.1, RFC 3581)', async () => {
    await phone.write(buildRegister({ aor: 'sip:alice@example.com', contacts: [CONTACT], via: { transport: 'TCP', host: 'df7jal23ls0d.invalid', rport: true }, ids }));
    await phone.waitFor('SIP/2.0 200 OK');
    const ok = parseSip(phone.text()) as SipResponse;
    expect([ok.via[0].received, ok.via[0].rport]).toEqual(['127.0.0.1', phone.socket.localPort]);
    const [binding] = await registrar.bindings('sip:alice@example.com');
    expect(binding.flow).toMatch(/./);
  });

  it('gets a MESSAGE from a UDP caller over that same connection', async () => {
    await caller.send(buildRequest('MESSAGE', { to: 'sip:alice@example.com', body: 'over the flow', via: { host: '127.0.0.1', port: caller.port }, ids }), port('udp'));
    await phone.waitFor('over the flow');
    expect(phone.text()).toContain(`MESSAGE ${CONTACT} SIP/2.0`);
  });

  it('loses the binding when the connection closes (the flow ended), so the next MESSAGE is not found', async () => {
    phone.close();
    await waitUntil(() => phone.closed(), 'the close');
    for (let i = 0; i < 400 && (await registrar.bindings('sip:alice@example.com')).length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await registrar.bindings('sip:alice@example.com')).toEqual([]);
    await caller.send(buildRequest('MESSAGE', { to: 'sip:alice@example.com', via: { host: '127.0.0.1', port: caller.port }, ids }), port('udp'));
    const answer = parseSip(await caller.nth(1)) as SipResponse;
    expect(answer.status).toBe(404);
  });
});
