import type { Endpoint } from '../../src/ports/transport';
import { statelessBranch, type ForwardTarget } from '../../src/proxy/stateless-proxy';
import type { SipRequest } from '../../src/sip/message';
import { maxDatagramBytes, sendForward, UNKNOWN_MTU_LIMIT_BYTES } from '../../src/server/forward-transport';
import { FakeTransport } from '../../src/testing/fake-transport';
import { messageOfSize } from '../helpers/message-of-size';
import { recordingLogger } from '../transports/net-peers';

const UDP: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const TCP: Endpoint = { protocol: 'tcp', address: '127.0.0.1', port: 5061 };
const CONTACT = 'sip:bob@192.0.2.20:5062';


const SMALL = messageOfSize(100);
const OVER_MTU = messageOfSize(2_000);
const OVER_DATAGRAM = messageOfSize(70_000);

function setup(endpoints: readonly Endpoint[] = [UDP, TCP]) {
  const transport = new FakeTransport({ endpoints });
  const logger = recordingLogger();
  const forward = (request: SipRequest, target: ForwardTarget) => sendForward({ transport, logger }, request, target);
  return { transport, logger, forward };
}

/** The transport of the top Via of what was sent, and where it went. */
const wire = (transport: FakeTransport) =>
  transport.sent.map((s) => `${(s.message as SipRequest).via[0].transport} ${(s.message as SipRequest).via[0].port} -> ${s.destination.protocol}:${s.destination.port}`);

describe('sendForward: the transport of a forwarded request (RFC 3261 §18.1.1)', () => {
  it('sends a request of at most 1300 bytes as its target says, with a Via of that transport', async () => {
    const { transport, forward } = setup();
    expect(await forward(SMALL, { uri: CONTACT })).toEqual({ kind: 'sent', destination: { protocol: 'udp', address: '192.0.2.20', port: 5062 } });
    expect(await forward(SMALL, { uri: `${CONTACT};transport=tcp` })).toEqual({ kind: 'sent', destination: { protocol: 'tcp', address: '192.0.2.20', port: 5062 } });
    expect(wire(transport)).toEqual(['UDP 5060 -> udp:5062', 'TCP 5061 -> tcp:5062']);
  });

  it('sends a request larger than 1300 bytes over TCP when the target names no transport, changing the Via (same branch)', async () => {
    const { transport, forward } = setup();
    expect(await forward(OVER_MTU, { uri: CONTACT })).toEqual({ kind: 'sent', destination: { protocol: 'tcp', address: '192.0.2.20', port: 5062 } });
    expect(await forward(OVER_DATAGRAM, { uri: CONTACT })).toMatchObject({ kind: 'sent', destination: { protocol: 'tcp' } });
    expect(wire(transport)).toEqual(['TCP 5061 -> tcp:5062', 'TCP 5061 -> tcp:5062']);
    expect((transport.sent[0].message as SipRequest).via[0].branch).toBe(statelessBranch(OVER_MTU, CONTACT));
    expect(transport.sent[0].data.length).toBeGreaterThan(UNKNOWN_MTU_LIMIT_BYTES);
  });

  it('switches towards the first Path hop too (an edge proxy), keeping the Request-URI and the route set', async () => {
    const { transport, forward } = setup();
    const target: ForwardTarget = { uri: CONTACT, destination: 'sip:192.0.2.30:5070;lr', route: ['<sip:192.0.2.30:5070;lr>'] };
    expect(await forward(OVER_MTU, target)).toEqual({ kind: 'sent', destination: { protocol: 'tcp', address: '192.0.2.30', port: 5070 } });
    const sent = transport.sent[0].message as SipRequest;
    expect([sent.uri, sent.header('Route')]).toEqual([CONTACT, '<sip:192.0.2.30:5070;lr>']);
  });

  it('keeps UDP, fragmented, when the target forbids TCP and the request fits a datagram: transport=udp, or a NAT received address', async () => {
    const { transport, forward } = setup();
    expect(await forward(OVER_MTU, { uri: `${CONTACT};transport=udp` })).toMatchObject({ kind: 'sent', destination: { protocol: 'udp' } });
    expect(await forward(OVER_MTU, { uri: CONTACT, destination: 'sip:203.0.113.9:40000' })).toEqual({ kind: 'sent', destination: { protocol: 'udp', address: '203.0.113.9', port: 40000 } });
    expect(wire(transport)).toEqual(['UDP 5060 -> udp:5062', 'UDP 5060 -> udp:40000']);
  });

  it('keeps UDP when there is no TCP socket to name in the Via', async () => {
    const { transport, forward } = setup([UDP]);
    expect(await forward(OVER_MTU, { uri: CONTACT })).toMatchObject({ kind: 'sent', destination: { protocol: 'udp' } });
    expect(wire(transport)).toEqual(['UDP 5060 -> udp:5062']);
  });

  it('is too large (513, RFC 3261 §21.5.14) when a request beyond a datagram cannot go over TCP, and sends nothing', async () => {
    for (const [endpoints, target] of [
      [[UDP, TCP], { uri: `${CONTACT};transport=udp` }],
      [[UDP, TCP], { uri: CONTACT, destination: 'sip:203.0.113.9:40000' }],
      [[UDP], { uri: CONTACT }],
    ] as const) {
      const { transport, forward } = setup(endpoints);
      const outcome = await forward(OVER_DATAGRAM, target);
      expect(outcome).toMatchObject({ kind: 'too-large', destination: { protocol: 'udp' } });
      expect(outcome.kind === 'too-large' && outcome.bytes).toBeGreaterThan(maxDatagramBytes('192.0.2.20'));
      expect(transport.sent).toEqual([]);
    }
  });

  it('falls back to UDP when TCP fails and the request fits a datagram, else is too large; the TCP failure is logged', async () => {
    const { transport, logger, forward } = setup();
    const send = transport.send.bind(transport);
    transport.send = (data, destination) => (destination.protocol === 'tcp' ? Promise.reject(new Error('ECONNREFUSED')) : send(data, destination));
    expect(await forward(OVER_MTU, { uri: CONTACT })).toMatchObject({ kind: 'sent', destination: { protocol: 'udp' } });
    expect(wire(transport)).toEqual(['UDP 5060 -> udp:5062']);
    expect(await forward(OVER_DATAGRAM, { uri: CONTACT })).toMatchObject({ kind: 'too-large', destination: { protocol: 'udp' } });
    expect(transport.sent).toHaveLength(1);
    expect(logger.entries.filter((e) => e.msg === 'forwarding over tcp failed')).toHaveLength(2);
  });

  it('reports an unroutable target and a failed send (a 503 from the next hop, RFC 3261 §16.9) instead of throwing', async () => {
    const { transport, forward } = setup();
    expect(await forward(SMALL, { uri: 'tel:+15551234' })).toEqual({ kind: 'unroutable' });
    const error = new Error('EINVAL');
    transport.send = () => Promise.reject(error);
    expect(await forward(SMALL, { uri: CONTACT })).toEqual({ kind: 'failed', destination: { protocol: 'udp', address: '192.0.2.20', port: 5062 }, error });
  });
});

describe('maxDatagramBytes', () => {
  it('is 65,535 bytes less the IP and UDP headers: 65,507 over IPv4, 65,527 over IPv6', () => {
    expect([maxDatagramBytes('192.0.2.1'), maxDatagramBytes('2001:db8::1'), maxDatagramBytes('[2001:db8::1]')]).toEqual([65_507, 65_527, 65_527]);
  });
});
