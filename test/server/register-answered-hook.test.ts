import { createRegistrar } from '../../src/registrar/registrar';
import { createRegistrarServer } from '../../src/server/registrar-server';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildRequest } from '../../src/testing/message-builders';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';

const settle = () => new Promise((r) => setImmediate(r));

describe('registrar server onRegisterAnswered (REGISTER handling time for /metrics)', () => {
  it('reports each REGISTER reply handed to the transport with its status and the seconds it took; other requests are not reported', async () => {
    const transport = new FakeTransport();
    const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0, domains: ['example.com'] });
    const answered: [number, number][] = [];
    createRegistrarServer({ registrar, transport, onRegisterAnswered: (status, seconds) => answered.push([status, seconds]) });
    const ids = new IdSequence('hook');
    transport.deliver(buildRegister({ aor: 'sip:alice@example.com', contacts: ['sip:alice@192.0.2.1'], ids }));
    transport.deliver(buildRegister({ aor: 'sip:alice@elsewhere.org', contacts: ['sip:alice@192.0.2.1'], ids }));
    transport.deliver(buildRequest('OPTIONS', { to: 'sip:127.0.0.1:5060', ids }));
    await settle();
    expect(answered.map(([status]) => status)).toEqual([200, 404]);
    for (const [, seconds] of answered) expect(seconds).toBeGreaterThanOrEqual(0);
    expect(transport.responses.map((r) => r.response.status)).toEqual([200, 404, 200]);
  });

  it('times a REGISTER answered asynchronously (a store that answers with promises) up to its reply', async () => {
    const store = new MemoryLocationStore();
    const load = store.load.bind(store);
    store.load = ((aor: string) => Promise.resolve(load(aor))) as unknown as typeof store.load;
    const transport = new FakeTransport();
    const answered: number[] = [];
    createRegistrarServer({ registrar: createRegistrar({ store, purgeIntervalMs: 0 }), transport, onRegisterAnswered: (status) => answered.push(status) });
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: ['sip:bob@192.0.2.2'], ids: new IdSequence('async') }));
    expect(answered).toEqual([]);
    await settle();
    await settle();
    expect(answered).toEqual([200]);
  });
});
