/**
 * `NodeTransportOptions.udpSteering`: processes sharing a UDP socket keep every message of a call
 * on one of them (the caller's CANCEL reaches the process holding its INVITE, RFC 3261 §9.2).
 * Two transports stand in for two workers; `forward` hands a datagram straight to the other's
 * `receiveSteered`, naming its socket as the one the datagram came to.
 */
import { ConfigError } from '../../src/errors/sdk-error';
import type { SipRequest } from '../../src/sip/message';
import { IdSequence, buildRegister, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { createNodeTransport } from '../../src/transports/node-transport';
import { steeringOwner } from '../../src/transports/udp-steering';
import { closedAfterEach, recordingLogger, udpPeer, waitUntil } from './net-peers';
import { steeringWorkers } from './steering-workers';

const open = closedAfterEach();
const ids = new IdSequence('steer');

/** A Call-ID that {@link steeringOwner} gives to process `owner` of 2. */
function callIdOf(owner: number): string {
  for (let i = 0; ; i++) if (steeringOwner(`call-${i}@steer.test`, 2) === owner) return `call-${i}@steer.test`;
}

/** Two transports on their own UDP ports, places 0 and 1, each steering to the other and answering 200. */
const twoWorkers = () => steeringWorkers(open, { listen: 'udp:127.0.0.1:0', answers: true });

describe('steeringOwner', () => {
  it('gives a Call-ID the same place every time and spreads Call-IDs over the places', () => {
    expect(steeringOwner('abc@host', 4)).toBe(steeringOwner('abc@host', 4));
    const counts = [0, 0];
    for (let i = 0; i < 1000; i++) counts[steeringOwner(`${i}-${i * 7919}@host`, 2)]++;
    expect(Math.min(...counts)).toBeGreaterThan(400);
    expect(steeringOwner('anything', 1)).toBe(0);
  });
});

describe('NodeTransportOptions.udpSteering', () => {
  it('hands an INVITE of a Call-ID placed elsewhere to that process, which answers it', async () => {
    const [a, b] = await twoWorkers();
    const peer = await udpPeer();
    open.push(peer);
    const callId = callIdOf(1);
    await peer.send(buildRequest('INVITE', { callId, via: { port: peer.port, rport: true }, ids }), a.transport.endpoints()[0].port);
    const reply = await peer.nth(1);
    expect(reply).toMatch(/^SIP\/2\.0 200 OK/);
    expect(a.handled).toEqual([]);
    expect(a.forwarded).toEqual([1]);
    expect(b.handled.map((h) => h.request.callId)).toEqual([callId]);
    // The receiving process keeps the sender's address; received/rport are stamped once, by the owner.
    expect(b.handled[0].source).toMatchObject({ protocol: 'udp', address: '127.0.0.1', port: peer.port });
    expect(b.handled[0].request.via[0].raw).toContain(`rport=${peer.port};received=127.0.0.1`);
  });

  it('keeps a request of its own Call-ID, and every REGISTER, where the kernel gave it', async () => {
    const [a, b] = await twoWorkers();
    const peer = await udpPeer();
    open.push(peer);
    const port = a.transport.endpoints()[0].port;
    await peer.send(buildRequest('OPTIONS', { callId: callIdOf(0), via: { port: peer.port }, ids }), port);
    await peer.send(buildRegister({ aor: 'sip:dave@steer.test', callId: callIdOf(1), via: { port: peer.port }, ids }), port);
    await peer.nth(2);
    expect(a.handled.map((h) => h.request.method).sort()).toEqual(['OPTIONS', 'REGISTER']);
    expect(a.forwarded).toEqual([]);
    expect(b.handled).toEqual([]);
  });

  it('hands a response that matches none of its transactions to the process of its Call-ID', async () => {
    const [a, b] = await twoWorkers();
    const seen: [string, string][] = [];
    a.transport.onResponse((response) => void seen.push(['a', response.callId]));
    b.transport.onResponse((response) => void seen.push(['b', response.callId]));
    const peer = await udpPeer();
    open.push(peer);
    const [mine, theirs] = [callIdOf(0), callIdOf(1)];
    const port = a.transport.endpoints()[0].port;
    for (const callId of [mine, theirs]) {
      await peer.send(buildResponseText(buildRequest('INVITE', { callId, via: { port }, ids }), 180, 'Ringing', undefined, { toTag: 'callee' }), port);
    }
    await waitUntil(() => seen.length === 2, 'both responses handled');
    expect(seen.sort()).toEqual([['a', mine], ['b', theirs]]);
    expect(a.forwarded).toEqual([1]);
  });

  it('handles a handed datagram where it arrives, without handing it on again', async () => {
    const [a, b] = await twoWorkers();
    const bytes = Buffer.from(buildRequest('BYE', { callId: callIdOf(0), via: { port: 9 }, ids }));
    // A datagram placed at 0 handed to 1 (a process list that changed, say): 1 handles it.
    b.transport.receiveSteered(bytes, { protocol: 'udp', address: '127.0.0.1', port: 9, local: b.transport.endpoints()[0] });
    await waitUntil(() => b.handled.length === 1, 'the BYE handled');
    expect(b.forwarded).toEqual([]);
    expect(a.handled).toEqual([]);
  });

  it('drops, with a debug line, a datagram handed for a socket it does not listen on', async () => {
    const logger = recordingLogger();
    const transport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'], logger, udpSteering: { processes: 2, index: 0, forward() {} } });
    open.push(transport);
    const seen: SipRequest[] = [];
    transport.onRequest((request) => void seen.push(request));
    const bytes = Buffer.from(buildRequest('BYE', { callId: callIdOf(0), ids }));
    transport.receiveSteered(bytes, { protocol: 'udp', address: '127.0.0.1', port: 9, local: { protocol: 'udp', address: '127.0.0.1', port: 1 } });
    expect(seen).toEqual([]);
    expect(logger.entries.some((e) => e.level === 'debug' && /does not listen on/.test(e.msg ?? ''))).toBe(true);
  });

  it('refuses a steering that names no place among its processes', async () => {
    const forward = (): void => {};
    await expect(createNodeTransport({ listen: ['udp:127.0.0.1:0'], udpSteering: { processes: 0, index: 0, forward } })).rejects.toThrow(ConfigError);
    await expect(createNodeTransport({ listen: ['udp:127.0.0.1:0'], udpSteering: { processes: 2, index: 2, forward } })).rejects.toThrow(
      'udpSteering.index must be an integer from 0 to 1, got 2',
    );
  });
});
