import { network, type Network } from './reginfo-harness';

describe('two nodes, B subscribed to A', () => {
  let net: Network;
  afterEach(async () => net.close());

  it('B learns a registration on A and loses it on de-registration', async () => {
    net = network([{ name: 'A' }, { name: 'B', reginfo: { outboundProxy: 'sip:127.0.0.1:5071' } }]);
    const [a, b] = net.nodes;
    const sub = await b.reginfo.subscribe('sip:alice@example.com', 600);
    expect(sub.status).toBe('active');
    await net.step(0);
    expect(await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.10:5060', 300)).toBe(200);
    await net.step(0);
    const learned = await b.registrar.bindings('alice@example.com');
    expect(learned.map((x) => x.contact)).toEqual(['sip:alice@192.0.2.10:5060']);
    expect(await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.10:5060', 0)).toBe(200);
    await net.step(0);
    expect(await b.registrar.bindings('alice@example.com')).toEqual([]);
  });
});
