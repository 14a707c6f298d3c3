import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteLocationStore } from '../../src/stores/sqlite';
import { runLocationStoreContract } from '../../src/testing/location-store-contract';
import { BindingFlags, type Binding } from '../../src/ports/binding';
import { BINDING_T0, buildBinding } from '../../src/testing/build-binding';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';

const root = mkdtempSync(join(tmpdir(), 'sipreg-sqlite-'));
let fileNo = 0;
const freshPath = (): string => join(root, `store-${fileNo++}.db`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

runLocationStoreContract('SqliteLocationStore (file)', () => new SqliteLocationStore({ path: freshPath() }));
runLocationStoreContract(
  'SqliteLocationStore (:memory:, custom table)',
  () => new SqliteLocationStore({ path: ':memory:', table: 'usrloc_location' }),
  { propertyRuns: 20 },
);

const T0 = BINDING_T0;
const binding = (contact: string, overrides: Partial<Binding> = {}): Binding => buildBinding(contact, { callId: `c-${contact}`, ...overrides });

const full: Binding = {
  contact: 'sip:alice@192.0.2.1:5060;transport=tcp',
  callId: '0123456789abcdef0123456789abcdef',
  cseq: 42,
  expiresAt: T0 + 3_600_000,
  q: 1000,
  updatedAt: T0,
  flags: BindingFlags.nat | BindingFlags.push,
  received: 'sip:198.51.100.7:40312;transport=tcp',
  path: ['<sip:edge.example.com;lr>'],
  socket: 'tcp:192.0.2.10:5060',
  userAgent: 'Phone/1.0',
  methods: ['INVITE', 'BYE'],
  instanceId: '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>',
  regId: 1,
  attr: 'x=1',
  ownershipTag: 'node-a',
  params: ';+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1',
};

describe('SqliteLocationStore specifics', () => {
  let path: string;
  const open: SqliteLocationStore[] = [];
  const openStore = (options: Partial<ConstructorParameters<typeof SqliteLocationStore>[0]> = {}): SqliteLocationStore => {
    const store = new SqliteLocationStore({ path, ...options });
    open.push(store);
    return store;
  };
  beforeEach(() => {
    path = freshPath();
  });
  afterEach(() => {
    for (const store of open.splice(0)) store.close();
  });

  it('a reopened store returns every binding with all fields and versions identical', () => {
    const first = openStore();
    const aors = new Map<string, Binding[]>([
      ['sip:alice@example.com', [full, binding('sip:alice@192.0.2.2', { q: 0, methods: [], path: [] })]],
      ['sip:bob@example.com', [binding('sip:bob@192.0.2.3', { expiresAt: T0 + 10 })]],
    ]);
    const versions = new Map<string, unknown>();
    for (const [aor, bindings] of aors) {
      const outcome = first.commit(aor, null, bindings);
      expect(outcome.ok).toBe(true);
      versions.set(aor, outcome.ok ? outcome.version : undefined);
    }
    first.close();

    const reopened = openStore();
    for (const [aor, bindings] of aors) {
      const snapshot = reopened.load(aor);
      expect(snapshot.bindings).toStrictEqual(bindings);
      expect(snapshot.version).toBe(versions.get(aor));
    }
    expect(reopened.count()).toEqual({ aors: 2, bindings: 3 });
    expect(reopened.expiredAors(T0 + 10, 10)).toEqual(['sip:bob@example.com']);
    expect(reopened.commit('sip:alice@example.com', versions.get('sip:alice@example.com'), [full]).ok).toBe(true);
  });

  it('adds the flow and upstream columns to a file made by sipreg 0.1.0 and keeps its bindings', () => {
    const old = new Database(path);
    old.exec(`
      CREATE TABLE "location_aor" (version INTEGER PRIMARY KEY AUTOINCREMENT, aor TEXT NOT NULL UNIQUE);
      CREATE TABLE "location" (id INTEGER PRIMARY KEY, aor TEXT NOT NULL, contact TEXT NOT NULL, received TEXT, path TEXT,
        expires_at INTEGER NOT NULL, q INTEGER NOT NULL, callid TEXT NOT NULL, cseq INTEGER NOT NULL,
        last_modified INTEGER NOT NULL, flags INTEGER NOT NULL, user_agent TEXT, socket TEXT, methods TEXT,
        sip_instance TEXT, reg_id INTEGER, attr TEXT, ownership_tag TEXT, params TEXT);
      INSERT INTO "location_aor" (aor) VALUES ('alice@example.com');
      INSERT INTO "location" (aor, contact, expires_at, q, callid, cseq, last_modified, flags)
        VALUES ('alice@example.com', 'sip:alice@192.0.2.1', ${BINDING_T0 + 60_000}, -1, 'c1', 1, ${BINDING_T0}, 0);
    `);
    old.close();
    const store = openStore();
    const before = store.load('alice@example.com');
    expect(before.bindings.map((b) => b.contact)).toEqual(['sip:alice@192.0.2.1']);
    expect(before.bindings[0].flow).toBeUndefined();
    const upstream = { contact: 'sip:alice@10.0.0.2;ctid=0123456789abcdef', callId: 'c2', from: '<sip:alice@example.com>;tag=1', to: '<sip:alice@example.com>', cseq: 4, expiresAt: BINDING_T0 + 3_600_000 };
    const flowing = buildBinding('sip:alice@192.0.2.2', { regId: 1, instanceId: '<urn:uuid:1>', flow: 'tcp#7', upstream });
    expect(store.commit('alice@example.com', before.version, [...before.bindings, flowing]).ok).toBe(true);
    const reopened = openStore().load('alice@example.com').bindings[1];
    expect([reopened.flow, reopened.upstream]).toEqual(['tcp#7', upstream]);
  });

  it('keeps the commit order of an AOR', () => {
    const store = openStore();
    const ordered = ['z', 'a', 'm', 'b'].map((n) => binding(`sip:${n}@192.0.2.1`));
    store.commit('sip:order@example.com', null, ordered);
    expect(store.load('sip:order@example.com').bindings.map((b) => b.contact)).toEqual(ordered.map((b) => b.contact));
  });

  it('uses WAL and synchronous=NORMAL by default, FULL on request', () => {
    openStore();
    const probe = new Database(path, { readonly: true });
    try {
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      probe.close();
    }
    const full = new SqliteLocationStore({ path: ':memory:', synchronous: 'full' });
    open.push(full);
    expect(full.count()).toEqual({ aors: 0, bindings: 0 });
  });

  it('keeps memory-only bindings out of the file but returns them, and forgets them on reopen', () => {
    const store = openStore();
    const durable = binding('sip:durable@192.0.2.1');
    const volatile = binding('sip:volatile@192.0.2.2', { flags: BindingFlags.memoryOnly | BindingFlags.nat });
    const outcome = store.commit('sip:mixed@example.com', null, [volatile, durable]);
    expect(outcome.ok).toBe(true);
    store.commit('sip:onlymem@example.com', null, [binding('sip:m@192.0.2.3', { flags: BindingFlags.memoryOnly })]);

    const file = new Database(path, { readonly: true });
    try {
      const contacts = file.prepare('SELECT contact FROM location ORDER BY contact').pluck().all();
      expect(contacts).toEqual(['sip:durable@192.0.2.1']);
    } finally {
      file.close();
    }
    expect(store.load('sip:mixed@example.com').bindings).toStrictEqual([durable, volatile]);
    expect(store.load('sip:onlymem@example.com').bindings).toHaveLength(1);
    expect(store.count()).toEqual({ aors: 2, bindings: 3 });
    store.close();

    const reopened = openStore();
    expect(reopened.load('sip:mixed@example.com').bindings).toStrictEqual([durable]);
    expect(reopened.load('sip:onlymem@example.com')).toEqual({ aor: 'sip:onlymem@example.com', bindings: [], version: null });
    expect(reopened.count()).toEqual({ aors: 1, bindings: 1 });
    expect([...reopened.aors()]).toEqual(['sip:mixed@example.com']);
  });

  it('two stores on one file see each other and compare-and-set across connections', () => {
    const a = openStore();
    const b = openStore();
    const created = a.commit('sip:shared@example.com', null, [binding('sip:a@192.0.2.1')]);
    expect(created.ok).toBe(true);
    const seen = b.load('sip:shared@example.com');
    expect(seen.bindings.map((x) => x.contact)).toEqual(['sip:a@192.0.2.1']);
    expect(b.commit(seen.aor, seen.version, [...seen.bindings, binding('sip:b@192.0.2.2')]).ok).toBe(true);
    expect(a.commit('sip:shared@example.com', created.ok ? created.version : null, [])).toEqual({ ok: false, conflict: true });
    expect(a.load('sip:shared@example.com').bindings).toHaveLength(2);
  });

  it('a busy database throws a transient StoreError with the driver error as cause', () => {
    const store = openStore({ busyTimeoutMs: 0 });
    const locker = new Database(path);
    locker.exec('BEGIN IMMEDIATE');
    try {
      let thrown: unknown;
      try {
        store.commit('sip:busy@example.com', null, [binding('sip:busy@192.0.2.1')]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(StoreError);
      expect((thrown as StoreError).transient).toBe(true);
      expect(((thrown as StoreError).cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(store.commit('sip:busy@example.com', null, [binding('sip:busy@192.0.2.1')]).ok).toBe(true);
  });

  it('a commit failing half-way leaves nothing behind (one transaction per commit)', () => {
    const store = openStore();
    const before = [binding('sip:keep@192.0.2.1')];
    const created = store.commit('sip:atomic@example.com', null, before);
    const poisoned = { ...binding('sip:bad@192.0.2.9'), cseq: { not: 'a number' } } as unknown as Binding;
    let thrown: unknown;
    try {
      store.commit('sip:atomic@example.com', created.ok ? created.version : null, [binding('sip:new@192.0.2.2'), poisoned]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).transient).toBe(false);
    expect((thrown as StoreError).message).toMatch(/^sqlite location store: commit failed: /);
    expect((thrown as StoreError).cause).toHaveProperty('message');
    const snapshot = store.load('sip:atomic@example.com');
    expect(snapshot.bindings).toStrictEqual(before);
    expect(snapshot.version).toBe(created.ok ? created.version : undefined);
  });

  it('a failed commit does not touch the memory-only overlay', () => {
    const store = openStore();
    const volatile = binding('sip:v@192.0.2.1', { flags: BindingFlags.memoryOnly });
    store.commit('sip:ov@example.com', null, [volatile]);
    const poisoned = { ...binding('sip:bad@192.0.2.9'), q: Symbol('q') } as unknown as Binding;
    expect(() => store.commit('sip:ov@example.com', store.load('sip:ov@example.com').version, [poisoned])).toThrow(StoreError);
    expect(store.load('sip:ov@example.com').bindings).toStrictEqual([volatile]);
    expect(store.count()).toEqual({ aors: 1, bindings: 1 });
  });

  it('lists more AORs than one batch while commits run between batches', () => {
    const store = openStore();
    for (let i = 0; i < 1234; i++) store.commit(`sip:u${String(i).padStart(4, '0')}@example.com`, null, [binding(`sip:u${i}@h`)]);
    const listed: string[] = [];
    for (const aor of store.aors()) {
      listed.push(aor);
      if (listed.length === 600) store.commit('sip:zzzz@example.com', null, [binding('sip:late@h')]);
    }
    expect(listed).toHaveLength(1235);
    expect(listed[0]).toBe('sip:u0000@example.com');
    expect(listed.at(-1)).toBe('sip:zzzz@example.com');
  });

  it('close: every later call throws ConfigError, closing again is a no-op, an open iterator stops', () => {
    const store = openStore();
    store.commit('sip:c@example.com', null, [binding('sip:c@h')]);
    const iterator = store.aors()[Symbol.iterator]();
    store.close();
    expect(() => store.close()).not.toThrow();
    expect(() => store.load('sip:c@example.com')).toThrow(new ConfigError('store is closed; create a new one'));
    expect(() => store.commit('sip:c@example.com', null, [])).toThrow(ConfigError);
    expect(() => store.expiredAors(T0, 1)).toThrow(ConfigError);
    expect(() => store.count()).toThrow(ConfigError);
    expect(() => store.aors()).toThrow(ConfigError);
    expect(() => iterator.next()).toThrow(ConfigError);
  });

  it('rejects bad options with ConfigError and an unopenable file with StoreError', () => {
    expect(() => new SqliteLocationStore({ path: '' })).toThrow(ConfigError);
    expect(() => new SqliteLocationStore({ path: ':memory:', table: 'location; DROP TABLE x' })).toThrow(ConfigError);
    expect(() => new SqliteLocationStore({ path: ':memory:', busyTimeoutMs: -1 })).toThrow(ConfigError);
    expect(
      () => new SqliteLocationStore({ path: ':memory:', synchronous: 'off' as unknown as 'normal' }),
    ).toThrow(ConfigError);
    expect(() => new SqliteLocationStore({ path: join(root, 'missing-dir', 'x.db') })).toThrow(StoreError);
  });
});
