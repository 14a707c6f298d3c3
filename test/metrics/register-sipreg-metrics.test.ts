import { Registry } from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { registerSipregMetrics } from '../../src/metrics/register-sipreg-metrics';
import { createSipregMetrics } from '../../src/metrics/create-sipreg-metrics';
import { createRegistrar } from '../../src/registrar/registrar';
import { createRegistrarServer } from '../../src/server/registrar-server';
import { createSourceGuard } from '../../src/auth/source-guard';
import { ConfigError } from '../../src/errors/sdk-error';
import { StoreError } from '../../src/errors/sdk-error';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister } from '../../src/testing/message-builders';
import { setup as midSetup } from '../mid-registrar/mid-harness';
import { harness, ok, record } from '../registrant/registrant-harness';
import { register } from '../registrar/sip-text';

const T0 = 1_700_000_000_000;
const settle = () => new Promise((r) => setImmediate(r));

/** Every sample of `name` as `labels → value` (`''` for a metric without labels). */
async function samples(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`${name} is not registered`);
  const got = (await metric.get()) as MetricObjectWithValues<MetricValue<string>>;
  const out: Record<string, number> = {};
  for (const v of got.values) out[Object.entries(v.labels).map(([k, l]) => `${k}=${l}`).join(',')] = v.value;
  return out;
}

describe('registerSipregMetrics', () => {
  it('after REGISTER traffic through the server: replies by code, accepted and rejected by reason, bindings, AORs, handling time', async () => {
    const clock = new ManualClock(T0);
    const transport = new FakeTransport();
    const registrar = createRegistrar({ clock, purgeIntervalMs: 0, maxContacts: 1, maxExpires: 3600 });
    const registry = new Registry();
    const metrics = registerSipregMetrics(registry, { registrar });
    createRegistrarServer({ registrar, transport, onRegisterAnswered: metrics.onRegisterAnswered });
    const ids = new IdSequence('metrics');
    transport.deliver(buildRegister({ aor: 'sip:alice@example.com', contacts: ['sip:alice@192.0.2.1'], ids }));
    transport.deliver(buildRegister({ aor: 'sip:bob@example.com', contacts: ['sip:bob@192.0.2.2'], ids }));
    transport.deliver(buildRegister({ aor: 'sip:carol@example.com', contacts: ['sip:carol@192.0.2.3', 'sip:carol@192.0.2.4'], ids }));
    await settle();
    expect(await samples(registry, 'sipreg_register_replies_total')).toEqual({ 'code=200': 2, 'code=503': 1 });
    expect(await samples(registry, 'sipreg_registers_accepted_total')).toEqual({ '': 2 });
    expect(await samples(registry, 'sipreg_registers_rejected_total')).toEqual({ 'reason=too-many-contacts': 1 });
    expect(await samples(registry, 'sipreg_bindings')).toEqual({ '': 2 });
    expect(await samples(registry, 'sipreg_aors')).toEqual({ '': 2 });
    expect(await samples(registry, 'sipreg_max_contacts')).toEqual({ '': 1 });
    expect(await samples(registry, 'sipreg_max_expires_seconds')).toEqual({ '': 3600 });
    const text = await registry.metrics();
    expect(text).toMatch(/^sipreg_register_handling_seconds_count 3$/m);
    expect(text).toMatch(/^sipreg_register_handling_seconds_bucket\{le="\+Inf"\} 3$/m);
    expect(text).toMatch(/^sipreg_bindings_expired_total 0$/m);
  });

  it('reads the store once per scrape however many metrics show it', async () => {
    const store = new MemoryLocationStore();
    let counts = 0;
    const count = store.count.bind(store);
    store.count = () => {
      counts++;
      return count();
    };
    const registry = new Registry();
    registerSipregMetrics(registry, { registrar: createRegistrar({ store, purgeIntervalMs: 0 }) });
    await registry.metrics();
    expect(counts).toBe(1);
  });

  it('a store that is away keeps the last scrape’s values (no counter drops to 0); the scrape still answers', async () => {
    const store = new MemoryLocationStore();
    const registrar = createRegistrar({ store, purgeIntervalMs: 0 });
    const registry = new Registry();
    const metrics = registerSipregMetrics(registry, { registrar });
    await registrar.save(register());
    expect(await registry.metrics()).toMatch(/^sipreg_registers_accepted_total 1$/m);
    store.count = (() => Promise.reject(new StoreError('redis: connection lost', { transient: true }))) as unknown as typeof store.count;
    metrics.onRegisterAnswered(200, 0.001);
    const text = await registry.metrics();
    expect(text).toMatch(/^sipreg_register_replies_total\{code="200"\} 1$/m);
    expect(text).toMatch(/^sipreg_registers_accepted_total 1$/m);
    expect(text).toMatch(/^sipreg_bindings 1$/m);
  });

  it('mid-registrar: REGISTERs forwarded and absorbed, de-REGISTERs, and its registrar’s metrics', async () => {
    const t = midSetup('mirror');
    const registry = new Registry();
    registerSipregMetrics(registry, { midRegistrar: t.mid });
    await t.register('sip:alice@example.com', [{ uri: 'sip:alice@192.0.2.7:5062', expires: 600 }]);
    await t.register('sip:alice@example.com', [{ uri: 'sip:alice@192.0.2.7:5062', expires: 600 }], { cseq: 2 });
    expect(await samples(registry, 'sipreg_mid_registrar_registers_total')).toEqual({ 'action=absorbed': 0, 'action=forwarded': 2 });
    expect(await samples(registry, 'sipreg_mid_registrar_deregisters_total')).toEqual({ 'outcome=sent': 0, 'outcome=failed': 0 });
    expect(await samples(registry, 'sipreg_bindings')).toEqual({ '': 1 });
  });

  it('registrants per state, every state shown', async () => {
    const h = await harness([record(), record({ aor: 'sip:bob@example.com', bindingUri: 'sip:bob@127.0.0.1:5060', enabled: false })], (request) => ok(request));
    const registry = new Registry();
    registerSipregMetrics(registry, { registrant: h.scheduler });
    const byState = await samples(registry, 'sipreg_registrants');
    expect(Object.keys(byState)).toHaveLength(10);
    expect(byState).toMatchObject({ 'state=REGISTERED': 1, 'state=NOT_REGISTERED': 1, 'state=REGISTERING': 0 });
    await h.scheduler.close({ unregister: false });
  });

  it('bans and rate-limited sources from the source guard', async () => {
    const clock = new ManualClock(T0);
    const guard = createSourceGuard({ clock, ban: { after: 2, window: 60, time: 600 } });
    const registry = new Registry();
    registerSipregMetrics(registry, { guard });
    guard.authFailed('192.0.2.66');
    guard.authFailed('192.0.2.66');
    expect(await samples(registry, 'sipreg_source_bans_total')).toEqual({ '': 1 });
    expect(await samples(registry, 'sipreg_source_bans')).toEqual({ '': 1 });
    expect(await samples(registry, 'sipreg_source_rate_limited_total')).toEqual({ '': 0 });
  });

  it('refuses a second registration on the same registry with a ConfigError saying what to do', () => {
    const registry = new Registry();
    registerSipregMetrics(registry, {});
    expect(() => registerSipregMetrics(registry, {})).toThrow(ConfigError);
    expect(() => registerSipregMetrics(registry, {})).toThrow(/once per registry/);
  });
});

describe('createSipregMetrics', () => {
  it('a registry of its own with the Node process metrics and the Prometheus text content type', async () => {
    const endpoint = createSipregMetrics({});
    expect(endpoint.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await endpoint.metrics();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE sipreg_register_handling_seconds histogram');
    expect(await createSipregMetrics({}, { processMetrics: false }).metrics()).not.toContain('process_cpu');
  });
});
