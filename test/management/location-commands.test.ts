import { afterEach, describe, expect, it } from '@jest/globals';
import { locationCommands } from '../../src/management/location-commands';
import { MI_ERROR_CODES } from '../../src/management/mi-command';
import { createRegistrar, type Registrar } from '../../src/registrar/registrar';
import type { BindingChange } from '../../src/registrar/binding-change';
import type { LocationStore } from '../../src/ports/location-store';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { runMiCommand } from '../helpers/run-mi-command';
import { register } from '../registrar/sip-text';

const T0 = 1_700_000_000_000;
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => { throw new Error('resolved'); }, (e: unknown) => e);

let registrar: Registrar | undefined;
afterEach(async () => {
  await registrar?.close();
  registrar = undefined;
});

/** A registrar on a manual clock at T0 and its events, with `aors` registered (one contact each, 3600 s). */
async function setup(aors: readonly string[] = [], store: LocationStore = new MemoryLocationStore()): Promise<{ r: Registrar; events: BindingChange[]; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const r = createRegistrar({ store, clock, defaultExpires: 3600, maxExpires: 7200 });
  registrar = r;
  const events: BindingChange[] = [];
  for (const kind of ['inserted', 'updated', 'refreshed', 'deleted', 'expired'] as const) r.on(kind, (c) => events.push(c));
  for (const user of aors) {
    const saved = await r.save(register({ user, callId: `call-${user}`, contacts: [`<sip:${user}@192.0.2.10:5060>;q=0.5`], extra: ['User-Agent: Phone/1.0'] }));
    expect(saved.status).toBe(200);
  }
  events.length = 0;
  return { r, events, clock };
}

describe('usrloc MI commands (OpenSIPS ul_dump, ul_show_contact, ul_rm, ul_rm_contact, ul_add, ul_sync)', () => {
  it('ul_show_contact: the AOR and its live contacts as OpenSIPS prints them; -32004 for an AOR without any', async () => {
    const { r, clock } = await setup(['alice']);
    const commands = locationCommands(r);
    clock.advance(10_000);
    expect(await runMiCommand(commands, 'ul_show_contact', ['location', 'sip:alice@example.com'])).toEqual({
      AOR: 'alice@example.com',
      Contacts: [{
        Contact: 'sip:alice@192.0.2.10:5060', Expires: 3590, Q: '0.5', Callid: 'call-alice', Cseq: 1,
        'User-agent': 'Phone/1.0', Flags: 0, Cflags: '', Methods: 4294967295,
      }],
    });
    expect(await rejection(runMiCommand(commands, 'ul_show_contact', { table_name: 'location', aor: 'bob@example.com' })))
      .toMatchObject({ code: MI_ERROR_CODES.notFound, message: 'AOR not found', data: { aor: 'bob@example.com' } });
    clock.advance(3_600_000);
    expect(await rejection(runMiCommand(commands, 'ul_show_contact', { table_name: 'location', aor: 'alice@example.com' })))
      .toMatchObject({ code: MI_ERROR_CODES.notFound });
  });

  it('every command naming a table refuses another one with -32602 naming table_name; a bad AOR names aor', async () => {
    const { r } = await setup(['alice']);
    const commands = locationCommands(r);
    for (const [name, params] of [
      ['ul_show_contact', ['aliases', 'alice@example.com']],
      ['ul_rm', ['aliases', 'alice@example.com']],
      ['ul_rm_contact', ['aliases', 'alice@example.com', 'sip:alice@192.0.2.10:5060']],
      ['ul_add', ['aliases', 'alice@example.com', 'sip:alice@192.0.2.99', 60]],
      ['ul_sync', ['aliases']],
    ] as const) {
      expect(await rejection(runMiCommand(commands, name, params))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'table_name' } });
    }
    expect(await rejection(runMiCommand(commands, 'ul_rm', ['location', 'tel:+15551234']))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'aor' } });
    expect(await runMiCommand(locationCommands(r, { table: 'usrloc' }), 'ul_show_contact', ['usrloc', 'alice@example.com'])).toMatchObject({ AOR: 'alice@example.com' });
    expect((await r.bindings('alice@example.com')).length).toBe(1);
  });

  it('ul_rm removes the AOR through the registrar (deleted events), then answers -32004', async () => {
    const { r, events } = await setup(['alice', 'bob']);
    const commands = locationCommands(r);
    expect(await runMiCommand(commands, 'ul_rm', { table_name: 'location', aor: 'sip:alice@example.com' })).toBe('OK');
    expect(events.map((e) => [e.kind, e.aor, e.binding.contact])).toEqual([['deleted', 'alice@example.com', 'sip:alice@192.0.2.10:5060']]);
    expect(await r.bindings('alice@example.com')).toEqual([]);
    expect((await r.bindings('bob@example.com')).length).toBe(1);
    expect(await rejection(runMiCommand(commands, 'ul_rm', ['location', 'alice@example.com']))).toMatchObject({ code: MI_ERROR_CODES.notFound, message: 'AOR not found' });
  });

  it('ul_rm_contact removes one contact (deleted event) and tells a missing contact from a missing AOR', async () => {
    const { r, events } = await setup();
    await r.save(register({ user: 'carol', contacts: ['<sip:carol@192.0.2.1>', '<sip:carol@192.0.2.2>'] }));
    events.length = 0;
    const commands = locationCommands(r);
    expect(await runMiCommand(commands, 'ul_rm_contact', ['location', 'carol@example.com', 'sip:carol@192.0.2.1'])).toBe('OK');
    expect(events.map((e) => [e.kind, e.binding.contact])).toEqual([['deleted', 'sip:carol@192.0.2.1']]);
    expect((await r.bindings('carol@example.com')).map((b) => b.contact)).toEqual(['sip:carol@192.0.2.2']);
    expect(await rejection(runMiCommand(commands, 'ul_rm_contact', ['location', 'carol@example.com', 'sip:carol@192.0.2.1'])))
      .toMatchObject({ code: MI_ERROR_CODES.notFound, message: 'Contact not found' });
    expect(await rejection(runMiCommand(commands, 'ul_rm_contact', ['location', 'dave@example.com', 'sip:dave@192.0.2.1'])))
      .toMatchObject({ code: MI_ERROR_CODES.notFound, message: 'AOR not found' });
  });

  it('ul_add inserts a contact (inserted event) that lookup finds, then replaces it keeping its CSeq (updated event)', async () => {
    const { r, events } = await setup();
    const commands = locationCommands(r);
    // OpenSIPS positional form: table_name aor contact expires q unused flags cflags methods
    expect(await runMiCommand(commands, 'ul_add', ['location', 'sip:erin@example.com', 'sip:erin@192.0.2.7:5080', '600', '0.8', '', '1', '0', '265'])).toBe('OK');
    expect(events.map((e) => [e.kind, e.aor])).toEqual([['inserted', 'erin@example.com']]);
    const [added] = await r.bindings('erin@example.com');
    expect(added).toMatchObject({ contact: 'sip:erin@192.0.2.7:5080', expiresAt: T0 + 600_000, q: 800, flags: 1, cseq: 1, methods: ['INVITE', 'BYE', 'MESSAGE'], userAgent: 'sipreg MI' });
    const found = await r.lookup('sip:erin@example.com');
    expect(found.kind === 'found' ? found.targets.map((t) => t.uri) : found.kind).toEqual(['sip:erin@192.0.2.7:5080']);
    expect(await runMiCommand(commands, 'ul_show_contact', ['location', 'erin@example.com'])).toMatchObject({ Contacts: [{ Q: '0.8', Flags: 1, Methods: 265, Expires: 600 }] });

    expect(await runMiCommand(commands, 'ul_add', { table_name: 'location', aor: 'erin@example.com', contact: 'sip:erin@192.0.2.7:5080', expires: 60 })).toBe('OK');
    expect(events.map((e) => e.kind)).toEqual(['inserted', 'updated']);
    expect(events[1].previous).toEqual(added);
    const [replaced] = await r.bindings('erin@example.com');
    expect(replaced).toMatchObject({ expiresAt: T0 + 60_000, q: -1, flags: 0, cseq: 1 });
    expect(replaced.methods).toBeUndefined();
  });

  it('ul_add refuses what a binding cannot hold, naming the parameter, and writes nothing', async () => {
    const { r, events } = await setup();
    const commands = locationCommands(r);
    const base = { table_name: 'location', aor: 'erin@example.com', contact: 'sip:erin@192.0.2.7', expires: 60 };
    for (const [param, value] of [['expires', 0], ['q', '1.5'], ['flags', 64], ['cflags', '4'], ['methods', 1 << 20], ['expires', 'soon']] as const) {
      expect(await rejection(runMiCommand(commands, 'ul_add', { ...base, [param]: value }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param } });
    }
    expect(await rejection(runMiCommand(commands, 'ul_add', ['location', 'erin@example.com', 'sip:erin@192.0.2.7'])))
      .toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'expires' } });
    expect(events).toEqual([]);
    expect(await r.bindings('erin@example.com')).toEqual([]);
  });

  it('ul_sync is a no-op that says so', async () => {
    const { r } = await setup(['alice']);
    expect(await runMiCommand(locationCommands(r), 'ul_sync', [])).toMatch(/nothing to sync/);
    expect(await runMiCommand(locationCommands(r), 'ul_sync', ['location', 'alice@example.com'])).toMatch(/nothing to sync/);
  });

  it('ul_dump pages through every AOR with its contacts: the count on the first page, next_cursor until null', async () => {
    const users = Array.from({ length: 25 }, (_, i) => `user${i}`);
    const { r } = await setup(users);
    const commands = locationCommands(r);
    type Page = { Domains: { name: string; AORs: { AOR: string; Contacts?: { Contact: string }[] }[] }[]; count?: unknown; next_cursor: string | null };
    const first = await runMiCommand(commands, 'ul_dump', { limit: 10 }) as Page;
    expect(first.count).toEqual({ aors: 25, bindings: 25 });
    expect(first.Domains).toHaveLength(1);
    expect(first.Domains[0].name).toBe('location');
    expect(first.Domains[0].AORs).toHaveLength(10);
    expect(first.Domains[0].AORs[0].Contacts).toHaveLength(1);
    const listed = first.Domains[0].AORs.map((a) => a.AOR);
    let cursor = first.next_cursor;
    while (cursor !== null) {
      const page = await runMiCommand(commands, 'ul_dump', { limit: 10, cursor }) as Page;
      expect(page.count).toBeUndefined();
      listed.push(...page.Domains[0].AORs.map((a) => a.AOR));
      cursor = page.next_cursor;
    }
    expect(listed.sort()).toEqual(users.map((u) => `${u}@example.com`).sort());
    const brief = await runMiCommand(commands, 'ul_dump', ['brief', 100]) as Page;
    expect(brief.Domains[0].AORs).toHaveLength(25);
    expect(brief.Domains[0].AORs[0]).toEqual({ AOR: expect.any(String) });
    expect(brief.next_cursor).toBeNull();
  });

  it('ul_dump refuses a limit out of 1..10000, a foreign cursor and an unknown brief word, naming the parameter', async () => {
    const { r } = await setup(['alice']);
    const commands = locationCommands(r);
    for (const [param, params] of [
      ['limit', { limit: 0 }], ['limit', { limit: 10_001 }], ['cursor', { cursor: 'not-a-cursor' }], ['brief', { brief: 'full' }],
    ] as const) {
      expect(await rejection(runMiCommand(commands, 'ul_dump', params))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param } });
    }
  });

  it('ul_dump over a store without aorPage lists every AOR through aors(), skipping the pages before', async () => {
    const memory = new MemoryLocationStore();
    const plain: LocationStore = {
      load: (aor) => memory.load(aor),
      commit: (aor, expected, bindings) => memory.commit(aor, expected, bindings),
      expiredAors: (now, limit) => memory.expiredAors(now, limit),
      aors: () => memory.aors(),
      count: () => memory.count(),
      close: () => memory.close(),
    };
    const users = Array.from({ length: 7 }, (_, i) => `u${i}`);
    const { r } = await setup(users, plain);
    const commands = locationCommands(r);
    const listed: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = await runMiCommand(commands, 'ul_dump', cursor === undefined ? { limit: 3 } : { limit: 3, cursor }) as { Domains: { AORs: { AOR: string }[] }[]; next_cursor: string | null };
      listed.push(...page.Domains[0].AORs.map((a) => a.AOR));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(listed.sort()).toEqual(users.map((u) => `${u}@example.com`).sort());
    expect(await rejection(runMiCommand(commands, 'ul_dump', { cursor: 'x' }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'cursor' } });
  });
});
