import { createSocket } from 'node:dgram';
import { ConfigError, TransportError } from '../../src/errors/sdk-error';
import type { Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { IdSequence, buildRegister, buildRequest, buildResponseText } from '../../src/testing/message-builders';
import { createNodeTransport, type NodeTransport, type NodeTransportOptions } from '../../src/transports/node-transport';
import { answer, recordingLogger, tcpPeer, tcpServer, udpPeer, waitUntil } from './net-peers';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function transport(options: Partial<NodeTransportOptions> = {}): Promise<NodeTransport> {
  const created = await createNodeTransport({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], ...options });
  open.push(created);
  return created;
}

function portOf(t: NodeTransport, protocol: 'udp' | 'tcp'): number {
  const endpoint = t.endpoints().find((e) => e.protocol === protocol);
  if (endpoint === undefined) throw new Error(`no ${protocol} endpoint`);
  return endpoint.port;
}

async function peerUdp() {
  const peer = await udpPeer();
  open.push(peer);
  return peer;
}

async function peerTcp(port: number) {
  const peer = await tcpPeer(port);
  open.push(peer);
  return peer;
}

/** Records what the handler saw and answers 200 OK through sendResponse. */
function answering(t: NodeTransport): { requests: SipRequest[]; sources: Source[] } {
  const seen = { requests: [] as SipRequest[], sources: [] as Source[] };
  t.onRequest((request, source) => {
    seen.requests.push(request);
    seen.sources.push(source);
    void t.sendResponse(answer(request), request, source);
  });
  return seen;
}

function parsedResponse(text: string) {
  const parsed = parseSipMessage(text);
  if (!parsed.ok || parsed.message.kind !== 'response') throw new Error(`not a response: ${text}`);
  return parsed.message;
}

const ids = new IdSequence('nt');

describe('createNodeTransport', () => {
  it('reports the real ports of ephemeral listeners', async () => {
    const t = await transport();
    expect(t.endpoints()).toEqual([
      { protocol: 'udp', address: '127.0.0.1', port: expect.any(Number) },
      { protocol: 'tcp', address: '127.0.0.1', port: expect.any(Number) },
    ]);
    expect(t.endpoints().every((e) => e.port > 0)).toBe(true);
  });

  it('rejects a busy port with a TransportError naming the address and errno', async () => {
    const first = await transport({ listen: ['udp:127.0.0.1:0'] });
    const port = portOf(first, 'udp');
    const failed = createNodeTransport({ listen: ['tcp:127.0.0.1:0', `udp:127.0.0.1:${port}`] });
    await expect(failed).rejects.toBeInstanceOf(TransportError);
    await expect(failed).rejects.toThrow(`cannot listen on udp:127.0.0.1:${port}: EADDRINUSE`);
  });

  it('rejects bad options with ConfigError', async () => {
    await expect(createNodeTransport({ listen: [] })).rejects.toThrow(ConfigError);
    await expect(createNodeTransport({ listen: ['udp:127.0.0.1:0'], t1Ms: 0 })).rejects.toThrow(ConfigError);
    await expect(createNodeTransport({ listen: ['sctp:127.0.0.1:0'] })).rejects.toThrow(ConfigError);
  });

  it('close() releases the ports, is idempotent, and later use is a ConfigError', async () => {
    const first = await createNodeTransport({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'] });
    const udp = portOf(first, 'udp');
    const tcp = portOf(first, 'tcp');
    const client = await peerTcp(tcp);
    await waitUntil(() => client.socket.readyState === 'open');
    await Promise.all([first.close(), first.close()]);
    await waitUntil(client.closed, 'the server to drop the connection');
    await expect(first.send(new Uint8Array(1), { protocol: 'udp', address: '127.0.0.1', port: udp })).rejects.toThrow(ConfigError);
    const second = await transport({ listen: [`udp:127.0.0.1:${udp}`, `tcp:127.0.0.1:${tcp}`] });
    expect(second.endpoints().map((e) => e.port)).toEqual([udp, tcp]);
  });
});

describe('receiving requests and sending responses', () => {
  it('UDP: request → handler → 200 OK back to the sender', async () => {
    const t = await transport();
    const seen = answering(t);
    const phone = await peerUdp();
    await phone.send(buildRegister({ aor: 'sip:alice@example.com', via: { port: phone.port }, ids }), portOf(t, 'udp'));
    const response = parsedResponse(await phone.nth(1));
    expect(response.status).toBe(200);
    expect(seen.requests[0].method).toBe('REGISTER');
    expect(seen.sources[0]).toEqual({
      protocol: 'udp',
      address: '127.0.0.1',
      port: phone.port,
      local: { protocol: 'udp', address: '127.0.0.1', port: portOf(t, 'udp') },
    });
  });

  it('TCP: request → handler → 200 OK on the same connection, with a connection id', async () => {
    const t = await transport();
    const seen = answering(t);
    const phone = await peerTcp(portOf(t, 'tcp'));
    await phone.write(buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP' }, ids }));
    await phone.waitFor('SIP/2.0 200 OK');
    expect(seen.sources[0]).toMatchObject({ protocol: 'tcp', address: '127.0.0.1', port: phone.socket.localPort, connectionId: expect.any(String) });
    expect(seen.sources[0].local).toEqual({ protocol: 'tcp', address: '127.0.0.1', port: portOf(t, 'tcp') });
  });

  it('TCP: reports the connection id of a closed connection to onFlowClosed (a failed RFC 5626 flow)', async () => {
    const t = await transport();
    const seen = answering(t);
    const closed: string[] = [];
    t.onFlowClosed((id) => closed.push(id));
    const phone = await peerTcp(portOf(t, 'tcp'));
    await phone.write(buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP' }, ids }));
    await phone.waitFor('SIP/2.0 200 OK');
    phone.close();
    await waitUntil(() => closed.length === 1, 'the flow to be reported closed');
    expect(closed).toEqual([seen.sources[0].connectionId]);
  });

  it('TCP: frames messages split over writes, several per write, with bodies', async () => {
    const t = await transport();
    const seen = answering(t);
    const phone = await peerTcp(portOf(t, 'tcp'));
    const messages = [1, 2, 3].map((n) =>
      buildRequest('MESSAGE', { via: { transport: 'TCP' }, cseq: n, body: `body number ${n}\r\n\r\nwith blank line`, ids }),
    );
    await phone.write(messages[0] + messages[1]);
    const third = messages[2];
    await phone.write(third.slice(0, 40));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await phone.write(third.slice(40, third.length - 5));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await phone.write(third.slice(third.length - 5));
    await phone.waitFor('SIP/2.0 200 OK', 3);
    expect(seen.requests.map((r) => new TextDecoder().decode(r.body))).toEqual([1, 2, 3].map((n) => `body number ${n}\r\n\r\nwith blank line`));
  });

  it('answers a double-CRLF keep-alive ping with a CRLF pong (RFC 5626 §3.5.1), over TCP and UDP', async () => {
    const t = await transport();
    const seen = answering(t);
    const tcp = await peerTcp(portOf(t, 'tcp'));
    await tcp.write('\r\n\r\n');
    await waitUntil(() => tcp.text() === '\r\n', 'the TCP pong');
    const udp = await peerUdp();
    await udp.send('\r\n\r\n', portOf(t, 'udp'));
    expect(await udp.nth(1)).toBe('\r\n');
    await udp.send('\r\n', portOf(t, 'udp'));
    await udp.send(buildRequest('OPTIONS', { via: { port: udp.port }, ids }), portOf(t, 'udp'));
    expect(parsedResponse(await udp.nth(2)).status).toBe(200);
    expect(udp.received).toHaveLength(2);
    expect(seen.requests).toHaveLength(1);
  });
});

describe('response routing (RFC 3261 §18.2, RFC 3581)', () => {
  it('without rport, answers the sent-by port (the phone listens there, not on its source port)', async () => {
    const t = await transport();
    const seen = answering(t);
    const sender = await peerUdp();
    const listener = await peerUdp();
    await sender.send(buildRegister({ aor: 'sip:alice@example.com', via: { port: listener.port }, ids }), portOf(t, 'udp'));
    expect(parsedResponse(await listener.nth(1)).status).toBe(200);
    expect(sender.received).toEqual([]);
    expect(seen.requests[0].via[0].received).toBeUndefined();
  });

  it('with rport, stamps rport/received on the top Via and answers the source address and port', async () => {
    const t = await transport();
    const seen = answering(t);
    const natted = await peerUdp();
    const unreachable = await peerUdp();
    await natted.send(
      buildRegister({ aor: 'sip:alice@example.com', via: { host: '10.0.0.2', port: unreachable.port, rport: true, branch: 'z9hG4bK-nat' }, ids }),
      portOf(t, 'udp'),
    );
    const response = parsedResponse(await natted.nth(1));
    expect(response.via[0].raw).toBe(`SIP/2.0/UDP 10.0.0.2:${unreachable.port};branch=z9hG4bK-nat;rport=${natted.port};received=127.0.0.1`);
    expect(seen.requests[0].via[0]).toMatchObject({ received: '127.0.0.1', rport: natted.port, branch: 'z9hG4bK-nat' });
    expect(seen.requests[0].callId).toBe(response.callId);
    expect(seen.requests[0].header('Call-ID')).toBe(response.callId);
    expect(unreachable.received).toEqual([]);
  });

  it('adds received when the sent-by host is a name, and answers that address at the sent-by port', async () => {
    const t = await transport();
    const seen = answering(t);
    const sender = await peerUdp();
    const listener = await peerUdp();
    await sender.send(buildRequest('OPTIONS', { via: { host: 'phone.invalid', port: listener.port }, ids }), portOf(t, 'udp'));
    const response = parsedResponse(await listener.nth(1));
    expect(response.via[0].received).toBe('127.0.0.1');
    expect(seen.requests[0].via[0].raw).toMatch(/;received=127\.0\.0\.1$/);
  });

  it('honours maddr in the top Via with viaMaddr', async () => {
    const t = await transport({ viaMaddr: true });
    answering(t);
    const sender = await peerUdp();
    const listener = await peerUdp();
    await sender.send(buildRequest('OPTIONS', { via: { host: 'phone.invalid', port: listener.port }, ids }).replace(';branch', ';maddr=127.0.0.1;branch'), portOf(t, 'udp'));
    expect(parsedResponse(await listener.nth(1)).status).toBe(200);
  });

  it('TCP: reconnects to received/sent-by when the request connection has closed', async () => {
    const t = await transport();
    const phoneServer = await tcpServer();
    open.push(phoneServer);
    let pending: { request: SipRequest; source: Source } | undefined;
    t.onRequest((request, source) => {
      pending = { request, source };
    });
    const phone = await peerTcp(portOf(t, 'tcp'));
    await phone.write(buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP', port: phoneServer.port }, ids }));
    await waitUntil(() => pending !== undefined, 'the request');
    phone.close();
    await waitUntil(phone.closed);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await t.sendResponse(answer(pending!.request), pending!.request, pending!.source);
    await waitUntil(() => phoneServer.peers.length === 1, 'the new connection');
    await phoneServer.peers[0].waitFor('SIP/2.0 200 OK');
  });
});

describe('refusing bad input', () => {
  it('drops an oversized datagram before the handler, answering 513 when the head is readable', async () => {
    const t = await transport({ maxMessageBytes: 1000 });
    const seen = answering(t);
    const phone = await peerUdp();
    await phone.send(buildRequest('MESSAGE', { via: { port: phone.port }, body: 'x'.repeat(2000), ids }), portOf(t, 'udp'));
    const refusal = parsedResponse(await phone.nth(1));
    expect([refusal.status, refusal.reason]).toEqual([513, 'Message Too Large']);
    expect(seen.requests).toHaveLength(0);
    await phone.send(buildRequest('MESSAGE', { via: { port: phone.port }, body: 'small', ids }), portOf(t, 'udp'));
    expect(parsedResponse(await phone.nth(2)).status).toBe(200);
  });

  it('closes a TCP connection whose Content-Length exceeds maxMessageBytes', async () => {
    const t = await transport({ maxMessageBytes: 1000 });
    const seen = answering(t);
    const phone = await peerTcp(portOf(t, 'tcp'));
    await phone.write(buildRequest('MESSAGE', { via: { transport: 'TCP' }, ids }).replace('Content-Length: 0', 'Content-Length: 5000'));
    await waitUntil(phone.closed, 'the connection to close');
    expect(seen.requests).toHaveLength(0);
  });

  it('answers a malformed request 400 with the parser reason, built from the recovered head', async () => {
    const t = await transport();
    const seen = answering(t);
    const phone = await peerUdp();
    await phone.send(buildRegister({ aor: 'sip:alice@example.com', via: { port: phone.port }, headers: { 'Max-Forwards': 'many' }, ids }), portOf(t, 'udp'));
    const response = parsedResponse(await phone.nth(1));
    expect(response.status).toBe(400);
    expect(response.reason).toBe('Bad Request (bad-max-forwards)');
    expect(response.to.params.tag).toEqual(expect.any(String));
    expect(seen.requests).toHaveLength(0);
  });

  it('answers 400 to a request with a line that is not a header (a value broken by a bare newline)', async () => {
    const t = await transport();
    const seen = answering(t);
    const phone = await peerUdp();
    const broken = buildRegister({ aor: 'sip:alice@example.com', via: { port: phone.port }, ids })
      .replace('Max-Forwards: 70\r\n', 'Max-Forwards: 70\r\nX-Instance: "<urn:uuid:1\n>"\r\n');
    await phone.send(broken, portOf(t, 'udp'));
    const response = parsedResponse(await phone.nth(1));
    expect(response.status).toBe(400);
    expect(response.reason).toBe('Bad Request (bad-header-line)');
    expect(seen.requests).toHaveLength(0);
  });

  it('answers 400 "Too many Contact header values" above maxContacts', async () => {
    const t = await transport({ maxContacts: 2 });
    answering(t);
    const phone = await peerTcp(portOf(t, 'tcp'));
    const contacts = ['sip:a@10.0.0.1', 'sip:b@10.0.0.1', 'sip:c@10.0.0.1'];
    await phone.write(buildRegister({ aor: 'sip:alice@example.com', via: { transport: 'TCP' }, contacts, ids }));
    await phone.waitFor('\r\n\r\n');
    expect(phone.text()).toMatch(/^SIP\/2\.0 400 Bad Request \(Too many Contact header values\)\r\n/);
  });

  it('lets onInvalid observe refusals and silence the reply', async () => {
    const refused: string[] = [];
    const t = await transport({ onInvalid: (message) => (refused.push(`${message.problem}:${message.answerable}`), 'drop') });
    answering(t);
    const phone = await peerUdp();
    await phone.send(buildRegister({ aor: 'sip:alice@example.com', headers: { 'Max-Forwards': 'x' }, ids }), portOf(t, 'udp'));
    await phone.send('garbage', portOf(t, 'udp'));
    await phone.send(buildRequest('OPTIONS', { via: { port: phone.port }, ids }), portOf(t, 'udp'));
    expect(parsedResponse(await phone.nth(1)).cseq.method).toBe('OPTIONS');
    expect(refused).toEqual(['malformed:true', 'malformed:false']);
  });

  it('reads messages the scanner declines with the slow grammar within grammarParsesPerSecond (a tenth of a second of it at once), drops the rest unparsed as overloaded, and still serves', async () => {
    const refused: string[] = [];
    const t = await transport({ grammarParsesPerSecond: 20, onInvalid: (message) => (refused.push(`${message.problem}:${message.answerable}`), message.answerable ? 'reply' : 'drop') });
    answering(t);
    const phone = await peerUdp();
    // A Via ending in a comment: the scanner declines it, the grammar rejects it (400 bad-via).
    const declined = buildRequest('OPTIONS', { via: { port: phone.port }, ids }).replace(/(Via: [^\r]*)/, '$1 (comment)');
    for (let i = 0; i < 5; i++) await phone.send(declined, portOf(t, 'udp'));
    await phone.send(buildRequest('OPTIONS', { via: { port: phone.port }, ids }), portOf(t, 'udp'));
    await waitUntil(() => refused.length === 5, 'the five declined datagrams to be refused');
    expect(refused).toEqual(['malformed:true', 'malformed:true', 'overloaded:false', 'overloaded:false', 'overloaded:false']);
    expect(await phone.nth(1)).toMatch(/^SIP\/2\.0 400 Bad Request/);
    expect(await phone.nth(2)).toMatch(/^SIP\/2\.0 400 Bad Request/);
    expect(parsedResponse(await phone.nth(3))).toMatchObject({ status: 200, cseq: { method: 'OPTIONS' } });
  });

  it('refuses a grammarParsesPerSecond that is not a whole number ≥ 0', async () => {
    await expect(createNodeTransport({ listen: ['udp:127.0.0.1:0'], grammarParsesPerSecond: -1 })).rejects.toThrow(/NodeTransportOptions\.grammarParsesPerSecond/);
  });

  it('survives 200 random datagrams and 200 random TCP chunks, then still serves', async () => {
    const logger = recordingLogger();
    const t = await transport({ logger });
    const seen = answering(t);
    const udp = await peerUdp();
    const tcp = await peerTcp(portOf(t, 'tcp'));
    const valid = buildRegister({ aor: 'sip:alice@example.com', via: { port: udp.port }, ids });
    let state = 0x2545f491;
    const random = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const outcomes = (): number => logger.entries.length + seen.requests.length;
    for (let i = 0; i < 200; i++) {
      const bytes = i % 2 === 0 ? Buffer.alloc(1 + random(1400), 0) : Buffer.from(valid.slice(0, 1 + random(valid.length - 1)));
      for (let k = 0; k < bytes.length; k++) if (i % 2 === 0 || random(8) === 0) bytes[k] = random(256);
      if (bytes[0] === 13 || bytes[0] === 10) bytes[0] = 0x41;
      const before = outcomes();
      // One datagram at a time: each one is refused (logged) or handled, never silently lost.
      await udp.send(bytes, portOf(t, 'udp'));
      await waitUntil(() => outcomes() > before, `datagram ${i} to be processed`);
      if (!tcp.closed()) tcp.socket.write(bytes);
    }
    const check = await peerUdp();
    await check.send(buildRequest('OPTIONS', { via: { port: check.port }, ids }), portOf(t, 'udp'));
    expect(parsedResponse(await check.nth(1)).status).toBe(200);
    expect(logger.entries.filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
  });

  it('logs a throwing or rejecting handler and keeps serving', async () => {
    const logger = recordingLogger();
    const t = await transport({ logger });
    let calls = 0;
    t.onRequest(async (request, source) => {
      calls++;
      if (calls === 1) throw new Error('boom');
      if (calls === 2) return Promise.reject(new Error('async boom'));
      await t.sendResponse(answer(request), request, source);
    });
    const sync = await transport({ logger, listen: ['udp:127.0.0.1:0'] });
    sync.onRequest(() => {
      throw new Error('sync boom');
    });
    const phone = await peerUdp();
    await phone.send(buildRequest('OPTIONS', { via: { port: phone.port }, ids }), portOf(sync, 'udp'));
    for (let i = 0; i < 3; i++) await phone.send(buildRequest('OPTIONS', { via: { port: phone.port }, ids }), portOf(t, 'udp'));
    expect(parsedResponse(await phone.nth(1)).status).toBe(200);
    await waitUntil(() => logger.entries.filter((e) => e.level === 'error').length === 3, 'three error logs');
  });
});

describe('onResponse (stateless proxy replies, RFC 3261 §16.11)', () => {
  it('hands a response that matches no client transaction to the response handler, and logs its failures', async () => {
    const logger = recordingLogger();
    const t = await transport({ logger });
    const seen: { status: number; port: number }[] = [];
    t.onResponse((response, source) => {
      seen.push({ status: response.status, port: source.port });
      throw new Error('response handler boom');
    });
    const phone = await peerUdp();
    await phone.send(buildResponseText(buildRequest('MESSAGE', { ids }), 200, 'OK'), portOf(t, 'udp'));
    await waitUntil(() => seen.length === 1, 'the response handler');
    expect(seen).toEqual([{ status: 200, port: phone.port }]);
    await waitUntil(() => logger.entries.some((e) => e.level === 'error'), 'the error log');
  });
});

describe('send()', () => {
  it('sends a datagram, and over TCP opens then reuses one connection', async () => {
    const t = await transport();
    const udp = await peerUdp();
    await t.send(new TextEncoder().encode('hello udp'), { protocol: 'udp', address: '127.0.0.1', port: udp.port });
    expect(await udp.nth(1)).toBe('hello udp');
    const server = await tcpServer();
    open.push(server);
    await t.send(new TextEncoder().encode('one;'), { protocol: 'tcp', address: '127.0.0.1', port: server.port });
    await t.send(new TextEncoder().encode('two;'), { protocol: 'tcp', address: '[127.0.0.1]', port: server.port });
    await waitUntil(() => server.peers[0]?.text() === 'one;two;', 'both writes');
    expect(server.peers).toHaveLength(1);
  });

  it('request() leaves from the local UDP socket asked for (OpenSIPS forced_socket), else the first one', async () => {
    const t = await transport({ listen: ['udp:127.0.0.1:0', 'udp:127.0.0.1:0'] });
    const [first, second] = t.endpoints();
    const registrar = createSocket('udp4');
    open.push({ close: () => new Promise<void>((resolve) => registrar.close(() => resolve())) });
    await new Promise<void>((resolve) => registrar.bind(0, '127.0.0.1', () => resolve()));
    const sourcePorts: number[] = [];
    registrar.on('message', (bytes, remote) => {
      sourcePorts.push(remote.port);
      registrar.send(buildResponseText(bytes.toString('latin1'), 200, 'OK'), remote.port, remote.address);
    });
    const destination = { protocol: 'udp' as const, address: '127.0.0.1', port: registrar.address().port };
    const register = () => new TextEncoder().encode(buildRegister({ aor: 'sip:alice@example.com', callId: ids.next(), via: { port: 5060 } }));
    expect((await t.request(register(), destination, second)).kind).toBe('response');
    expect((await t.request(register(), destination)).kind).toBe('response');
    expect(sourcePorts).toEqual([second.port, first.port]);
  });

  it('rejects an unsupported protocol and a refused connection with TransportError', async () => {
    const t = await transport();
    await expect(t.send(new Uint8Array(1), { protocol: 'tls', address: '127.0.0.1', port: 5061 })).rejects.toThrow(TransportError);
    const server = await tcpServer();
    const port = server.port;
    await server.close();
    await expect(t.send(new Uint8Array(1), { protocol: 'tcp', address: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
  });
});
