import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import type { SaveOptions } from '../../src/registrar/save-options';
import { ManualClock } from '../../src/testing/manual-clock';
import type { Source } from '../../src/ports/transport';
import { parseSaveFlags } from '../../src/registrar/parse-save-flags';
import { flowTokenOf, isDatagramFlow } from '../../src/features/outbound/flow-token';
import { register, res } from '../registrar/sip-text';
import type { SipRequest } from '../../src/sip/message';

const T0 = 1_700_000_000_000;
const tcpSource: Source = {
  protocol: 'tcp', address: '203.0.113.7', port: 40000, connectionId: 'tcp#17',
  local: { protocol: 'tcp', address: '127.0.0.1', port: 5060 },
};
const EDGE_VIA = 'Via: SIP/2.0/UDP edge.example.net;branch=z9hG4bK-edge';

function setup(options: RegistrarOptions = {}) {
  const clock = new ManualClock(T0);
  const registrar = createRegistrar({ clock, purgeIntervalMs: 0, ...options });
  return { clock, registrar };
}

async function save(registrar: ReturnType<typeof createRegistrar>, request: SipRequest, options?: SaveOptions) {
  const r = await registrar.save(request, options);
  return { r, reply: res(r.response) };
}

/** A REGISTER that crossed an edge proxy: its Via on top, its Path. */
function viaEdge(path: string, extra: string[] = [], contacts?: string[]) {
  return register({ contacts, extra: [EDGE_VIA, `Path: ${path}`, ...extra] });
}

describe('Path (RFC 3327) through save flags', () => {
  it('parses p0/p1/p2/v and the named forms', () => {
    expect(parseSaveFlags('p2v')).toEqual({ path: 'strict', pathReceived: true });
    expect(parseSaveFlags('p0')).toEqual({ path: 'off' });
    expect(parseSaveFlags('path-lazy, path-received')).toEqual({ path: 'lazy', pathReceived: true });
    expect(() => parseSaveFlags('p7')).toThrow(/p0 off, p1 lazy, p2 strict/);
  });

  it('strict: 420 with Unsupported: path and the Path echoed when the UA did not send Supported: path; nothing saved', async () => {
    const { registrar } = setup();
    const { r, reply } = await save(registrar, viaEdge('<sip:edge.example.net;lr>'), { path: 'strict' });
    expect(r.status).toBe(420);
    expect(reply.header('unsupported')).toBe('path');
    expect(reply.header('path')).toBe('<sip:edge.example.net;lr>');
    expect(await registrar.bindings('alice@example.com')).toEqual([]);
  });

  it('strict with Supported: path stores the Path and echoes it', async () => {
    const { registrar } = setup();
    const { r, reply } = await save(registrar, viaEdge('<sip:edge.example.net;lr>', ['Supported: path']), { path: 'strict' });
    expect(r.status).toBe(200);
    expect(reply.header('path')).toBe('<sip:edge.example.net;lr>');
    expect((await registrar.bindings('alice@example.com'))[0].path).toEqual(['<sip:edge.example.net;lr>']);
  });

  it('lazy echoes only with Supported: path; off stores but never echoes; no mode stores nothing', async () => {
    const { registrar } = setup();
    expect((await save(registrar, viaEdge('<sip:p1;lr>'), { path: 'lazy' })).reply.header('path')).toBeUndefined();
    expect((await save(registrar, viaEdge('<sip:p1;lr>', ['Supported: path'], ['<sip:alice@192.0.2.10:5062>']), { path: 'lazy' })).reply.header('path')).toBe('<sip:p1;lr>');
    const off = await save(registrar, viaEdge('<sip:p1;lr>', ['Supported: path'], ['<sip:alice@192.0.2.10:5063>']), { path: 'off' });
    expect(off.reply.header('path')).toBeUndefined();
    const none = setup();
    await save(none.registrar, viaEdge('<sip:p1;lr>'));
    expect((await none.registrar.bindings('alice@example.com'))[0].path).toBeUndefined();
    expect((await registrar.bindings('alice@example.com')).every((b) => b.path?.[0] === '<sip:p1;lr>')).toBe(true);
  });

  it('keeps several Path values top first, and lookup returns them as the route set with the first Path URI as destination', async () => {
    const { registrar } = setup();
    await save(registrar, viaEdge('<sip:p2.example.net;lr>, <sip:p1.example.net;lr>', ['Supported: path']), { path: 'lazy' });
    const found = await registrar.lookup('sip:alice@example.com');
    if (found.kind !== 'found') throw new Error(found.kind);
    expect(found.targets[0].route).toEqual(['<sip:p2.example.net;lr>', '<sip:p1.example.net;lr>']);
    expect(found.targets[0].destination).toBe('sip:p2.example.net;lr');
    expect(found.targets[0].uri).toBe('sip:alice@192.0.2.10:5060');
  });

  it('v: the received parameter of the first Path URI becomes the binding received address (NAT flag set)', async () => {
    const { registrar } = setup();
    // Kamailio's path module escapes the value; a plain one is also valid URI parameter syntax.
    await save(registrar, viaEdge('<sip:lb.example.net;lr;received=sip%3A198.51.100.9%3A41000>', ['Supported: path']), parseSaveFlags('p1v'));
    await save(registrar, viaEdge('<sip:lb.example.net;lr;received=sip:198.51.100.8:41001>', ['Supported: path'], ['<sip:alice@192.0.2.10:5099>']), parseSaveFlags('p1v'));
    const [a, b] = await registrar.bindings('alice@example.com');
    expect(a.received).toBe('sip:198.51.100.9:41000');
    expect(a.flags & 1).toBe(1);
    expect(b.received).toBe('sip:198.51.100.8:41001');
    await save(registrar, viaEdge('<sip:lb.example.net;lr;received=sip:198.51.100.8:41001>', ['Supported: path'], ['<sip:alice@192.0.2.10:5098>']), parseSaveFlags('p1'));
    expect((await registrar.bindings('alice@example.com'))[2].received).toBeUndefined();
  });

  it('adds the configured Service-Route to every 200 (RFC 3608)', async () => {
    const { registrar } = setup({ serviceRoute: ['<sip:orig@scscf.example.com;lr>'] });
    const { reply } = await save(registrar, register());
    expect(reply.header('service-route')).toBe('<sip:orig@scscf.example.com;lr>');
  });
});

describe('Outbound (RFC 5626)', () => {
  const ob = (uri: string, regId = 1) => `<${uri}>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=${regId}`;

  it('a flow replaces the binding with the same instance and reg-id whatever its URI, and records the flow', async () => {
    const { registrar } = setup();
    const first = await save(registrar, register({ contacts: [ob('sip:alice@10.0.0.1:5060;transport=tcp')], extra: ['Supported: outbound'] }), { source: tcpSource });
    expect(first.reply.header('require')).toBe('outbound');
    await save(registrar, register({ cseq: 2, contacts: [ob('sip:alice@10.0.0.99:6000;transport=tcp')], extra: ['Supported: outbound'] }), { source: tcpSource });
    const bs = await registrar.bindings('alice@example.com');
    expect(bs).toHaveLength(1);
    expect(bs[0].contact).toBe('sip:alice@10.0.0.99:6000;transport=tcp');
    expect(bs[0].regId).toBe(1);
    expect(bs[0].instanceId).toBe('<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>');
    expect(bs[0].flow).toBe(flowTokenOf(tcpSource));
    await save(registrar, register({ cseq: 3, contacts: [ob('sip:alice@10.0.0.98:6000;transport=tcp', 2)] }), { source: tcpSource });
    expect(await registrar.bindings('alice@example.com')).toHaveLength(2);
  });

  it('ignores reg-id without +sip.instance', async () => {
    const { registrar } = setup();
    await save(registrar, register({ contacts: ['<sip:alice@10.0.0.1>;reg-id=1'], extra: ['Supported: outbound'] }));
    expect((await registrar.bindings('alice@example.com'))[0].regId).toBeUndefined();
  });

  it('439 when the edge proxy did not add an ob Path and the UA supports outbound; reg-id ignored when it does not', async () => {
    const { registrar } = setup();
    const refused = await save(registrar, viaEdge('<sip:edge.example.net;lr>', ['Supported: outbound, path'], [ob('sip:alice@10.0.0.1')]), { path: 'lazy' });
    expect(refused.r.status).toBe(439);
    const plain = await save(registrar, viaEdge('<sip:edge.example.net;lr>', ['Supported: path'], [ob('sip:alice@10.0.0.1')]), { path: 'lazy' });
    expect(plain.r.status).toBe(200);
    expect((await registrar.bindings('alice@example.com'))[0].regId).toBeUndefined();
    const viaOb = await save(registrar, viaEdge('<sip:edge.example.net;lr;ob>', ['Supported: outbound, path'], [ob('sip:alice@10.0.0.2')]), { path: 'lazy' });
    expect(viaOb.r.status).toBe(200);
    expect(viaOb.reply.header('require')).toBe('outbound');
  });

  it('400 for two flow Contacts in one REGISTER', async () => {
    const { registrar } = setup();
    const { r } = await save(registrar, register({ contacts: [ob('sip:alice@10.0.0.1', 1), ob('sip:alice@10.0.0.2', 2)] }));
    expect(r.status).toBe(400);
  });

  it('announces Flow-Timer when configured', async () => {
    const { registrar } = setup({ outbound: { flowTimer: 120 } });
    const { reply } = await save(registrar, register({ contacts: [ob('sip:alice@10.0.0.1')], extra: ['Supported: outbound'] }), { source: tcpSource });
    expect(reply.header('flow-timer')).toBe('120');
  });

  it('flowFailed() removes the bindings on a dead flow and emits deleted; others stay', async () => {
    const { registrar } = setup();
    const deleted: string[] = [];
    registrar.on('deleted', (c) => deleted.push(c.binding.contact));
    await save(registrar, register({ contacts: [ob('sip:alice@10.0.0.1;transport=tcp')] }), { source: tcpSource });
    await save(registrar, register({ user: 'bob', contacts: ['<sip:bob@10.0.0.5>'] }), { source: tcpSource });
    expect(await registrar.flowFailed(flowTokenOf(tcpSource))).toBe(1);
    expect(deleted).toEqual(['sip:alice@10.0.0.1;transport=tcp']);
    expect(await registrar.bindings('alice@example.com')).toEqual([]);
    expect(await registrar.bindings('bob@example.com')).toHaveLength(1);
    expect(await registrar.flowFailed('tcp#unknown')).toBe(0);
  });

  it('datagram flows keep their token on the binding but are not indexed for flowFailed() (no connection of theirs closes)', async () => {
    const { registrar } = setup();
    const udpSource: Source = { protocol: 'udp', address: '192.0.2.7', port: 5060, local: { protocol: 'udp', address: '192.0.2.1', port: 5060 } };
    await save(registrar, register({ contacts: [ob('sip:alice@192.0.2.7')] }), { source: udpSource });
    const [binding] = await registrar.bindings('alice@example.com');
    expect(binding.flow).toBe(flowTokenOf(udpSource));
    expect(isDatagramFlow(binding.flow ?? '')).toBe(true);
    expect(isDatagramFlow(flowTokenOf(tcpSource))).toBe(false);
    expect(await registrar.flowFailed(flowTokenOf(udpSource))).toBe(0);
    expect(await registrar.bindings('alice@example.com')).toHaveLength(1);
  });

  it('with outbound disabled, reg-id is ignored and Contacts match by URI', async () => {
    const { registrar } = setup({ outbound: { enabled: false } });
    await save(registrar, register({ contacts: [ob('sip:alice@10.0.0.1')], extra: ['Supported: outbound'] }));
    const { reply } = await save(registrar, register({ cseq: 2, contacts: [ob('sip:alice@10.0.0.2')], extra: ['Supported: outbound'] }));
    expect(reply.header('require')).toBeUndefined();
    expect(await registrar.bindings('alice@example.com')).toHaveLength(2);
  });
});
