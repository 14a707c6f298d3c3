import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import { serverErrorHeaders } from '../../src/registrar/reply';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { StoreError } from '../../src/errors/sdk-error';
import { regError } from '../../src/errors/reg-error';
import type { RegErrorCode } from '../../src/errors/reg-error';
import type { LocationStore } from '../../src/ports/location-store';
import { register, res } from './sip-text';

const T0 = 1_700_000_000_000;

/** A store whose commits fail with `error`, or always conflict when `error` is undefined. */
function failingCommits(error: Error | undefined): LocationStore {
  const inner = new MemoryLocationStore();
  return {
    load: (a) => inner.load(a),
    commit: () => {
      if (error !== undefined) throw error;
      return { ok: false, conflict: true };
    },
    expiredAors: (n, l) => inner.expiredAors(n, l), aors: () => inner.aors(), count: () => inner.count(), close: () => inner.close(),
  };
}

/** An authenticator that refuses every REGISTER with `code`. */
const refusing = (code: RegErrorCode): RegistrarOptions['auth'] => ({ authenticate: () => ({ ok: false, error: regError(code), failed: false }) });

async function answer(options: RegistrarOptions, contacts?: string[]) {
  const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0, ...options });
  await registrar.save(register({ callId: 'first', contacts: ['<sip:alice@h0>'] }));
  return res((await registrar.save(register({ contacts }))).response);
}

describe('registrar: Retry-After on every 5xx when retry_after is set (OpenSIPS registrar retry_after, RFC 3261 §20.33)', () => {
  const cases: [string, RegistrarOptions, number, string[] | undefined][] = [
    ['500 for a store failure', { store: failingCommits(new StoreError('disk full')) }, 500, undefined],
    ['500 for an address-of-record that kept changing', { store: failingCommits(undefined), maxCommitAttempts: 2 }, 500, undefined],
    ['503 over max_contacts', { maxContacts: 1 }, 503, undefined],
    ['500 when the credential store failed', { auth: refusing('credentials-failure') }, 500, undefined],
    ['503 when the credential store is away', { auth: refusing('credentials-unavailable') }, 503, undefined],
    ['555 for a push provider not supported', { push: { enabled: true, providers: ['apns'] } }, 555, ['<sip:alice@h1;pn-provider=fcm;pn-prid=x;pn-param=y>']],
  ];

  it.each(cases)('%s carries Retry-After: retryAfter', async (_name, options, status, contacts) => {
    const reply = await answer({ ...options, retryAfter: 30 }, contacts);
    expect(reply.status).toBe(status);
    expect(reply.headerAll('Retry-After')).toEqual(['30']);
  });

  it.each(cases)('%s carries none when retryAfter is 0', async (_name, options, status, contacts) => {
    const reply = await answer(options, contacts);
    expect(reply.status).toBe(status);
    expect(reply.header('Retry-After')).toBeUndefined();
  });

  it('keeps the 503 of a store that is away at its own value, once (storeRetryAfterSec: 5 s without retryAfter)', async () => {
    const reply = await answer({ store: failingCommits(new StoreError('busy', { transient: true })) });
    expect(reply.status).toBe(503);
    expect(reply.headerAll('Retry-After')).toEqual(['5']);
  });

  it('puts none on a 4xx', async () => {
    const reply = await answer({ retryAfter: 30 }, ['<sip:alice@h1>;q=7']);
    expect(reply.status).toBe(400);
    expect(reply.header('Retry-After')).toBeUndefined();
  });

  it('serverErrorHeaders gives the header for a 500 the host answers itself, none when retryAfter is 0', () => {
    expect(serverErrorHeaders({ retryAfter: 30 })).toEqual([['Retry-After', '30']]);
    expect(serverErrorHeaders({ retryAfter: 0 })).toEqual([]);
  });
});
