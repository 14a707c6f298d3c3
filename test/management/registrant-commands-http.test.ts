import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MI_ERROR_CODES } from '../../src/management/mi-command';
import { EchoRegistrar } from '../helpers/echo-registrar';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { miCall } from '../helpers/mi-call';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startCliCommand } from '../helpers/start-sipreg';

const WAIT_MS = 15_000;

/** Every uac_registrant MI command over real HTTP against `sipreg registrant --mi-listen`, with a JSON registrant file. */
describe('registrant MI commands over HTTP (sipreg registrant --mi-listen)', () => {
  let dir: string;
  let registrar: EchoRegistrar;
  let server: ManagedProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await registrar.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, disables, enables, forces, upserts, deletes and reloads registrants of the running CLI', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipreg-mi-registrant-'));
    registrar = await EchoRegistrar.open();
    const entry = (user: string): Record<string, unknown> => ({ aor: `sip:${user}@example.com`, binding_URI: `sip:${user}@127.0.0.1`, registrar: registrar.uri, expiry: 300, state: 0 });
    const key = (user: string): Record<string, string> => ({ aor: `sip:${user}@example.com`, contact: `sip:${user}@127.0.0.1`, registrar: registrar.uri });
    const file = join(dir, 'registrants.json');
    writeFileSync(file, JSON.stringify([entry('ann')]));
    const [sipPort, miPort] = await Promise.all([freePort('udp'), freePort('tcp')]);
    const listen = `udp:127.0.0.1:${sipPort}`;
    server = await startCliCommand('registrant', listen, ['--registrants', file, '--hash-size', '0', '--timer-interval', '2', '--mi-listen', `http:127.0.0.1:${miPort}`]);
    const running = server;
    const url = `http://127.0.0.1:${miPort}/mi`;
    const call = (method: string, params?: Record<string, unknown>): Promise<{ result?: unknown; error?: { code: number; data?: unknown } }> => miCall(url, method, params);
    const record = async (user: string): Promise<Record<string, unknown> | undefined> =>
      ((await call('reg_list_record', key(user))).result as { Registrant: Record<string, unknown> } | undefined)?.Registrant;
    const inState = (user: string, state: string): Promise<Record<string, unknown>> =>
      eventually(async () => { const r = await record(user); return r?.state === state ? r : undefined; }, `${user} in ${state}`, WAIT_MS, () => running.output());

    // reg_list / reg_list_record
    await inState('ann', 'REGISTERED_STATE');
    const { result: list } = await call('reg_list');
    expect(list).toEqual({ Records: [expect.objectContaining({ AOR: 'sip:ann@example.com', state: 'REGISTERED_STATE', state_code: 3, expires: 300, enabled: 'yes', registrar: registrar.uri, last_reply: 200 })] });

    // reg_disable: the unREGISTER goes now, the file keeps the flag; reg_enable registers again
    expect((await call('reg_disable', key('ann'))).result).toBe('OK');
    await inState('ann', 'NOT_REGISTERED_STATE');
    expect(registrar.expiriesOf('sip:ann@example.com').at(-1)).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))[0].state).toBe(1);
    expect((await call('reg_enable', key('ann'))).result).toBe('OK');
    await inState('ann', 'REGISTERED_STATE');

    // reg_force_register sends one more REGISTER now
    const before = registrar.expiriesOf('sip:ann@example.com').length;
    expect((await call('reg_force_register', key('ann'))).result).toBe('OK');
    await eventually(() => (registrar.expiriesOf('sip:ann@example.com').length > before ? true : undefined), 'the forced REGISTER', WAIT_MS, () => running.output());

    // reg_upsert adds bob (in memory: the JSON file is not written); reg_delete unREGISTERs and forgets him
    expect((await call('reg_upsert', { ...key('bob'), expiry: 120, state: 0 })).result).toBe('OK');
    expect(await inState('bob', 'REGISTERED_STATE')).toMatchObject({ expires: 120 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
    expect((await call('reg_delete', key('bob'))).result).toBe('OK');
    await eventually(() => (registrar.expiriesOf('sip:bob@example.com').at(-1) === 0 ? true : undefined), "bob's unREGISTER", WAIT_MS, () => running.output());
    expect((await call('reg_list_record', key('bob'))).error).toMatchObject({ code: MI_ERROR_CODES.notFound });

    // reg_reload reads the file again, as SIGHUP does
    writeFileSync(file, JSON.stringify([entry('ann'), entry('cal')]));
    expect((await call('reg_reload')).result).toBe('OK');
    await inState('cal', 'REGISTERED_STATE');

    // refusals name what is wrong
    expect((await call('reg_enable', key('nobody'))).error).toMatchObject({ code: MI_ERROR_CODES.notFound });
    expect((await call('reg_upsert', { ...key('dan'), contact: 'dan at home' })).error).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'contact' } });
    expect((await call('reg_list_record', { aor: 'sip:ann@example.com' })).error).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'contact' } });
  }, 60_000);
});
