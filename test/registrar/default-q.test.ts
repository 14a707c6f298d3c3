import { createRegistrar } from '../../src/registrar/registrar';
import { resolveRegistrarOptions } from '../../src/registrar/registrar-options';
import { ManualClock } from '../../src/testing/manual-clock';
import { register, replyContacts, res } from './sip-text';

const T0 = 1_700_000_000_000;

/**
 * OpenSIPS's manual says `default_q` defaults to 0, its code to `Q_UNSPECIFIED` (-1): sipreg
 * follows the code (see `RegistrarOptions.defaultQ`).
 */
describe('registrar: default_q as OpenSIPS runs it (unspecified, not 0)', () => {
  it('defaults to -1: a Contact without q is stored unspecified and its q is not echoed', async () => {
    expect(resolveRegistrarOptions().defaultQ).toBe(-1);
    const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
    const reply = res((await registrar.save(register({ contacts: ['<sip:alice@h1>'] }))).response);
    expect(replyContacts(reply)[0].params.q).toBeUndefined();
    expect((await registrar.bindings('alice@example.com'))[0].q).toBe(-1);
  });

  it('orders an unspecified q after an explicit q=0, as usrloc sorts q numerically', async () => {
    const clock = new ManualClock(T0);
    const registrar = createRegistrar({ clock, purgeIntervalMs: 0 });
    await registrar.save(register({ callId: 'zero', contacts: ['<sip:alice@h-zero>;q=0'] }));
    clock.advance(1000);
    await registrar.save(register({ callId: 'none', contacts: ['<sip:alice@h-none>'] }));
    const found = await registrar.lookup('sip:alice@example.com');
    expect(found.kind === 'found' && found.targets.map((t) => [t.uri, t.q])).toEqual([['sip:alice@h-zero', 0], ['sip:alice@h-none', -1]]);
  });

  it('defaultQ: 0 (the manual\'s value) stores and echoes q=0', async () => {
    const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0, defaultQ: 0 });
    const reply = res((await registrar.save(register({ contacts: ['<sip:alice@h1>'] }))).response);
    expect(replyContacts(reply)[0].params.q).toBe('0');
    expect((await registrar.bindings('alice@example.com'))[0].q).toBe(0);
  });
});
