import { MI_ERROR_CODES, type MiCommand } from '../../src/management/mi-command';
import { registrantCommands } from '../../src/management/registrant-commands';
import { MemoryRegistrantStore } from '../../src/stores/memory-registrant-store';
import { buildResponseText } from '../../src/testing/message-builders';
import { runMiCommand } from '../helpers/run-mi-command';
import { contactExpires, harness, ok, record, T0, type Harness } from '../registrant/registrant-harness';

const ALICE = { aor: 'sip:alice@example.com', contact: 'sip:alice@127.0.0.1:5060', registrar: 'sip:127.0.0.1:5070' };
const BOB = { ...ALICE, aor: 'sip:bob@example.com' };

/** Registrants alice (registered) and bob (rejected 403) on a manual clock, with their MI commands. */
async function setup(store?: MemoryRegistrantStore): Promise<Harness & { readonly commands: MiCommand[]; call(name: string, params?: Record<string, unknown>): Promise<unknown> }> {
  const h = await harness([record({ bindingParams: ';reg-id=1', proxy: 'sip:127.0.0.1:5070;lr', clusterShtag: 'vip/2' }), record({ aor: BOB.aor })], (r) => (r.to.uri === BOB.aor
    ? buildResponseText(r, 403, 'Forbidden')
    : ok(r)), { timerIntervalSec: 4, hashSize: 0, backoffBaseSec: 0, failureRetryIntervalSec: 3600 });
  const commands = registrantCommands(h.scheduler, store);
  return { ...h, commands, call: (name, params) => runMiCommand(commands, name, params) };
}

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => { throw new Error('resolved'); }, (e: unknown) => e);

describe('registrant MI commands (OpenSIPS uac_registrant)', () => {
  it('reg_list: every registrant with its OpenSIPS state name and code, registrar, binding, expiry, times and last reply; never the password', async () => {
    const h = await setup();
    const { Records } = (await h.call('reg_list')) as { Records: Record<string, unknown>[] };
    expect(Records).toHaveLength(2);
    expect(Records[0]).toEqual({
      AOR: ALICE.aor, expires: 3600, state: 'REGISTERED_STATE', state_code: 3, enabled: 'yes',
      last_register_sent: new Date(T0).toISOString(),
      registration_t_out: expect.any(String), registered_until: new Date(T0 + 3600_000).toISOString(),
      registrar: ALICE.registrar, binding: ALICE.contact, binding_params: ';reg-id=1', proxy: 'sip:127.0.0.1:5070;lr',
      dst_IP: 'IPv4', ip: '127.0.0.1', port: 5070, transport: 'udp', shtag: 'vip', cluster_id: 2,
      failures: 0, last_reply: 200, reason: '200 registered for 3600 s',
    });
    expect(Records[1]).toMatchObject({ AOR: BOB.aor, state: 'REGISTRAR_ERROR_STATE', state_code: 7, last_reply: 403, failures: 1, registered_until: null });
    expect(JSON.stringify(Records)).not.toMatch(/password/);
  });

  it('reg_list_record: one registrant by aor, contact and registrar; -32004 for an unknown one; -32602 naming a missing coordinate', async () => {
    const h = await setup();
    expect(await h.call('reg_list_record', BOB)).toEqual({ Registrant: expect.objectContaining({ AOR: BOB.aor, state: 'REGISTRAR_ERROR_STATE' }) });
    expect(await rejection(h.call('reg_list_record', { ...BOB, contact: 'sip:other@127.0.0.1' }))).toMatchObject({ code: MI_ERROR_CODES.notFound, message: 'No such registrant' });
    expect(await rejection(h.call('reg_list_record', { aor: BOB.aor, contact: BOB.contact }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'registrar' } });
  });

  it('reg_disable sends the unREGISTER now and keeps the flag in the store; reg_enable registers now; unknown ones are -32004', async () => {
    const h = await setup();
    expect(await h.call('reg_disable', ALICE)).toBe('OK');
    await h.step(0);
    expect(contactExpires(h.sent().at(-1)!)).toBe(0);
    expect(h.store.loadAll()[0].enabled).toBe(false);
    expect(await h.call('reg_list_record', ALICE)).toMatchObject({ Registrant: { state: 'NOT_REGISTERED_STATE', enabled: 'no' } });
    expect(await h.call('reg_enable', ALICE)).toBe('OK');
    await h.step(0);
    expect(await h.call('reg_list_record', ALICE)).toMatchObject({ Registrant: { state: 'REGISTERED_STATE', enabled: 'yes' } });
    for (const name of ['reg_enable', 'reg_disable', 'reg_force_register', 'reg_delete']) {
      expect(await rejection(h.call(name, { ...ALICE, registrar: 'sip:elsewhere.example.com' }))).toMatchObject({ code: MI_ERROR_CODES.notFound });
    }
  });

  it('reg_force_register sends the REGISTER now with the same Call-ID', async () => {
    const h = await setup();
    const before = h.sent().length;
    expect(await h.call('reg_force_register', ALICE)).toBe('OK');
    await h.step(0);
    expect(h.sent()).toHaveLength(before + 1);
    expect(h.sent().at(-1)!.callId).toBe(h.sent()[0].callId);
  });

  it('reg_reload reads the store again, all of it or one record (as SIGHUP does); one not in the store is -32004', async () => {
    const h = await setup();
    h.store.put(record({ aor: 'sip:carol@example.com' }));
    h.store.put(record({ aor: BOB.aor, expirySec: 600 }));
    expect(await h.call('reg_reload', BOB)).toBe('OK');
    expect((await h.call('reg_list')) as { Records: unknown[] }).toMatchObject({ Records: [{}, { AOR: BOB.aor, expires: 600 }] });
    expect(await h.call('reg_reload')).toBe('OK');
    expect(((await h.call('reg_list')) as { Records: unknown[] }).Records).toHaveLength(3);
    expect(await rejection(h.call('reg_reload', { ...ALICE, aor: 'sip:nobody@example.com' }))).toMatchObject({ code: MI_ERROR_CODES.notFound, message: 'No such registrant in the store' });
    expect(await rejection(h.call('reg_reload', { aor: ALICE.aor }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'contact' } });
  });

  it('reg_upsert adds a registrant with the table fields (in memory only without a store): it registers at its visit; a reload forgets it', async () => {
    const h = await setup();
    const carol = { aor: 'sip:carol@example.com', contact: 'sip:carol@127.0.0.1:5060', registrar: 'sip:127.0.0.1:5070' };
    expect(await h.call('reg_upsert', { ...carol, username: 'carol', password: 'pw', expiry: '600', binding_params: '', proxy: '', state: 0 })).toBe('OK');
    await h.runFor(4000);
    const registered = h.sent().find((r) => r.to.uri === carol.aor)!;
    expect(contactExpires(registered)).toBe(600);
    expect(await h.call('reg_list_record', carol)).toMatchObject({ Registrant: { state: 'REGISTERED_STATE', expires: 600 } });
    expect(h.store.loadAll()).toHaveLength(2);
    await h.call('reg_reload');
    expect(await rejection(h.call('reg_list_record', carol))).toMatchObject({ code: MI_ERROR_CODES.notFound });
  });

  it('reg_upsert of a registered one with state 1 unREGISTERs it; bad values are -32602 naming the parameter', async () => {
    const h = await setup();
    expect(await h.call('reg_upsert', { ...ALICE, state: 1 })).toBe('OK');
    await h.step(0);
    expect(contactExpires(h.sent().at(-1)!)).toBe(0);
    for (const [params, param] of [
      [{ ...ALICE, contact: 'alice at home' }, 'contact'],
      [{ ...ALICE, registrar: '' }, 'registrar'],
      [{ ...ALICE, proxy: 'not a uri' }, 'proxy'],
      [{ ...ALICE, expiry: -5 }, 'expiry'],
      [{ ...ALICE, binding_params: 'reg-id=1' }, 'binding_params'],
      [{ ...ALICE, forced_socket: 'sctp:1.2.3.4:5060' }, 'forced_socket'],
      [{ ...ALICE, cluster_shtag: 'vip' }, 'cluster_shtag'],
      [{ ...ALICE, expiry: 'soon' }, 'expiry'],
      [{ aor: ALICE.aor, registrar: ALICE.registrar }, 'contact'],
    ] as const) {
      expect(await rejection(h.call('reg_upsert', params))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param } });
    }
  });

  it('reg_delete unREGISTERs a registered one and forgets it; with a store given, upsert and delete write it too', async () => {
    const store = new MemoryRegistrantStore([]);
    const h = await setup(store);
    expect(await h.call('reg_delete', ALICE)).toBe('OK');
    await h.step(0);
    expect([h.sent().at(-1)!.to.uri, contactExpires(h.sent().at(-1)!)]).toEqual([ALICE.aor, 0]);
    expect(((await h.call('reg_list')) as { Records: unknown[] }).Records).toHaveLength(1);
    await h.call('reg_upsert', { ...ALICE, expiry: 900 });
    expect(store.loadAll()).toEqual([{ aor: ALICE.aor, bindingUri: ALICE.contact, registrar: ALICE.registrar, expirySec: 900, enabled: true }]);
    await h.call('reg_delete', ALICE);
    expect(store.loadAll()).toEqual([]);
    expect(await rejection(h.call('reg_delete', ALICE))).toMatchObject({ code: MI_ERROR_CODES.notFound });
  });
});
