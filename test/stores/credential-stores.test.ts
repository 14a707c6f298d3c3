import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredCredentials } from '../../src/ports/credential-store';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { digestHash } from '../../src/auth/digest-hash';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { JsonFileCredentialStore } from '../../src/stores/json-file-credential-store';
import { SqliteCredentialStore, type SqliteCredentialStoreOptions } from '../../src/stores/sqlite-credential-store';
import { credentialStoreContract } from '../../src/testing/credential-store-contract';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';

const root = mkdtempSync(join(tmpdir(), 'sipreg-credentials-'));
let fileNo = 0;
const freshPath = (ext: string): string => join(root, `subscribers-${fileNo++}.${ext}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * OpenSIPS's own SQLite schema, copied as is: scripts/sqlite/standard-create.sql (the `version`
 * table) followed by scripts/sqlite/auth_db-create.sql (`subscriber` version 8, `uri`, and the
 * alias_db `dbaliases` table) of github.com/OpenSIPS/opensips at commit 8f4f1e1b; `subscriber`
 * has had these columns since commit b0023b41 "auth_db: drop email_address and rpid columns".
 */
const OPENSIPS_AUTH_DB_SQL = `
CREATE TABLE version (
    table_name CHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_t_name_idx  UNIQUE (table_name)
);
INSERT INTO version (table_name, table_version) values ('subscriber','8');
CREATE TABLE subscriber (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    password CHAR(25) DEFAULT '' NOT NULL,
    ha1 CHAR(64) DEFAULT '' NOT NULL,
    ha1_sha256 CHAR(64) DEFAULT '' NOT NULL,
    ha1_sha512t256 CHAR(64) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx  UNIQUE (username, domain)
);

CREATE INDEX subscriber_username_idx  ON subscriber (username);

INSERT INTO version (table_name, table_version) values ('uri','2');
CREATE TABLE uri (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    uri_user CHAR(64) DEFAULT '' NOT NULL,
    last_modified DATETIME DEFAULT '1900-01-01 00:00:01' NOT NULL,
    CONSTRAINT uri_account_idx  UNIQUE (username, domain, uri_user)
);

INSERT INTO version (table_name, table_version) values ('dbaliases','2');
CREATE TABLE dbaliases (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    alias_username CHAR(64) DEFAULT '' NOT NULL,
    alias_domain CHAR(64) DEFAULT '' NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    CONSTRAINT dbaliases_alias_idx  UNIQUE (alias_username, alias_domain)
);

CREATE INDEX dbaliases_target_idx  ON dbaliases (username, domain);
`;

/** Insert `subscribers` into an OpenSIPS-schema database the way OpenSIPS keeps them ('' for an absent value). */
const insertOpensipsRows = (db: Database.Database, subscribers: readonly StoredCredentials[]): void => {
  const insert = db.prepare('INSERT INTO subscriber (username, domain, password, ha1, ha1_sha256, ha1_sha512t256) VALUES (?, ?, ?, ?, ?, ?)');
  const alias = db.prepare('INSERT INTO dbaliases (alias_username, alias_domain, username, domain) VALUES (?, ?, ?, ?)');
  for (const s of subscribers) {
    insert.run(s.username, s.realm, s.password ?? '', s.ha1?.['MD5'] ?? '', s.ha1?.['SHA-256'] ?? '', s.ha1?.['SHA-512-256'] ?? '');
    for (const a of s.aliases ?? []) alias.run(a.slice(0, a.lastIndexOf('@')), a.slice(a.lastIndexOf('@') + 1), s.username, s.realm);
  }
};

/** A database file made by OpenSIPS's script, holding `subscribers`. */
const opensipsDatabase = (subscribers: readonly StoredCredentials[]): string => {
  const path = freshPath('db');
  const db = new Database(path);
  db.exec(OPENSIPS_AUTH_DB_SQL);
  insertOpensipsRows(db, subscribers);
  db.close();
  return path;
};

/** A subscriber as a JSON file entry (OpenSIPS column names). */
const asEntry = (s: StoredCredentials): Record<string, unknown> => ({
  username: s.username,
  domain: s.realm,
  ...(s.password === undefined ? {} : { password: s.password }),
  ...(s.ha1?.['MD5'] === undefined ? {} : { ha1: s.ha1['MD5'] }),
  ...(s.ha1?.['SHA-256'] === undefined ? {} : { ha1_sha256: s.ha1['SHA-256'] }),
  ...(s.ha1?.['SHA-512-256'] === undefined ? {} : { ha1_sha512t256: s.ha1['SHA-512-256'] }),
  ...(s.aliases === undefined ? {} : { aliases: s.aliases }),
});

const writeJson = (path: string, entries: unknown): void => writeFileSync(path, `${JSON.stringify(entries, null, 2)}\n`);

credentialStoreContract('MemoryCredentialStore', { create: (subscribers) => new MemoryCredentialStore(subscribers) });
credentialStoreContract('JsonFileCredentialStore', {
  create: (subscribers) => {
    const path = freshPath('json');
    writeJson(path, subscribers.map(asEntry));
    return new JsonFileCredentialStore(path);
  },
});
credentialStoreContract('SqliteCredentialStore (file made by OpenSIPS\'s auth_db and alias_db scripts)', {
  create: (subscribers) => new SqliteCredentialStore({ path: opensipsDatabase(subscribers) }),
});
credentialStoreContract('SqliteCredentialStore (renamed table and columns holding NULLs, no alias table)', {
  aliases: false,
  create: (subscribers) => {
    const path = freshPath('db');
    const db = new Database(path);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, user TEXT NOT NULL, realm TEXT NOT NULL, secret TEXT, hash TEXT, hash256 TEXT, hash512 TEXT)');
    const insert = db.prepare('INSERT INTO users (user, realm, secret, hash, hash256, hash512) VALUES (?, ?, ?, ?, ?, ?)');
    for (const s of subscribers) insert.run(s.username, s.realm, s.password ?? null, s.ha1?.['MD5'] ?? null, s.ha1?.['SHA-256'] ?? null, s.ha1?.['SHA-512-256'] ?? null);
    db.close();
    return new SqliteCredentialStore({ path, table: 'users', columns: { username: 'user', domain: 'realm', password: 'secret', ha1: 'hash', ha1_sha256: 'hash256', ha1_sha512t256: 'hash512' } });
  },
});

const alice = { username: 'alice', realm: 'example.com', ha1: computeHa1s('alice', 'example.com', 'secret') };

/** What `fn` threw (or undefined), for asserting on its class and message. */
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

const expectError = (fn: () => unknown, type: typeof ConfigError | typeof StoreError, ...fragments: string[]): void => {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(type);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
};

describe('MemoryCredentialStore specifics', () => {
  it('answers synchronously with frozen values', () => {
    const store = new MemoryCredentialStore([alice]);
    const found = store.lookup('alice', 'example.com');
    expect(found).toEqual(alice);
    expect(Object.isFrozen(found)).toBe(true);
    expect(Object.isFrozen(found?.ha1)).toBe(true);
    expect(store.lookupByUserhash(digestHash('MD5', 'alice:example.com'), 'example.com', 'MD5')).toBe(found);
    expect(store.put({ ...alice, username: 'bob' })).toBeUndefined();
    expect(store.remove('bob', 'example.com')).toBe(true);
    expect(Object.isFrozen(store.list())).toBe(true);
  });

  it.each([
    ['a subscriber that is not an object', [null], 'subscribers[0] must be an object'],
    ['an empty username', [{ ...alice, username: '' }], 'subscribers[0].username must be a non-empty string, got ""'],
    ['a missing realm', [{ username: 'alice' }], 'subscribers[0].realm must be a non-empty string, got undefined'],
    ['a numeric password', [{ ...alice, password: 1234 }], 'subscribers[0].password must be a string or null, got 1234'],
    ['an HA1 that is not a string', [alice, { ...alice, username: 'bob', ha1: { 'SHA-256': 7 } }], 'subscribers[1].ha1["SHA-256"] must be a string or null, got 7'],
    ['aliases that are not an array', [{ ...alice, aliases: 'bob@example.com' }], 'subscribers[0].aliases must be an array of user@domain strings, got "bob@example.com"'],
    ['an alias without a domain', [{ ...alice, aliases: ['bob@'] }], 'subscribers[0].aliases must hold user@domain strings, got "bob@"'],
    ['a repeated subscriber, realm in another case', [alice, { ...alice, realm: 'EXAMPLE.com' }], 'subscribers[1] repeats alice@EXAMPLE.com'],
  ])('refuses %s with a ConfigError naming it', (_title, subscribers, message) => {
    expectError(() => new MemoryCredentialStore(subscribers as StoredCredentials[]), ConfigError, `MemoryCredentialStore: ${message}`);
  });

  it('refuses bad arguments with ConfigErrors saying what to pass', () => {
    const store = new MemoryCredentialStore();
    expectError(() => store.put({ ...alice, ha1: { ...alice.ha1, MD5: 'xyz' } }), ConfigError, 'MemoryCredentialStore: record.ha1["MD5"] must be 32 lower-case hex digits (see computeHa1s), got "xyz"');
    expectError(() => store.put({ username: 'alice', realm: 'example.com' } as never), ConfigError, 'record.ha1 must hold an HA1 per algorithm (see computeHa1s), got undefined');
    expectError(() => store.remove('', 'example.com'), ConfigError, 'username must be a non-empty string');
    expectError(() => store.list(7 as never), ConfigError, 'realm must be a string, got 7');
    expectError(() => store.lookupByUserhash('00', 'example.com', 'SHA-1' as never), ConfigError, 'unknown digest algorithm "SHA-1"; use MD5, SHA-256 or SHA-512-256');
  });
});

describe('JsonFileCredentialStore specifics', () => {
  let path: string;
  beforeEach(() => {
    path = freshPath('json');
  });

  it('put and remove rewrite the file with the OpenSIPS column names, keeping the other entries and keys as they were', () => {
    writeJson(path, [
      { id: 7, username: 'bob', domain: 'example.com', password: 'hunter2', aliases: ['robert@example.com'] },
      { username: 'carol', domain: 'example.org', ha1: 'c'.repeat(32) },
    ]);
    const store = new JsonFileCredentialStore(path);
    const bob = computeHa1s('bob', 'Example.com', 'new');
    store.put({ username: 'bob', realm: 'Example.com', ha1: bob });
    store.put(alice);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual([
      { id: 7, username: 'bob', domain: 'Example.com', aliases: ['robert@example.com'], ha1: bob['MD5'], ha1_sha256: bob['SHA-256'], ha1_sha512t256: bob['SHA-512-256'] },
      { username: 'carol', domain: 'example.org', ha1: 'c'.repeat(32) },
      { username: 'alice', domain: 'example.com', ha1: alice.ha1['MD5'], ha1_sha256: alice.ha1['SHA-256'], ha1_sha512t256: alice.ha1['SHA-512-256'] },
    ]);
    expect(store.remove('carol', 'EXAMPLE.org')).toBe(true);
    expect(store.remove('carol', 'example.org')).toBe(false);
    expect((JSON.parse(readFileSync(path, 'utf8')) as { username: string }[]).map((e) => e.username)).toEqual(['bob', 'alice']);
    expect(new JsonFileCredentialStore(path).list()).toEqual(store.list());
  });

  it('refuses a missing file with a StoreError, and with create makes it (mode 0600) on the first put only', () => {
    expectError(() => new JsonFileCredentialStore(path), StoreError, `json credential store: read ${path} failed: ENOENT`);
    const store = new JsonFileCredentialStore(path, { create: true });
    expect(store.list()).toEqual([]);
    expect(store.remove('alice', 'example.com')).toBe(false);
    expect(existsSync(path)).toBe(false);
    store.put(alice);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new JsonFileCredentialStore(path).lookup('alice', 'example.com')).toEqual(alice);
  });

  it('keeps the old subscriber in memory when the rewrite fails', () => {
    const dir = join(root, `gone-${fileNo++}`);
    mkdirSync(dir);
    const inside = join(dir, 'users.json');
    writeJson(inside, [{ username: 'alice', domain: 'example.com', password: 'old' }]);
    const store = new JsonFileCredentialStore(inside);
    rmSync(dir, { recursive: true });
    expectError(() => store.put(alice), StoreError, `json credential store: rewrite ${inside} failed: ENOENT`);
    expectError(() => store.remove('alice', 'example.com'), StoreError, 'failed: ENOENT');
    expect(store.lookup('alice', 'example.com')).toEqual({ username: 'alice', realm: 'example.com', password: 'old' });
  });

  it.each([
    ['not JSON', '[{"username": "a",}]', 'not valid JSON'],
    ['an object instead of an array', '{"subscribers": []}', 'must hold a JSON array of subscriber objects'],
    ['an entry that is not an object', '[["alice"]]', 'entry 0: must be an object'],
    ['an unknown key', '[{"username": "alice", "domain": "example.com", "passwd": "x"}]', 'entry 0: unknown key "passwd"; keys are username, domain, password, ha1, ha1_sha256, ha1_sha512t256, aliases, id'],
    ['a missing domain', '[{"username": "alice"}]', 'entry 0: key "domain" must be a non-empty string, got undefined'],
    ['a numeric HA1', '[{"username": "alice", "domain": "example.com"}, {"username": "bob", "domain": "example.com", "ha1": 42}]', 'entry 1: key "ha1" must be a string or null, got 42'],
    ['a bad alias', '[{"username": "alice", "domain": "example.com", "aliases": ["alice"]}]', 'entry 0: key "aliases" must hold user@domain strings, got "alice"'],
    ['a repeated subscriber', '[{"username": "alice", "domain": "example.com"}, {"username": "alice", "domain": "Example.COM"}]', 'entry 1: repeats alice@Example.COM of entry 0'],
  ])('refuses %s with a ConfigError naming the file, entry and key', (_title, text, message) => {
    writeFileSync(path, text);
    expectError(() => new JsonFileCredentialStore(path), ConfigError, `${path}: ${message}`);
  });

  it('accepts null and empty values as absent', () => {
    writeJson(path, [{ username: 'alice', domain: 'example.com', password: '', ha1: null, ha1_sha256: 'f'.repeat(64), aliases: [] }]);
    expect(new JsonFileCredentialStore(path).lookup('alice', 'example.com')).toEqual({ username: 'alice', realm: 'example.com', ha1: { 'SHA-256': 'f'.repeat(64) } });
  });
});

describe('SqliteCredentialStore specifics', () => {
  it('reads a subscriber and its aliases that OpenSIPS\'s own schema holds, and writes rows OpenSIPS reads the same way', () => {
    const path = freshPath('db');
    const db = new Database(path);
    db.exec(OPENSIPS_AUTH_DB_SQL);
    // What `opensips-cli -x user add alice@example.com secret` writes: the HA1s and no plain password.
    db.prepare("INSERT INTO subscriber (username, domain, ha1, ha1_sha256, ha1_sha512t256) VALUES ('alice', 'example.com', ?, ?, ?)")
      .run(alice.ha1['MD5'], alice.ha1['SHA-256'], alice.ha1['SHA-512-256']);
    db.exec("INSERT INTO dbaliases (alias_username, alias_domain, username, domain) VALUES ('1001', 'example.com', 'alice', 'example.com'), ('', 'example.com', 'alice', 'example.com')");
    const store = new SqliteCredentialStore({ path });
    expect(store.lookup('alice', 'Example.COM')).toEqual({ ...alice, aliases: ['1001@example.com'] });
    const bob = computeHa1s('bob', 'example.com', 'pw');
    store.put({ username: 'bob', realm: 'example.com', ha1: bob });
    expect(db.prepare("SELECT username, domain, password, ha1, ha1_sha256, ha1_sha512t256 FROM subscriber WHERE username = 'bob'").get())
      .toEqual({ username: 'bob', domain: 'example.com', password: '', ha1: bob['MD5'], ha1_sha256: bob['SHA-256'], ha1_sha512t256: bob['SHA-512-256'] });
    store.close();
    db.close();
  });

  it('refuses a missing file or table without create, creating nothing', () => {
    const path = freshPath('db');
    expectError(() => new SqliteCredentialStore({ path }), StoreError, `sqlite credential store: open ${path} failed`);
    expect(existsSync(path)).toBe(false);
    new Database(path).close();
    expectError(() => new SqliteCredentialStore({ path }), StoreError, `sqlite credential store: ${path} has no table "subscriber"; create it with OpenSIPS's auth_db schema, or add a user with sipreg user add`);
    const db = new Database(path);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    db.close();
  });

  it('creates the file (mode 0600) and OpenSIPS\'s subscriber table with create, under the configured names', () => {
    const path = freshPath('db');
    new SqliteCredentialStore({ path, create: true }).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    new SqliteCredentialStore({ path, table: 'accounts', columns: { ha1: 'hash' }, create: true }).close();
    const db = new Database(path);
    const columns = (table: string): unknown[] => db.prepare(`SELECT name, type, "notnull", dflt_value FROM pragma_table_info('${table}')`).all();
    const opensips = new Database(':memory:');
    opensips.exec(OPENSIPS_AUTH_DB_SQL);
    expect(columns('subscriber')).toEqual(opensips.prepare("SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('subscriber')").all());
    expect(columns('accounts').map((c) => (c as { name: string }).name)).toEqual(['id', 'username', 'domain', 'password', 'hash', 'ha1_sha256', 'ha1_sha512t256']);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'subscriber' ORDER BY name").pluck().all())
      .toEqual(['sqlite_autoindex_subscriber_1', 'subscriber_username_idx']);
    opensips.close();
    db.close();
  });

  it('refuses a table without one of the columns, naming it', () => {
    const path = freshPath('db');
    const db = new Database(path);
    db.exec("CREATE TABLE subscriber (id INTEGER PRIMARY KEY, username TEXT, domain TEXT, password TEXT, ha1 TEXT, ha1b TEXT)");
    db.close();
    expectError(() => new SqliteCredentialStore({ path }), StoreError, `sqlite credential store: table "subscriber" in ${path} has no column "ha1_sha256"; name the column that holds it with columns.ha1_sha256`);
  });

  it('refuses an invalid row with a StoreError naming the table, the user and the column', () => {
    const file = opensipsDatabase([]);
    const db = new Database(file);
    db.exec("INSERT INTO subscriber (username, domain) VALUES ('alice', '')");
    db.close();
    expectError(() => new SqliteCredentialStore({ path: file }).list(), StoreError, 'sqlite credential store: table "subscriber" row (username "alice"): column "domain" must be a non-empty string, got ""');
  });

  it('lookupByUserhash sees rows another connection wrote after its first use (PRAGMA data_version)', () => {
    const path = opensipsDatabase([alice]);
    const store = new SqliteCredentialStore({ path });
    const userhash = (username: string): string => digestHash('SHA-512-256', `${username}:example.com`);
    expect(store.lookupByUserhash(userhash('alice'), 'example.com', 'SHA-512-256')).toEqual(alice);
    expect(store.lookupByUserhash(userhash('dave'), 'example.com', 'SHA-512-256')).toBeUndefined();
    const other = new Database(path);
    insertOpensipsRows(other, [{ username: 'dave', realm: 'example.com', password: 'pw' }]);
    other.prepare("DELETE FROM subscriber WHERE username = 'alice'").run();
    other.close();
    expect(store.lookupByUserhash(userhash('dave'), 'example.com', 'SHA-512-256')).toEqual({ username: 'dave', realm: 'example.com', password: 'pw' });
    expect(store.lookupByUserhash(userhash('alice'), 'example.com', 'SHA-512-256')).toBeUndefined();
    store.close();
  });

  it.each([
    [{}, 'needs options.path'],
    [{ path: ':memory:', table: 'sub scriber' }, 'table must match'],
    [{ path: ':memory:', aliasTable: 'a;b' }, 'aliasTable must match'],
    [{ path: ':memory:', columns: { user: 'x' } }, 'columns has unknown key "user"; keys are username, domain, password, ha1, ha1_sha256, ha1_sha512t256'],
    [{ path: ':memory:', columns: { ha1: 'HA1_SHA256' } }, 'columns.ha1_sha256 and columns.ha1 are both "ha1_sha256"'],
    [{ path: ':memory:', columns: { password: 'id' } }, 'columns.password cannot be "id"'],
    [{ path: ':memory:', busyTimeoutMs: -1 }, 'busyTimeoutMs must be an integer >= 0, got -1'],
    [{ path: ':memory:', create: 'yes' }, 'create must be a boolean, got "yes"'],
  ])('refuses options %j with a ConfigError', (options, message) => {
    expectError(() => new SqliteCredentialStore(options as SqliteCredentialStoreOptions), ConfigError, message);
  });
});
