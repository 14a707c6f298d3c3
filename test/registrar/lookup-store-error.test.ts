import { createRegistrar } from '../../src/registrar/registrar';
import type { LookupResult } from '../../src/registrar/select-targets';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { StoreError } from '../../src/errors/sdk-error';
import type { LocationStore } from '../../src/ports/location-store';

const T0 = 1_700_000_000_000;
const PUB_GRUU = 'sip:alice@example.com;gr=urn:uuid:00000000-0000-4000-8000-000000000001';

type Failure = 'throws' | 'rejects';

/** A memory store whose reads fail, by throwing or by rejecting with `error`, once `broken` is set. */
function failingReads(how: Failure, error: Error, batched: boolean) {
  const inner = new MemoryLocationStore();
  const state = { broken: false };
  const fail = (): never => {
    throw error;
  };
  const read = <T>(ok: () => T): T | Promise<T> => {
    if (!state.broken) return ok();
    return how === 'throws' ? fail() : Promise.reject(error);
  };
  const store: LocationStore = {
    load: (a) => read(() => inner.load(a)),
    commit: (a, v, b) => inner.commit(a, v, b),
    expiredAors: (n, l) => inner.expiredAors(n, l), aors: () => inner.aors(), count: () => inner.count(), close: () => inner.close(),
    ...(batched ? { loadManyIn: (t: readonly string[], s: ArrayLike<number>, e: ArrayLike<number>) => read(() => inner.loadManyIn(t, s, e)) } : {}),
  };
  return { store, state };
}

const expected = (aor: string, error: Error, transient: boolean): LookupResult => ({ kind: 'error', code: -3, aor, error, transient });

describe.each<Failure>(['throws', 'rejects'])('registrar lookup when the location store fails (store %s): OpenSIPS lookup() -3', (how) => {
  const transient = new StoreError('redis is away', { transient: true });
  const broken = new StoreError('disk gone');

  it.each([[transient, true], [broken, false]] as const)('answers kind error, code -3, with the error and whether it is transient (%s)', async (error, isTransient) => {
    const { store, state } = failingReads(how, error, false);
    const registrar = createRegistrar({ clock: new ManualClock(T0), store, purgeIntervalMs: 0 });
    state.broken = true;
    await expect(registrar.lookup('sip:alice@example.com')).resolves.toEqual(expected('alice@example.com', error, isTransient));
    await expect(registrar.lookup('sip:alice@example.com', { branchAors: ['sip:bob@example.com'] })).resolves.toEqual(expected('alice@example.com', error, isTransient));
  });

  it('answers it for a GRUU Request-URI (RFC 5627 §6.1) too', async () => {
    const { store, state } = failingReads(how, transient, false);
    const registrar = createRegistrar({ clock: new ManualClock(T0), store, purgeIntervalMs: 0, gruu: { enabled: true } });
    state.broken = true;
    await expect(registrar.lookup(PUB_GRUU)).resolves.toEqual(expected('alice@example.com', transient, true));
  });

  it.each([false, true])('answers it for each request of lookupMany (store with loadManyIn: %s), in order', async (batched) => {
    const { store, state } = failingReads(how, broken, batched);
    const registrar = createRegistrar({ clock: new ManualClock(T0), store, purgeIntervalMs: 0 });
    state.broken = true;
    const results = await registrar.lookupMany(['sip:alice@example.com', 'tel:+15551234', 'sip:bob@example.com']);
    expect(results).toEqual([
      expected('alice@example.com', broken, false),
      { kind: 'not-found', code: -1, aor: 'tel:+15551234' },
      expected('bob@example.com', broken, false),
    ]);
  });
});
