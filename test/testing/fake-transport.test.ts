import { ConfigError } from '../../src/errors/sdk-error';
import type { Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { buildResponse } from '../../src/sip/response';
import { FakeTransport } from '../../src/testing/fake-transport';
import { IdSequence, buildRegister, buildRequest, buildResponseText } from '../../src/testing/message-builders';

const ids = new IdSequence('fake');
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A fake with a handler that answers 200 and records what it saw. */
function answering(): { transport: FakeTransport; seen: { request: SipRequest; source: Source; raw: Uint8Array }[] } {
  const transport = new FakeTransport();
  const seen: { request: SipRequest; source: Source; raw: Uint8Array }[] = [];
  transport.onRequest((request, source, raw) => {
    seen.push({ request, source, raw });
    void transport.sendResponse(buildResponse(request, 200, 'OK'), request, source);
  });
  return { transport, seen };
}

describe('FakeTransport', () => {
  it('delivers a request from the default source and records the parsed response and its route', async () => {
    const { transport, seen } = answering();
    const text = buildRegister({ aor: 'sip:alice@example.com', ids });
    const delivered = transport.deliver(text);
    const [sent] = await transport.waitForResponses(1);
    expect(seen[0].request).toBe(delivered);
    expect(new TextDecoder().decode(seen[0].raw)).toBe(text);
    expect(seen[0].source).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5070, local: { protocol: 'udp', address: '127.0.0.1', port: 5060 } });
    expect(sent.response.status).toBe(200);
    expect(sent.destination).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5070 });
    expect(transport.lastResponse()).toBe(sent.response);
  });

  it('stamps received/rport like the Node transport and routes the response to the NAT address', async () => {
    const { transport } = answering();
    const request = transport.deliver(buildRegister({ aor: 'sip:alice@example.com', via: { host: '10.0.0.2', port: 5060, rport: true }, ids }), {
      address: '203.0.113.7',
      port: 40000,
    });
    expect(request.via[0]).toMatchObject({ received: '203.0.113.7', rport: 40000 });
    const [sent] = await transport.waitForResponses(1);
    expect(sent.response.via[0].raw).toContain(';rport=40000');
    expect(sent.destination).toEqual({ protocol: 'udp', address: '203.0.113.7', port: 40000 });
  });

  it('accepts a TCP source with a connection id and records keepConnection', () => {
    const transport = new FakeTransport({ endpoints: [{ protocol: 'tcp', address: '127.0.0.1', port: 5060 }] });
    transport.onRequest((request, source) => transport.keepConnection(source, 1234));
    transport.deliver(buildRegister({ aor: 'sip:a@example.com', via: { transport: 'TCP' }, ids }), { connectionId: 'c1' });
    expect(transport.kept).toEqual([{ source: expect.objectContaining({ protocol: 'tcp', connectionId: 'c1' }), untilMs: 1234 }]);
    expect(transport.endpoints()).toEqual([{ protocol: 'tcp', address: '127.0.0.1', port: 5060 }]);
  });

  it('scripts client transactions: response text, timeout, transport error; defaults to timeout', async () => {
    const transport = new FakeTransport();
    const destination = { protocol: 'udp', address: '127.0.0.1', port: 5080 } as const;
    const request = buildRequest('OPTIONS', { ids });
    expect(await transport.request(encode(request), destination)).toEqual({ kind: 'timeout' });
    const replies = ['timeout', new Error('down')] as const;
    let call = 0;
    transport.respondWith(async (req, to) => {
      expect(to).toBe(destination);
      return call < replies.length ? replies[call++] : buildResponseText(req, 200, 'OK');
    });
    expect(await transport.request(encode(request), destination)).toEqual({ kind: 'timeout' });
    expect(await transport.request(encode(request), destination)).toMatchObject({ kind: 'transport-error', error: { message: 'down' } });
    expect(await transport.request(encode(request), destination)).toMatchObject({ kind: 'response', response: { status: 200 } });
    expect(transport.requests).toHaveLength(4);
    expect(transport.requests[0]).toMatchObject({ request: { method: 'OPTIONS' }, destination });
  });

  it('hands stray responses to onResponse', () => {
    const transport = new FakeTransport();
    expect(() => transport.deliverResponse(buildResponseText(buildRequest('OPTIONS', { ids }), 200, 'OK'))).toThrow('no handler');
    const seen: [number, number][] = [];
    transport.onResponse((response, source) => seen.push([response.status, source.port]));
    const response = transport.deliverResponse(buildResponseText(buildRequest('OPTIONS', { ids }), 486, 'Busy Here'), { port: 5099 });
    expect(response.status).toBe(486);
    expect(seen).toEqual([[486, 5099]]);
    expect(() => transport.deliverResponse(buildRequest('OPTIONS', { ids }))).toThrow('expected a response');
  });

  it('records stateless sends parsed back', async () => {
    const transport = new FakeTransport();
    await transport.send(encode(buildRequest('INVITE', { ids })), { protocol: 'tcp', address: '127.0.0.1', port: 5090 });
    expect(transport.sent[0]).toMatchObject({ message: { kind: 'request', method: 'INVITE' }, destination: { port: 5090 } });
  });

  it('waitForResponses resolves once enough responses were sent', async () => {
    const { transport } = answering();
    const waiting = transport.waitForResponses(2);
    transport.deliver(buildRequest('OPTIONS', { ids }));
    transport.deliver(buildRequest('OPTIONS', { ids }));
    expect((await waiting).map((r) => r.response.status)).toEqual([200, 200]);
  });

  it('throws ConfigError for test mistakes and after close', async () => {
    const transport = new FakeTransport();
    expect(() => transport.deliver(buildRequest('OPTIONS', { ids }))).toThrow('no handler');
    transport.onRequest(() => undefined);
    expect(() => transport.deliver('garbage')).toThrow(ConfigError);
    expect(() => transport.deliver(buildResponseText(buildRequest('OPTIONS', { ids }), 200, 'OK'))).toThrow('expected a request');
    expect(() => transport.lastResponse()).toThrow(ConfigError);
    transport.respondWith(() => 'not sip');
    await expect(transport.request(encode(buildRequest('OPTIONS', { ids })), { protocol: 'udp', address: '127.0.0.1', port: 1 })).rejects.toThrow(
      ConfigError,
    );
    expect(() => new FakeTransport({ endpoints: [] })).toThrow(ConfigError);
    await transport.close();
    expect(transport.closed).toBe(true);
    await expect(transport.send(encode('x'), { protocol: 'udp', address: '127.0.0.1', port: 1 })).rejects.toThrow('closed');
  });
});
