/**
 * `UdpSteering.relay`: among processes sharing the sockets, a connection is held by one, yet a
 * phone reached only over it (RFC 5626 §5.3, RFC 7118 §5) may be called from any. Connection ids
 * name their holder's place; a send to a connection another process holds is written by that
 * one (`NodeTransport.sendRelayed`), and a response arriving on it goes back, by its Via branch,
 * to the process that sent the request. Two transports stand in for two workers, each `relay`
 * and `forward` calling the other directly.
 */
import { ConfigError, TransportError } from '../../src/errors/sdk-error';
import { IdSequence, buildRequest } from '../../src/testing/message-builders';
import { connectionIdSalt, connectionPlace } from '../../src/transports/connection-place';
import { createNodeTransport } from '../../src/transports/node-transport';
import { RelayedBranches } from '../../src/transports/relayed-branches';
import { closedAfterEach, tcpPeer, tcpServer, waitUntil } from './net-peers';
import { steeringWorkers, type SteeringWorker } from './steering-workers';

const open = closedAfterEach();
const ids = new IdSequence('relay');

/** Two transports on their own TCP ports, places 0 and 1, relaying and forwarding to each other (unless `relay` is false). */
const twoWorkers = (options: { relay?: boolean } = {}) => steeringWorkers(open, { listen: 'tcp:127.0.0.1:0', relay: options.relay !== false });

/** A phone connected to `worker` that has sent it one OPTIONS: its connection, as `worker` names it. */
async function phoneOn(worker: SteeringWorker) {
  const phone = await tcpPeer(worker.transport.endpoints()[0].port);
  open.push({ close: () => phone.close() });
  await phone.write(buildRequest('OPTIONS', { via: { transport: 'TCP', port: phone.socket.localPort }, ids }));
  await waitUntil(() => worker.handled.length === 1, 'the OPTIONS handled');
  const source = worker.handled[0].source;
  return { phone, destination: { protocol: 'tcp' as const, address: source.address, port: source.port, connectionId: source.connectionId! } };
}

describe('connection ids among processes sharing the sockets', () => {
  it('name the place of the process holding the connection, and only when it has one', () => {
    expect(connectionPlace(`tcp-${connectionIdSalt(3)}-17`)).toBe(3);
    expect(connectionPlace(`ws-${connectionIdSalt(0)}-1`)).toBe(0);
    expect(connectionPlace(`tcp-${connectionIdSalt()}-17`)).toBeUndefined();
    expect(connectionPlace('udp:127.0.0.1:5060>udp:127.0.0.1:5070')).toBeUndefined();
  });

  it('of a steering transport carry its place', async () => {
    const [, b] = await twoWorkers();
    await phoneOn(b);
    expect(connectionPlace(b.handled[0].source.connectionId!)).toBe(1);
  });
});

describe('UdpSteering.relay', () => {
  it('has the holder write a request on its connection, and hands the response on it back by its branch to the sender\'s transaction', async () => {
    const [a, b] = await twoWorkers();
    const { phone, destination } = await phoneOn(a);
    const request = buildRequest('OPTIONS', { via: { transport: 'TCP', port: b.transport.endpoints()[0].port, branch: 'z9hG4bK-relayed-1' }, callId: 'relayed@test', ids });
    const outcome = b.transport.request(Buffer.from(request), destination);
    await phone.waitFor('OPTIONS sip:');
    await phone.waitFor('z9hG4bK-relayed-1');
    await phone.write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-relayed-1\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:b@test>;tag=2\r\nCall-ID: relayed@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    await expect(outcome).resolves.toMatchObject({ kind: 'response', response: { status: 200 } });
    expect(a.forwarded).toEqual([1]);
    expect(b.forwarded).toEqual([]);
  });

  it('sends a response on the connection of a request another process received', async () => {
    const [a, b] = await twoWorkers();
    const { phone, destination } = await phoneOn(a);
    await b.transport.send(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-x\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:b@test>;tag=2\r\nCall-ID: x@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'), destination);
    await phone.waitFor('Call-ID: x@test');
  });

  it('keeps what arrives on a connection where it arrives when no relayed request had its branch', async () => {
    const [a, b] = await twoWorkers();
    const seen: string[] = [];
    a.transport.onResponse((response) => void seen.push(response.callId));
    const { phone } = await phoneOn(a);
    await phone.write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-unknown\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:b@test>;tag=2\r\nCall-ID: stray@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    await waitUntil(() => seen.length === 1, 'the response handled');
    expect(seen).toEqual(['stray@test']);
    expect(a.forwarded).toEqual([]);
    expect(b.handled).toEqual([]);
  });

  it('fails the send, as a failed flow (RFC 5626 §5.3), once the holder\'s connection has closed', async () => {
    const [a, b] = await twoWorkers();
    const { phone, destination } = await phoneOn(a);
    phone.close();
    await waitUntil(() => phone.closed(), 'the phone gone');
    await new Promise((r) => setTimeout(r, 50));
    await expect(b.transport.send(Buffer.from(buildRequest('OPTIONS', { ids })), destination)).rejects.toThrow(TransportError);
    await expect(b.transport.send(Buffer.from(buildRequest('OPTIONS', { ids })), destination)).rejects.toThrow(/is closed/);
  });

  it('without relay, counts a connection another process holds as closed', async () => {
    const [a, b] = await twoWorkers({ relay: false });
    const { destination } = await phoneOn(a);
    await expect(b.transport.send(Buffer.from(buildRequest('OPTIONS', { ids })), destination)).rejects.toThrow(/is closed/);
  });

  it('and locate are refused when they are not functions', async () => {
    const forward = (): void => {};
    await expect(createNodeTransport({ listen: ['udp:127.0.0.1:0'], udpSteering: { processes: 2, index: 0, forward, relay: 'no' as never } })).rejects.toThrow(ConfigError);
    await expect(createNodeTransport({ listen: ['udp:127.0.0.1:0'], udpSteering: { processes: 2, index: 0, forward, locate: 3 as never } })).rejects.toThrow('udpSteering.locate must be a function when given');
  });
});

describe('UdpSteering.locate', () => {
  it('sends to a remote another process has a connection to over that connection, and brings the response back', async () => {
    const [a, b] = await twoWorkers();
    const { phone, destination } = await phoneOn(a);
    const remote = { protocol: 'tcp' as const, address: destination.address, port: destination.port };
    expect(a.transport.heldConnection(remote)).toBe(destination.connectionId);
    expect(b.transport.heldConnection(remote)).toBeUndefined();
    const request = buildRequest('OPTIONS', { via: { transport: 'TCP', branch: 'z9hG4bK-located-1' }, callId: 'located@test', ids });
    const outcome = b.transport.request(Buffer.from(request), remote);
    await phone.waitFor('z9hG4bK-located-1');
    await phone.write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-located-1\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:b@test>;tag=2\r\nCall-ID: located@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    await expect(outcome).resolves.toMatchObject({ kind: 'response', response: { status: 200 } });
    await b.transport.send(Buffer.from(buildRequest('MESSAGE', { callId: 'located-2@test', ids })), remote);
    await phone.waitFor('Call-ID: located-2@test');
  });

  it('connects anew when no process holds a connection to the remote', async () => {
    const [, b] = await twoWorkers();
    const target = await tcpServer();
    open.push(target);
    await b.transport.send(Buffer.from(buildRequest('MESSAGE', { callId: 'dialled@test', ids })), { protocol: 'tcp', address: '127.0.0.1', port: target.port });
    await waitUntil(() => target.peers.length === 1, 'the connection');
    await target.peers[0].waitFor('Call-ID: dialled@test');
  });
});

describe('RelayedBranches', () => {
  it('remembers the place of each branch, forgetting the oldest past its bound', () => {
    const branches = new RelayedBranches(2);
    branches.note('b1', 0);
    branches.note('b2', 1);
    branches.note('b1', 1);
    branches.note('b3', 0);
    expect([branches.placeOf('b1'), branches.placeOf('b2'), branches.placeOf('b3')]).toEqual([1, undefined, 0]);
  });
});
