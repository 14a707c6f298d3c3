import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RegistrantRecord } from '../../src/ports/registrant-store';
import { MemoryRegistrantStore } from '../../src/stores/memory-registrant-store';
import { SqliteRegistrantStore, type SqliteRegistrantStoreOptions } from '../../src/stores/sqlite-registrant-store';
import { JsonFileRegistrantStore } from '../../src/stores/json-file-registrant-store';
import { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns } from '../../src/stores/registrant-record-from-row';
import { registrantStoreContract } from '../../src/testing/registrant-store-contract';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';

const root = mkdtempSync(join(tmpdir(), 'sipreg-registrant-'));
let fileNo = 0;
const freshPath = (ext: string): string => join(root, `registrants-${fileNo++}.${ext}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The OpenSIPS `registrant` table (table version 3), as the brief's DDL writes it. */
const OPENSIPS_DDL = `
  CREATE TABLE registrant (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    registrar varchar(255) DEFAULT '' NOT NULL,
    proxy varchar(255) DEFAULT NULL,
    aor varchar(255) DEFAULT '' NOT NULL,
    third_party_registrant varchar(255) DEFAULT NULL,
    username varchar(64) DEFAULT NULL,
    password varchar(64) DEFAULT NULL,
    binding_URI varchar(255) DEFAULT '' NOT NULL,
    binding_params varchar(64) DEFAULT NULL,
    expiry int unsigned DEFAULT NULL,
    forced_socket varchar(64) DEFAULT NULL,
    cluster_shtag varchar(64) DEFAULT NULL,
    state int DEFAULT 0 NOT NULL,
    CONSTRAINT registrant_registrant_idx UNIQUE (aor, binding_URI, registrar)
  );`;

/** The column names of the uac_registrant manual's `*_column` examples (Examples 1.7 to 1.18). */
const MANUAL_COLUMNS: RegistrantColumns = {
  registrar: 'registrant_uri',
  proxy: 'proxy_uri',
  aor: 'to_uri',
  thirdPartyRegistrant: 'from_uri',
  username: 'auth_username',
  password: 'auth_passowrd',
  bindingUri: 'contact_uri',
  bindingParams: 'contact_params',
  expirySec: 'registration_timeout',
  forcedSocket: 'fs',
  clusterShtag: 'sh',
  enabled: 'status',
};

/** A record written with the OpenSIPS column names, as the JSON store accepts it. */
const asColumns = (record: RegistrantRecord): Record<string, unknown> => {
  const entry: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    const column = OPENSIPS_REGISTRANT_COLUMNS[field as keyof RegistrantColumns];
    entry[column] = field === 'enabled' ? (value ? 0 : 1) : value;
  }
  return entry;
};

const writeJson = (path: string, entries: unknown): void => writeFileSync(path, `${JSON.stringify(entries, null, 2)}\n`);

const jsonStore = (style: 'record' | 'column' | 'mixed') => (records: readonly RegistrantRecord[]): JsonFileRegistrantStore => {
  const path = freshPath('json');
  writeJson(
    path,
    records.map((r, i) => (style === 'column' || (style === 'mixed' && i % 2 === 1) ? asColumns(r) : { ...r })),
  );
  return new JsonFileRegistrantStore(path);
};

const sqliteStore = (options: Omit<SqliteRegistrantStoreOptions, 'path'> & { path?: string } = {}) =>
  (records: readonly RegistrantRecord[]): SqliteRegistrantStore => {
    const store = new SqliteRegistrantStore({ path: options.path ?? freshPath('db'), ...options });
    for (const record of records) store.insert(record);
    return store;
  };

registrantStoreContract('MemoryRegistrantStore', (records) => new MemoryRegistrantStore(records));
registrantStoreContract('SqliteRegistrantStore (file, OpenSIPS schema created by the store)', sqliteStore());
registrantStoreContract('SqliteRegistrantStore (:memory:, renamed table and columns)', sqliteStore({
  path: ':memory:',
  table: 'my_registrant',
  columns: MANUAL_COLUMNS,
}));
registrantStoreContract('SqliteRegistrantStore (table made by the OpenSIPS DDL, create: false)', (records) => {
  const path = freshPath('db');
  const db = new Database(path);
  db.exec(OPENSIPS_DDL);
  db.close();
  return sqliteStore({ path, create: false })(records);
});
registrantStoreContract('JsonFileRegistrantStore (record keys)', jsonStore('record'));
registrantStoreContract('JsonFileRegistrantStore (OpenSIPS column keys)', jsonStore('column'));
registrantStoreContract('JsonFileRegistrantStore (both styles in one file)', jsonStore('mixed'));

const expectConfigError = (fn: () => unknown, ...fragments: string[]): void => {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  for (const fragment of fragments) expect((thrown as Error).message).toContain(fragment);
};

const expectStoreError = (fn: () => unknown, ...fragments: string[]): StoreError => {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(StoreError);
  for (const fragment of fragments) expect((thrown as Error).message).toContain(fragment);
  return thrown as StoreError;
};

describe('MemoryRegistrantStore specifics', () => {
  const alice: RegistrantRecord = { aor: 'sip:alice@example.com', bindingUri: 'sip:alice@192.0.2.1', registrar: 'sip:example.com', enabled: true };

  it('rejects a record without aor, bindingUri or registrar, naming its index and field', () => {
    expectConfigError(() => new MemoryRegistrantStore([alice, { ...alice, aor: '' }]), 'records[1]', 'aor', 'non-empty string');
    expectConfigError(() => new MemoryRegistrantStore([{ ...alice, bindingUri: undefined as unknown as string }]), 'records[0]', 'bindingUri');
    expectConfigError(() => new MemoryRegistrantStore([{ ...alice, registrar: 5 as unknown as string }]), 'registrar', 'got 5');
    expectConfigError(() => new MemoryRegistrantStore([{ ...alice, expirySec: -1 }]), 'expirySec');
    expectConfigError(() => new MemoryRegistrantStore([{ ...alice, enabled: 'yes' as unknown as boolean }]), 'enabled', 'boolean');
    expectConfigError(() => new MemoryRegistrantStore('x' as unknown as RegistrantRecord[]), 'array');
  });

  it('rejects a repeated key, naming it', () => {
    expectConfigError(
      () => new MemoryRegistrantStore([alice, { ...alice, username: 'other' }]),
      'records[1] repeats the key',
      '"sip:alice@example.com"',
      '"sip:alice@192.0.2.1"',
      '"sip:example.com"',
    );
  });

  it("copies records, drops '' fields and expiry 0, ignores unknown properties, and hands out frozen values", () => {
    const input = { ...alice, proxy: '', username: 'alice', expirySec: 0, note: 'host data' } as RegistrantRecord;
    const store = new MemoryRegistrantStore([input]);
    const [loaded] = store.loadAll();
    expect(loaded).toStrictEqual({ ...alice, username: 'alice' });
    expect(Object.isFrozen(loaded)).toBe(true);
    expect(Object.isFrozen(store.loadAll())).toBe(true);
    (input as { username: string }).username = 'changed';
    expect(store.loadAll()[0].username).toBe('alice');
  });

  it('put inserts or replaces in place; delete removes; both report what they did', () => {
    const bob = { ...alice, aor: 'sip:bob@example.com' };
    const store = new MemoryRegistrantStore([alice]);
    expect(store.put(bob)).toBe(false);
    expect(store.put({ ...alice, password: 'secret', enabled: false })).toBe(true);
    expect(store.loadAll()).toStrictEqual([{ ...alice, password: 'secret', enabled: false }, bob]);
    expect(store.delete(alice)).toBe(true);
    expect(store.delete(alice)).toBe(false);
    expect(store.loadAll()).toStrictEqual([bob]);
    expectConfigError(() => store.put({ ...alice, registrar: '' }), 'record', 'registrar');
  });

  it('rejects invalid setEnabled and delete arguments', () => {
    const store = new MemoryRegistrantStore([alice]);
    expectConfigError(() => store.setEnabled(alice, 1 as unknown as boolean), 'enabled must be a boolean');
    expectConfigError(() => store.setEnabled({ aor: alice.aor, bindingUri: alice.bindingUri } as never, false), 'key.registrar');
    expectConfigError(() => store.delete(null as never), 'key must be an object');
  });
});

describe('SqliteRegistrantStore specifics', () => {
  let path: string;
  const open: SqliteRegistrantStore[] = [];
  const openStore = (options: Partial<SqliteRegistrantStoreOptions> = {}): SqliteRegistrantStore => {
    const store = new SqliteRegistrantStore({ path, ...options });
    open.push(store);
    return store;
  };
  const withDb = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  beforeEach(() => {
    path = freshPath('db');
  });
  afterEach(() => {
    for (const store of open.splice(0)) store.close();
  });

  it('reads a table made by the OpenSIPS DDL with rows inserted by plain SQL', () => {
    withDb((db) => {
      db.exec(OPENSIPS_DDL);
      db.exec(`
        INSERT INTO registrant (registrar, proxy, aor, third_party_registrant, username, password, binding_URI,
            binding_params, expiry, forced_socket, cluster_shtag, state)
          VALUES ('sip:registrar.itsp.example', 'sip:edge.itsp.example;lr', 'sip:pbx@itsp.example', 'sip:admin@pbx.example',
            'pbx', 's3cret', 'sip:pbx@203.0.113.4:5060', ';reg-id=1;+sip.instance="<urn:uuid:1111>"', 3600,
            'udp:192.0.2.10:5060', 'vip/1', 0);
        INSERT INTO registrant (registrar, aor, binding_URI, expiry) VALUES ('sip:example.com', 'sip:alice@example.com', 'sip:alice@192.0.2.1', NULL);
        INSERT INTO registrant (registrar, proxy, aor, third_party_registrant, username, password, binding_URI, binding_params, expiry, forced_socket, cluster_shtag, state)
          VALUES ('sip:example.com', '', 'sip:bob@example.com', '', '', '', 'sip:bob@192.0.2.2', '', 0, '', '', 1);
        INSERT INTO registrant (registrar, aor, binding_URI, expiry, state) VALUES ('sip:example.com', 'sip:carol@example.com', 'sip:carol@192.0.2.3', '120', 2);
      `);
    });
    for (const create of [false, true]) {
      const store = openStore({ create });
      expect(store.loadAll()).toStrictEqual([
        {
          registrar: 'sip:registrar.itsp.example',
          proxy: 'sip:edge.itsp.example;lr',
          aor: 'sip:pbx@itsp.example',
          thirdPartyRegistrant: 'sip:admin@pbx.example',
          username: 'pbx',
          password: 's3cret',
          bindingUri: 'sip:pbx@203.0.113.4:5060',
          bindingParams: ';reg-id=1;+sip.instance="<urn:uuid:1111>"',
          expirySec: 3600,
          forcedSocket: 'udp:192.0.2.10:5060',
          clusterShtag: 'vip/1',
          enabled: true,
        },
        { registrar: 'sip:example.com', aor: 'sip:alice@example.com', bindingUri: 'sip:alice@192.0.2.1', enabled: true },
        { registrar: 'sip:example.com', aor: 'sip:bob@example.com', bindingUri: 'sip:bob@192.0.2.2', enabled: false },
        { registrar: 'sip:example.com', aor: 'sip:carol@example.com', bindingUri: 'sip:carol@192.0.2.3', expirySec: 120, enabled: false },
      ]);
      store.close();
    }
  });

  it('setEnabled writes state 1/0 by (aor, binding_URI, registrar), survives reopening and is seen by other connections', () => {
    const key = { aor: 'sip:alice@example.com', bindingUri: 'sip:alice@192.0.2.1', registrar: 'sip:example.com' };
    const first = openStore();
    first.insert({ ...key, enabled: true });
    first.insert({ ...key, registrar: 'sip:backup.example.com', enabled: true });
    expect(first.setEnabled(key, false)).toBe(true);
    const states = (): unknown => withDb((db) => db.prepare('SELECT registrar, state FROM registrant ORDER BY id').all());
    expect(states()).toEqual([
      { registrar: 'sip:example.com', state: 1 },
      { registrar: 'sip:backup.example.com', state: 0 },
    ]);
    first.close();
    const reopened = openStore();
    expect(reopened.loadAll().map((r) => r.enabled)).toEqual([false, true]);
    expect(reopened.setEnabled(key, true)).toBe(true);
    expect(states()).toEqual([
      { registrar: 'sip:example.com', state: 0 },
      { registrar: 'sip:backup.example.com', state: 0 },
    ]);
    expect(reopened.setEnabled({ ...key, aor: 'sip:nobody@example.com' }, true)).toBe(false);
  });

  it('picks up rows another process changed on the next loadAll (reg_reload)', () => {
    const store = openStore();
    expect(store.loadAll()).toEqual([]);
    withDb((db) => db.exec(`INSERT INTO registrant (registrar, aor, binding_URI) VALUES ('sip:r.example', 'sip:a@r.example', 'sip:a@192.0.2.1')`));
    expect(store.loadAll()).toHaveLength(1);
    withDb((db) => db.exec(`UPDATE registrant SET state = 1`));
    expect(store.loadAll()[0].enabled).toBe(false);
  });

  it('reads and writes a table with renamed columns (the manual\'s *_column examples)', () => {
    withDb((db) => {
      db.exec(`
        CREATE TABLE my_registrant (
          pk INTEGER PRIMARY KEY, registrant_uri TEXT NOT NULL, proxy_uri TEXT, to_uri TEXT NOT NULL, from_uri TEXT,
          auth_username TEXT, auth_passowrd TEXT, contact_uri TEXT NOT NULL, contact_params TEXT,
          registration_timeout INTEGER, fs TEXT, sh TEXT, status INTEGER NOT NULL DEFAULT 0, note TEXT);
        INSERT INTO my_registrant (registrant_uri, to_uri, contact_uri, auth_username, auth_passowrd, registration_timeout, status, note)
          VALUES ('sip:itsp.example', 'sip:pbx@itsp.example', 'sip:pbx@203.0.113.4', 'pbx', 'pw', 900, 1, 'ignored');
      `);
    });
    const store = openStore({ table: 'my_registrant', columns: MANUAL_COLUMNS, create: false });
    const record = { registrar: 'sip:itsp.example', aor: 'sip:pbx@itsp.example', bindingUri: 'sip:pbx@203.0.113.4', username: 'pbx', password: 'pw', expirySec: 900 };
    expect(store.loadAll()).toStrictEqual([{ ...record, enabled: false }]);
    expect(store.setEnabled(record, true)).toBe(true);
    expect(withDb((db) => db.prepare('SELECT status FROM my_registrant').get())).toEqual({ status: 0 });
    store.insert({ ...record, aor: 'sip:fax@itsp.example', proxy: 'sip:edge.example;lr', enabled: false });
    expect(withDb((db) => db.prepare('SELECT to_uri, proxy_uri, status FROM my_registrant ORDER BY pk').all())).toEqual([
      { to_uri: 'sip:pbx@itsp.example', proxy_uri: null, status: 0 },
      { to_uri: 'sip:fax@itsp.example', proxy_uri: 'sip:edge.example;lr', status: 1 },
    ]);
  });

  it('creates the OpenSIPS schema, under renamed columns too, and leaves an existing table alone', () => {
    openStore();
    const columns = withDb((db) => db.prepare('PRAGMA table_info(registrant)').all() as { name: string; type: string; dflt_value: unknown; pk: number }[]);
    expect(columns.map((c) => c.name)).toEqual([
      'id', 'registrar', 'proxy', 'aor', 'third_party_registrant', 'username', 'password',
      'binding_URI', 'binding_params', 'expiry', 'forced_socket', 'cluster_shtag', 'state',
    ]);
    expect(columns.find((c) => c.name === 'id')?.pk).toBe(1);
    expect(columns.find((c) => c.name === 'expiry')?.type).toBe('INTEGER');
    expect(columns.find((c) => c.name === 'state')).toMatchObject({ type: 'INTEGER', dflt_value: '0' });

    openStore({ table: 'renamed', columns: { aor: 'to_uri', bindingUri: 'contact_uri', enabled: 'status' } });
    const renamed = withDb((db) => (db.prepare('PRAGMA table_info(renamed)').all() as { name: string }[]).map((c) => c.name));
    expect(renamed).toEqual(expect.arrayContaining(['id', 'to_uri', 'contact_uri', 'status', 'registrar']));
    expect(renamed).not.toContain('aor');

    const store = openStore();
    const record = { aor: 'sip:a@example.com', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:example.com', enabled: true };
    store.insert(record);
    expectStoreError(() => store.insert(record), 'insert', 'UNIQUE');
    expect(openStore().loadAll()).toStrictEqual([record]);
  });

  it('rejects an invalid row with a StoreError naming the row and column', () => {
    withDb((db) => {
      db.exec(OPENSIPS_DDL);
      db.exec(`INSERT INTO registrant (registrar, aor, binding_URI) VALUES ('sip:example.com', 'sip:alice@example.com', 'sip:alice@192.0.2.1')`);
      db.exec(`INSERT INTO registrant (registrar, aor, binding_URI, expiry) VALUES ('sip:example.com', 'sip:bob@example.com', 'sip:bob@192.0.2.2', 'soon')`);
    });
    const store = openStore({ create: false });
    expectStoreError(() => store.loadAll(), 'row 2', 'sip:bob@example.com', 'column "expiry"', '"soon"');
    withDb((db) => db.exec(`UPDATE registrant SET expiry = NULL, aor = '' WHERE aor = 'sip:bob@example.com'`));
    expectStoreError(() => store.loadAll(), 'row 2', 'column "aor"', 'non-empty string');
  });

  it('rejects two rows with the same key in a table without the unique constraint', () => {
    withDb((db) => db.exec(`
      CREATE TABLE loose (registrar TEXT, proxy TEXT, aor TEXT, third_party_registrant TEXT, username TEXT, password TEXT,
        binding_URI TEXT, binding_params TEXT, expiry INTEGER, forced_socket TEXT, cluster_shtag TEXT, state INTEGER);
      INSERT INTO loose (registrar, aor, binding_URI, state) VALUES ('sip:r', 'sip:a@r', 'sip:a@h', 0), ('sip:r', 'sip:a@r', 'sip:a@h', 1);
    `));
    expectStoreError(() => openStore({ table: 'loose', create: false }).loadAll(), 'row 2', 'repeats the key');
  });

  it('throws a StoreError when the file or table is unusable', () => {
    expectStoreError(() => openStore({ create: false }), 'no such table');
    withDb((db) => db.exec('CREATE TABLE partial (registrar TEXT, aor TEXT, binding_URI TEXT)'));
    expectStoreError(() => openStore({ table: 'partial' }), 'partial', 'no such column');
    const garbage = freshPath('db');
    writeFileSync(garbage, 'this is not an SQLite database, just text long enough to have a header...'.repeat(20));
    expectStoreError(() => new SqliteRegistrantStore({ path: garbage }));
    expectStoreError(() => new SqliteRegistrantStore({ path: join(root, 'missing-dir', 'x.db') }), 'open');
  });

  it('reports a locked database as a transient StoreError', () => {
    const store = openStore({ busyTimeoutMs: 0 });
    store.insert({ aor: 'sip:a@example.com', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:example.com', enabled: true });
    const other = new Database(path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const error = expectStoreError(() => store.setEnabled({ aor: 'sip:a@example.com', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:example.com' }, false));
      expect(error.transient).toBe(true);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(store.setEnabled({ aor: 'sip:a@example.com', bindingUri: 'sip:a@192.0.2.1', registrar: 'sip:example.com' }, false)).toBe(true);
  });

  it('validates options with ConfigErrors', () => {
    expectConfigError(() => new SqliteRegistrantStore({} as SqliteRegistrantStoreOptions), 'options.path');
    expectConfigError(() => new SqliteRegistrantStore({ path, table: 'registrant; DROP TABLE x' }), 'table');
    expectConfigError(() => new SqliteRegistrantStore({ path, columns: { aor: 'to-uri' } }), 'columns.aor', '"to-uri"');
    expectConfigError(() => new SqliteRegistrantStore({ path, columns: { aor: '1st' } }), 'columns.aor');
    expectConfigError(() => new SqliteRegistrantStore({ path, columns: { state: 'status' } as never }), 'unknown field "state"');
    expectConfigError(() => new SqliteRegistrantStore({ path, columns: { aor: 'BINDING_uri' } }), 'columns.bindingUri', 'columns.aor');
    expectConfigError(() => new SqliteRegistrantStore({ path, columns: { aor: 'id' } }), 'primary key');
    expectConfigError(() => new SqliteRegistrantStore({ path, busyTimeoutMs: -1 }), 'busyTimeoutMs');
    expectConfigError(() => new SqliteRegistrantStore({ path, create: 'yes' as never }), 'create');
    const store = openStore();
    expectConfigError(() => store.insert({ aor: 'sip:a@example.com', bindingUri: '', registrar: 'sip:example.com', enabled: true }), 'bindingUri');
    expectConfigError(() => store.setEnabled({ aor: 'a', bindingUri: 'b', registrar: 'c' }, 'no' as never), 'enabled');
  });
});

describe('JsonFileRegistrantStore specifics', () => {
  let path: string;
  beforeEach(() => {
    path = freshPath('json');
  });

  const both = [
    {
      aor: 'sip:pbx@itsp.example',
      bindingUri: 'sip:pbx@203.0.113.4',
      registrar: 'sip:itsp.example',
      proxy: 'sip:edge.itsp.example;lr',
      thirdPartyRegistrant: 'sip:admin@pbx.example',
      username: 'pbx',
      password: 'secret',
      bindingParams: ';reg-id=1',
      expirySec: 600,
      forcedSocket: 'udp:192.0.2.10:5060',
      clusterShtag: 'vip/1',
      enabled: true,
    },
    {
      id: 7,
      aor: 'sip:fax@itsp.example',
      binding_URI: 'sip:fax@203.0.113.4',
      registrar: 'sip:itsp.example',
      proxy: null,
      third_party_registrant: '',
      username: 'fax',
      password: 'pw',
      binding_params: null,
      expiry: 0,
      forced_socket: 'tcp:192.0.2.10:5060',
      cluster_shtag: 'vip/2',
      state: 1,
    },
    { aor: 'sip:door@itsp.example', binding_URI: 'sip:door@203.0.113.5', registrar: 'sip:itsp.example', expiry: 300 },
    { aor: 'sip:lift@itsp.example', bindingUri: 'sip:lift@203.0.113.6', registrar: 'sip:itsp.example', proxy: '', enabled: false },
  ];

  it('reads entries in both key styles', () => {
    writeJson(path, both);
    const { id: _id, ...fax } = both[1];
    void _id;
    expect(new JsonFileRegistrantStore(path).loadAll()).toStrictEqual([
      both[0],
      {
        aor: fax.aor,
        bindingUri: fax.binding_URI,
        registrar: fax.registrar,
        username: 'fax',
        password: 'pw',
        forcedSocket: 'tcp:192.0.2.10:5060',
        clusterShtag: 'vip/2',
        enabled: false,
      },
      { aor: 'sip:door@itsp.example', bindingUri: 'sip:door@203.0.113.5', registrar: 'sip:itsp.example', expirySec: 300, enabled: true },
      { aor: 'sip:lift@itsp.example', bindingUri: 'sip:lift@203.0.113.6', registrar: 'sip:itsp.example', enabled: false },
    ]);
  });

  it('setEnabled rewrites the file atomically in the style of the changed entry, keeping everything else', () => {
    writeJson(path, both);
    chmodSync(path, 0o600);
    const store = new JsonFileRegistrantStore(path);
    expect(store.setEnabled({ aor: 'sip:pbx@itsp.example', bindingUri: 'sip:pbx@203.0.113.4', registrar: 'sip:itsp.example' }, false)).toBe(true);
    expect(store.setEnabled({ aor: 'sip:fax@itsp.example', bindingUri: 'sip:fax@203.0.113.4', registrar: 'sip:itsp.example' }, true)).toBe(true);
    expect(store.setEnabled({ aor: 'sip:door@itsp.example', bindingUri: 'sip:door@203.0.113.5', registrar: 'sip:itsp.example' }, false)).toBe(true);
    const written = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
    expect(written).toStrictEqual([{ ...both[0], enabled: false }, { ...both[1], state: 0 }, { ...both[2], state: 1 }, both[3]]);
    expect(Object.keys(written[1])).toEqual(Object.keys(both[1]));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(root).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(new JsonFileRegistrantStore(path).loadAll().map((r) => r.enabled)).toEqual([false, true, false, false]);
  });

  it('leaves the file untouched when the key is unknown or the flag already has that value', () => {
    writeFileSync(path, JSON.stringify(both));
    const before = readFileSync(path, 'utf8');
    const store = new JsonFileRegistrantStore(path);
    expect(store.setEnabled({ aor: 'sip:nobody@itsp.example', bindingUri: 'sip:pbx@203.0.113.4', registrar: 'sip:itsp.example' }, false)).toBe(false);
    expect(store.setEnabled({ aor: 'sip:lift@itsp.example', bindingUri: 'sip:lift@203.0.113.6', registrar: 'sip:itsp.example' }, false)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('loadAll re-reads the file, so a reload sees edits', () => {
    writeJson(path, [both[0]]);
    const store = new JsonFileRegistrantStore(path);
    expect(store.loadAll()).toHaveLength(1);
    writeJson(path, both);
    expect(store.loadAll()).toHaveLength(4);
  });

  it('rewrites the file a symlink points to and keeps the link', () => {
    const target = freshPath('json');
    writeJson(target, [both[2]]);
    symlinkSync(target, path);
    const store = new JsonFileRegistrantStore(path);
    expect(store.setEnabled({ aor: 'sip:door@itsp.example', bindingUri: 'sip:door@203.0.113.5', registrar: 'sip:itsp.example' }, false)).toBe(true);
    expect(JSON.parse(readFileSync(target, 'utf8'))).toEqual([{ ...both[2], state: 1 }]);
    expect(store.loadAll()[0].enabled).toBe(false);
  });

  it.each([
    ['an unknown key', [{ ...both[0], bindingURI: 'x' }], ['entry 0', 'unknown key "bindingURI"']],
    ['mixed styles in one entry', [both[3], { ...both[0], expiry: 60 }], ['entry 1', 'key "expiry"', 'key "bindingUri"', 'one style per entry']],
    ['expiry as a string', [both[0], { ...both[2], expiry: '600' }], ['entry 1', 'key "expiry"', 'integer', '"600"']],
    ['a negative expirySec', [{ ...both[0], expirySec: -5 }], ['entry 0', 'key "expirySec"']],
    ['a fractional expiry', [{ ...both[2], expiry: 1.5 }], ['entry 0', 'key "expiry"']],
    ['enabled as a string', [{ ...both[0], enabled: 'yes' }], ['entry 0', 'key "enabled"', 'boolean']],
    ['state as a boolean', [{ ...both[2], state: true }], ['entry 0', 'key "state"', 'integer']],
    ['a numeric username', [{ ...both[0], username: 1001 }], ['entry 0', 'key "username"', 'got 1001']],
    ['a missing aor', [{ bindingUri: 'sip:x@h', registrar: 'sip:h' }], ['entry 0', 'key "aor"', 'non-empty string']],
    ['an empty binding_URI', [{ ...both[2], binding_URI: '' }], ['entry 0', 'key "binding_URI"']],
    ['a missing binding', [{ aor: 'sip:x@h', registrar: 'sip:h' }], ['entry 0', 'key "bindingUri"']],
    ['a non-integer id', [{ ...both[1], id: 'seven' }], ['entry 0', 'key "id"']],
    ['an entry that is not an object', [both[0], ['sip:x@h']], ['entry 1', 'must be an object']],
    ['a repeated key', [both[2], { ...both[2], id: 9 }], ['entry 1', 'repeats the key', 'of entry 0']],
    ['a repeated key across styles', [both[0], asColumns(both[0] as RegistrantRecord)], ['entry 1', 'repeats the key']],
    ['an object instead of an array', { registrants: [] }, ['JSON array']],
  ])('rejects %s with a ConfigError naming the entry and key', (_title, content, fragments) => {
    writeJson(path, content);
    const store = new JsonFileRegistrantStore(path);
    expectConfigError(() => store.loadAll(), path, ...fragments);
    expectConfigError(() => store.setEnabled({ aor: 'a', bindingUri: 'b', registrar: 'c' }, false), path);
  });

  it('rejects a file that is not JSON with a ConfigError', () => {
    writeFileSync(path, '[{ "aor": "sip:a@h", }]');
    expectConfigError(() => new JsonFileRegistrantStore(path).loadAll(), path, 'not valid JSON');
  });

  it('throws a StoreError when the file cannot be read, and a ConfigError without a path', () => {
    expectStoreError(() => new JsonFileRegistrantStore(path).loadAll(), 'read', path, 'ENOENT');
    const dir = freshPath('d');
    mkdirSync(dir);
    expectStoreError(() => new JsonFileRegistrantStore(dir).loadAll(), 'read', 'EISDIR');
    expectConfigError(() => new JsonFileRegistrantStore(''), 'file path');
  });
});
