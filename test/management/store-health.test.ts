import { storeHealth } from '../../src/management/store-health';

describe('storeHealth (/health)', () => {
  it('ok once the store answers; not ok with why when it fails or does not answer in time', async () => {
    expect(await storeHealth(() => ({ aors: 0, bindings: 0 }), 1_000)()).toEqual({ ok: true });
    expect(await storeHealth(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390\nstack')), 1_000)()).toEqual({ ok: false, detail: 'the store failed: connect ECONNREFUSED 127.0.0.1:6390' });
    expect(await storeHealth(() => new Promise(() => undefined), 20)()).toEqual({ ok: false, detail: 'the store did not answer within 20 ms' });
  });
});
