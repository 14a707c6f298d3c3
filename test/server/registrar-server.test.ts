import { createRegistrar } from '../../src/registrar/registrar';
import { createRegistrarServer } from '../../src/server/registrar-server';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../src/testing/message-builders';
import type { SipRequest } from '../../src/sip/message';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { StoreError } from '../../src/errors/sdk-error';

const settle = () => new Promise((r) => setImmediate(r));

function setup() {
  const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }] });
  const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0, receivedMode: 'nat' });
  const server = createRegistrarServer({ registrar, transport, lookupOptions: { methodFiltering: true } });
  return { transport, registrar, server, ids: new IdSequence('srv') };
}

describe('registrar server (CLI behaviour)', () => {
  it('answers REGISTER and forwards an INVITE statelessly to the registered contact', async () => {
    const { transport, ids, server } = setup();
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: ['sip:bob@192.0.2.20:5062'], ids }), { address: '192.0.2.20', port: 5062 });
    await settle();
    expect(transport.lastResponse().status).toBe(200);
    transport.deliver(buildRequest('INVITE', { to: 'sip:bob@example.com', maxForwards: 10, ids }), { address: '198.51.100.9', port: 5070 });
    await settle();
    expect(transport.sent).toHaveLength(1);
    const forwarded = transport.sent[0].message as SipRequest;
    expect(forwarded.uri).toBe('sip:bob@192.0.2.20:5062');
    expect(forwarded.maxForwards).toBe(9);
    expect(forwarded.via[0].host).toBe('127.0.0.1');
    expect(forwarded.via[0].branch).toMatch(/^z9hG4bK/);
    expect(forwarded.via).toHaveLength(2);
    expect(transport.sent[0].destination).toEqual({ protocol: 'udp', address: '192.0.2.20', port: 5062 });
    expect(server.counters.forwarded).toBe(1);
  });

  it('answers 404 for unknown AORs, 483 when Max-Forwards is 0, 200 to OPTIONS for itself, 405 when no binding allows the method', async () => {
    const { transport, ids } = setup();
    for (const text of [
      buildRequest('INVITE', { to: 'sip:nobody@example.com', ids }),
      buildRequest('INVITE', { to: 'sip:nobody@example.com', maxForwards: 0, ids }),
      buildRequest('OPTIONS', { to: 'sip:127.0.0.1:5060', ids }),
      buildRegister({ aor: 'sip:carol@example.com', contacts: ['sip:carol@192.0.2.30'], allow: ['INVITE', 'BYE'], ids }),
      buildRequest('MESSAGE', { to: 'sip:carol@example.com', ids }),
    ]) {
      transport.deliver(text);
      await settle();
    }
    expect(transport.responses.map((r) => r.response.status)).toEqual([404, 483, 200, 200, 405]);
    expect(transport.responses[2].response.header('Allow')).toContain('REGISTER');
  });

  it('answers 500 when the next hop cannot be sent to: a 503 from it (RFC 3261 §16.9), sent upstream as 500 (§16.7 step 6)', async () => {
    const { transport, ids, server } = setup();
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: ['sip:bob@192.0.2.20:5062'], ids }));
    await settle();
    transport.send = () => Promise.reject(new Error('EINVAL'));
    transport.deliver(buildRequest('INVITE', { to: 'sip:bob@example.com', ids }));
    await settle();
    await settle();
    expect(transport.responses.map((r) => r.response.status)).toEqual([200, 100, 500]);
    expect(server.counters.forwarded).toBe(0);
  });

  it('answers a request it cannot look up for a store that is away with 503 + Retry-After, and 500 (+ retry_after) for a broken store', async () => {
    const store = new MemoryLocationStore();
    const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }] });
    createRegistrarServer({ registrar: createRegistrar({ store, purgeIntervalMs: 0, retryAfter: 9 }), transport });
    const ids = new IdSequence('down');
    const failWith = (error: StoreError): void => {
      store.load = (() => Promise.reject(error)) as unknown as typeof store.load;
    };
    failWith(new StoreError('redis: connection lost', { transient: true }));
    transport.deliver(buildRequest('INVITE', { to: 'sip:bob@example.com', ids }));
    await settle();
    await settle();
    expect([transport.lastResponse().status, transport.lastResponse().header('Retry-After')]).toEqual([503, '9']);
    failWith(new StoreError('bad schema'));
    transport.deliver(buildRequest('INVITE', { to: 'sip:bob@example.com', ids }));
    await settle();
    await settle();
    expect([transport.lastResponse().status, transport.lastResponse().header('Retry-After')]).toEqual([500, '9']);
  });

  it('absorbs a REGISTER retransmitted while the first copy is still being saved, so it is applied once (RFC 3261 §17.2.2)', async () => {
    const memory = new MemoryLocationStore();
    const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }] });
    const registrar = createRegistrar({ store: memory, purgeIntervalMs: 0 });
    createRegistrarServer({ registrar, transport });
    // A slow networked store: each commit waits until released.
    const releases: (() => void)[] = [];
    const commit = memory.commit.bind(memory);
    memory.commit = ((...args: Parameters<typeof commit>) => new Promise((resolve) => releases.push(() => resolve(commit(...args))))) as unknown as typeof memory.commit;
    const ids = new IdSequence('slow');
    const first = buildRegister({ aor: 'sip:dan@example.com', contacts: [{ uri: 'sip:dan@192.0.2.40', expires: 600 }], callId: 'dan-1', cseq: 1, ids });
    transport.deliver(first);
    await settle();
    transport.deliver(first);
    transport.deliver(first);
    await settle();
    expect(releases).toHaveLength(1);
    releases.shift()!();
    await settle();
    await settle();
    expect(transport.responses.map((r) => r.response.status)).toEqual([200]);
    // The UA de-registers once answered; a late copy of the first REGISTER then gets the first
    // response again (Completed state) and cannot re-create the binding.
    transport.deliver(buildRegister({ aor: 'sip:dan@example.com', contacts: [{ uri: 'sip:dan@192.0.2.40', expires: 0 }], callId: 'dan-1', cseq: 2, ids }));
    await settle();
    releases.shift()!();
    await settle();
    await settle();
    expect(await registrar.bindings('dan@example.com')).toEqual([]);
    transport.deliver(first);
    await settle();
    expect(releases).toHaveLength(0);
    const statuses = transport.responses.map((r) => r.response.status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(transport.responses[2].data).toEqual(transport.responses[0].data);
    expect(await registrar.bindings('dan@example.com')).toEqual([]);
  });

  it('drops the bindings of an outbound flow when the transport reports its connection closed (RFC 5626 §5.4)', async () => {
    const { transport, registrar, ids } = setup();
    const flow = { protocol: 'tcp' as const, address: '192.0.2.20', port: 40000, connectionId: 'tcp#9' };
    transport.deliver(buildRegister({
      aor: 'sip:bob@example.com', via: { transport: 'TCP' }, supported: ['outbound'], ids,
      contacts: [{ uri: 'sip:bob@192.0.2.20:40000;transport=tcp', params: { '+sip.instance': '"<urn:uuid:1>"', 'reg-id': '1' } }],
    }), flow);
    transport.deliver(buildRegister({ aor: 'sip:carol@example.com', contacts: ['sip:carol@192.0.2.30'], ids }));
    await settle();
    expect(transport.responses.map((r) => r.response.header('Require'))).toEqual(['outbound', undefined]);
    transport.closeFlow('tcp#8');
    transport.closeFlow('tcp#9');
    await settle();
    expect(await registrar.bindings('bob@example.com')).toEqual([]);
    expect(await registrar.bindings('carol@example.com')).toHaveLength(1);
  });

  it('relays a response to a forwarded request back along the Via path, through its server transaction', async () => {
    const { transport, ids } = setup();
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: ['sip:bob@192.0.2.20:5062'], ids }));
    await settle();
    transport.deliver(buildRequest('MESSAGE', { to: 'sip:bob@example.com', via: { host: '198.51.100.9', port: 5070 }, ids }), { address: '198.51.100.9', port: 5070 });
    await settle();
    const forwarded = transport.sent[0].message as SipRequest;
    const vias = forwarded.via.map((v) => `Via: ${v.raw}`).join('\r\n');
    transport.deliverResponse([
      'SIP/2.0 200 OK', vias, `From: ${forwarded.from.raw}`, `To: ${forwarded.to.raw};tag=x`, `Call-ID: ${forwarded.callId}`,
      `CSeq: ${forwarded.cseq.seq} MESSAGE`, 'Content-Length: 0', '', '',
    ].join('\r\n'), { address: '192.0.2.20', port: 5062 });
    await settle();
    expect(transport.sent).toHaveLength(1);
    const relayed = transport.lastResponse();
    expect(relayed.status).toBe(200);
    expect(relayed.via).toHaveLength(1);
    expect(relayed.via[0].host).toBe('198.51.100.9');
  });
});
