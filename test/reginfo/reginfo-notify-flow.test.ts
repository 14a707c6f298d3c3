/**
 * reg-event NOTIFYs to a watcher reached only over the connection it subscribed on (RFC 5626 §5.3,
 * RFC 7118 §5): a browser with a `.invalid` Contact, a UA with `ob`.
 */
import type { Source } from '../../src/ports/transport';
import type { SentRequest } from '../../src/testing/fake-transport';
import { buildRequest, buildResponseText, IdSequence } from '../../src/testing/message-builders';
import { network, type Network, type Node } from './reginfo-harness';

const ids = new IdSequence('wf');
const WS_LOCAL = { protocol: 'ws', address: '127.0.0.1', port: 8080 } as const;
const OVER_WS: Partial<Source> = { protocol: 'ws', address: '198.51.100.4', port: 51000, local: WS_LOCAL, connectionId: 'ws-3' };

function subscribe(contact: string, callId: string): string {
  return buildRequest('SUBSCRIBE', {
    requestUri: 'sip:alice@example.com', to: 'sip:alice@example.com', from: 'sip:watcher@example.com', callId,
    contacts: [contact], expires: 600, headers: [['Event', 'reg']], via: { transport: 'WS', host: 'x8.invalid' }, ids,
  });
}

describe('reg-event NOTIFY over the subscriber\'s flow', () => {
  let net: Network;
  let a: Node;
  const notifies = (): SentRequest[] =>
    a.transport.requests.filter((r) => r.request.method === 'NOTIFY');

  beforeEach(async () => {
    net = network([{ name: 'A' }], (r) => buildResponseText(r, 200, 'OK'));
    a = net.nodes[0];
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
  });
  afterEach(async () => net.close());

  it('sends the NOTIFYs of a .invalid watcher over its WebSocket connection, from the socket it came in through', async () => {
    a.transport.deliver(subscribe('sip:w1@x8.invalid;transport=ws', 'flow-1'), OVER_WS);
    await net.step(0);
    expect(a.transport.lastResponse().status).toBe(200);
    const [notify] = notifies();
    expect(notify.destination).toEqual({ protocol: 'ws', address: '198.51.100.4', port: 51000, connectionId: 'ws-3' });
    expect(notify.local).toEqual(WS_LOCAL);
    expect([notify.request.uri, notify.request.via[0].transport]).toEqual(['sip:w1@x8.invalid;transport=ws', 'WS']);
  });

  it('does the same for a Contact with ob (RFC 5626 §4.3), and sends a plain TCP watcher\'s to its Contact', async () => {
    a.transport.deliver(subscribe('sip:w2@192.0.2.50:5062;transport=tcp;ob', 'flow-2'), { ...OVER_WS, protocol: 'tcp', connectionId: 'tcp-4', local: { protocol: 'tcp', address: '127.0.0.1', port: 5060 } });
    a.transport.deliver(subscribe('sip:w3@192.0.2.51:5062;transport=tcp', 'flow-3'), { ...OVER_WS, protocol: 'tcp', connectionId: 'tcp-5', local: { protocol: 'tcp', address: '127.0.0.1', port: 5060 } });
    await net.step(0);
    const byUri = new Map(notifies().map((n) => [n.request.uri, n.destination]));
    expect(byUri.get('sip:w2@192.0.2.50:5062;transport=tcp;ob')).toMatchObject({ connectionId: 'tcp-4' });
    expect(byUri.get('sip:w3@192.0.2.51:5062;transport=tcp')).toEqual({ protocol: 'tcp', address: '192.0.2.51', port: 5062 });
  });
});
