import type { Endpoint, Source } from '../../../src/ports/transport';
import { createRegistrar } from '../../../src/registrar/registrar';
import type { RegistrarOptions } from '../../../src/registrar/registrar-options';
import { createRegistrarServer } from '../../../src/server/registrar-server';
import { sendForward } from '../../../src/server/forward-transport';
import type { SipRequest } from '../../../src/sip/message';
import { parseSipMessage } from '../../../src/sip/sip-parser';
import { FakeTransport } from '../../../src/testing/fake-transport';
import { ManualClock } from '../../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../../src/testing/message-builders';
import { hasInvalidHost } from '../../../src/features/outbound/invalid-host';
import { recordingLogger } from '../../transports/net-peers';

const UDP: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const TCP: Endpoint = { protocol: 'tcp', address: '127.0.0.1', port: 5060 };
const WS: Endpoint = { protocol: 'ws', address: '127.0.0.1', port: 8080 };
const WS_CLIENT: Partial<Source> = { protocol: 'ws', address: '198.51.100.4', port: 51000, local: WS, connectionId: 'ws-7' };
const TCP_CLIENT: Partial<Source> = { protocol: 'tcp', address: '198.51.100.5', port: 52000, local: TCP, connectionId: 'tcp-9' };
const settle = () => new Promise((r) => setImmediate(r));

/** A FakeTransport whose connections can close: a send over a closed one rejects, as the node transport's does. */
class FlowTransport extends FakeTransport {
  readonly closedFlows = new Set<string>();
  override async send(data: Uint8Array, destination: Endpoint & { readonly connectionId?: string }): Promise<void> {
    if (destination.connectionId !== undefined && this.closedFlows.has(destination.connectionId)) throw new Error(`connection ${destination.connectionId} closed`);
    return super.send(data, destination);
  }
}

function setup(options: RegistrarOptions = {}) {
  const transport = new FlowTransport({ endpoints: [UDP, TCP, WS] });
  const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0, ...options });
  createRegistrarServer({ registrar, transport });
  return { transport, registrar, ids: new IdSequence('flow') };
}

/** A browser's REGISTER (JsSIP, SIP.js): a `.invalid` Contact host and Via, over WebSocket. */
function wsRegister(ids: IdSequence, contact = 'sip:k3j9@df7jal23ls0d.invalid;transport=ws'): string {
  return buildRegister({ aor: 'sip:alice@example.com', contacts: [contact], via: { transport: 'WS', host: 'df7jal23ls0d.invalid' }, ids });
}

describe('connections are flows (RFC 5626 §5.3, RFC 7118 §5)', () => {
  it('reaches a .invalid Contact registered over WebSocket over that connection, with a Via of the socket it registered through', async () => {
    const { transport, registrar, ids } = setup();
    transport.deliver(wsRegister(ids), WS_CLIENT);
    await settle();
    expect(transport.lastResponse().status).toBe(200);
    const found = await registrar.lookup('sip:alice@example.com');
    expect(found.kind === 'found' && found.ruri?.flow).toBe('ws-7');

    transport.deliver(buildRequest('MESSAGE', { to: 'sip:alice@example.com', body: 'hi', ids }), { address: '192.0.2.9', port: 5070, local: UDP });
    await settle();
    expect(transport.sent).toHaveLength(1);
    const [{ destination, message }] = transport.sent;
    expect(destination).toMatchObject({ protocol: 'ws', connectionId: 'ws-7' });
    const forwarded = message as SipRequest;
    expect([forwarded.uri, forwarded.via[0].transport, forwarded.via[0].port]).toEqual(['sip:k3j9@df7jal23ls0d.invalid;transport=ws', 'WS', 8080]);
  });

  it('reaches an outbound binding (+sip.instance, reg-id) over its TCP connection, not at its Contact', async () => {
    const { transport, ids } = setup();
    const contact = { uri: 'sip:bob@192.0.2.30:5062;transport=tcp;ob', params: { '+sip.instance': '"<urn:uuid:00000000-0000-0000-0000-000000000001>"', 'reg-id': '1' } };
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: [contact], via: { transport: 'TCP', host: '192.0.2.30', port: 5062 }, supported: ['outbound'], ids }), TCP_CLIENT);
    await settle();
    transport.deliver(buildRequest('INVITE', { to: 'sip:bob@example.com', ids }), { local: UDP });
    await settle();
    expect(transport.sent.map((s) => s.destination)).toEqual([{ protocol: 'tcp', address: '192.0.2.30', port: 5062, connectionId: 'tcp-9' }]);
  });

  it('ends the flows of a closed connection: a .invalid binding goes with it, so the next request is not found', async () => {
    const { transport, registrar, ids } = setup();
    transport.deliver(wsRegister(ids), WS_CLIENT);
    await settle();
    transport.closeFlow('ws-7');
    await settle();
    expect(await registrar.bindings('sip:alice@example.com')).toEqual([]);
  });

  it('keeps a .invalid binding reached through an edge proxy (Path) off any flow of ours: the edge routes it', async () => {
    const { transport, registrar, ids } = setup();
    const text = buildRegister({ aor: 'sip:alice@example.com', contacts: ['sip:k3j9@df7jal23ls0d.invalid;transport=ws'], path: ['sip:edge.example.net;lr'], supported: ['path'], ids })
      .replace('Via: ', 'Via: SIP/2.0/TCP edge.example.net;branch=z9hG4bK-edge\r\nVia: ');
    transport.deliver(text, TCP_CLIENT);
    await settle();
    const [binding] = await registrar.bindings('sip:alice@example.com');
    expect(binding.flow).toBeUndefined();
  });

  it('gives up on a flow whose connection has closed (flow-failed, answered 430) instead of reaching the Contact another way', async () => {
    const transport = new FlowTransport({ endpoints: [UDP, TCP, WS] });
    transport.closedFlows.add('ws-7');
    const parsed = parseSipMessage(buildRequest('MESSAGE', { to: 'sip:alice@example.com' }));
    if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('bad fixture');
    const outcome = await sendForward({ transport, logger: recordingLogger() }, parsed.message, { uri: 'sip:k3j9@df7jal23ls0d.invalid;transport=ws', flow: 'ws-7', socket: 'ws:127.0.0.1:8080' });
    expect(outcome).toMatchObject({ kind: 'flow-failed', destination: { protocol: 'ws', connectionId: 'ws-7' } });
    expect(transport.sent).toEqual([]);
  });

  it('answers 430 Flow Failed (RFC 5626 §5.3) to a request whose target\'s connection closed before its binding went', async () => {
    const { transport, ids } = setup();
    transport.deliver(wsRegister(ids), WS_CLIENT);
    await settle();
    transport.closedFlows.add('ws-7');
    transport.deliver(buildRequest('MESSAGE', { to: 'sip:alice@example.com', ids }), { local: UDP });
    await settle();
    expect(transport.sent).toEqual([]);
    expect(transport.lastResponse().status).toBe(430);
  });

  it('does not dial a ws/wss target that is not a flow, nor resolve a .invalid host: unroutable (480)', async () => {
    const { transport, ids } = setup();
    transport.deliver(buildRegister({ aor: 'sip:carol@example.com', contacts: ['sip:carol@192.0.2.40:8080;transport=ws'], ids }), { local: UDP });
    transport.deliver(buildRegister({ aor: 'sip:dave@example.com', contacts: ['sip:dave@x1.invalid;transport=tcp'], ids }), { local: UDP });
    await settle();
    transport.deliver(buildRequest('MESSAGE', { to: 'sip:carol@example.com', ids }), { local: UDP });
    transport.deliver(buildRequest('MESSAGE', { to: 'sip:dave@example.com', ids }), { local: UDP });
    await settle();
    await settle();
    expect(transport.sent).toEqual([]);
    expect(transport.responses.map((r) => r.response.status)).toEqual([200, 200, 480, 480]);
  });
});

describe('hasInvalidHost (RFC 6761 §6.4)', () => {
  it('is true for a host under .invalid only', () => {
    expect(['sip:a@x.invalid', 'sip:a@X.INVALID.;transport=ws', 'sips:b@c.d.invalid:5061'].map(hasInvalidHost)).toEqual([true, true, true]);
    expect(['sip:a@invalid', 'sip:a@x.invalid.example.com', 'sip:invalid@example.com', 'tel:+1'].map(hasInvalidHost)).toEqual([false, false, false, false]);
  });
});
