import { createRegistrar } from '../../src/registrar/registrar';
import { ManualClock } from '../../src/testing/manual-clock';
import { register, res } from './sip-text';

/** 2023-11-14T22:13:20.000Z */
const T0 = 1_700_000_000_000;

describe('registrar reply: Date header (RFC 3261 §10.3 step 8, §20.17)', () => {
  it('puts the registrar clock\'s time in a Date header of the 200, in RFC 1123 GMT form', async () => {
    const clock = new ManualClock(T0 + 999);
    const registrar = createRegistrar({ clock, purgeIntervalMs: 0 });
    const reply = res((await registrar.save(register())).response);
    expect(reply.status).toBe(200);
    expect(reply.header('Date')).toBe('Tue, 14 Nov 2023 22:13:20 GMT');
    clock.advance(1);
    expect(res((await registrar.save(register({ cseq: 2 }))).response).header('Date')).toBe('Tue, 14 Nov 2023 22:13:21 GMT');
    clock.advance(86_400_000);
    expect(res((await registrar.save(register({ cseq: 3 }))).response).header('Date')).toBe('Wed, 15 Nov 2023 22:13:21 GMT');
  });

  it('follows each registrar\'s own clock', async () => {
    const a = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
    const b = createRegistrar({ clock: new ManualClock(0), purgeIntervalMs: 0 });
    expect(res((await a.save(register())).response).header('Date')).toBe('Tue, 14 Nov 2023 22:13:20 GMT');
    expect(res((await b.save(register())).response).header('Date')).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('is only on the 2xx: an error reply carries none', async () => {
    const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
    const reply = res((await registrar.save(register({ contacts: ['<sip:alice@h1>;q=7'] }))).response);
    expect(reply.status).toBe(400);
    expect(reply.header('Date')).toBeUndefined();
  });
});
