import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { digestHash } from '../../src/auth/digest-hash';
import { ConfigError, StoreError } from '../../src/errors/sdk-error';
import { JsonFileCredentialStore } from '../../src/stores/json-file-credential-store';

const alice = { username: 'alice', domain: 'example.com', password: 'alice-secret' };
const bob = { username: 'bob', domain: 'example.com', ha1: computeHa1s('bob', 'example.com', 'bob-secret')['MD5'] };

describe('JsonFileCredentialStore.reload: the file edited by hand, read again', () => {
  let dir: string;
  let path: string;
  const write = (entries: unknown): void => writeFileSync(path, `${JSON.stringify(entries, null, 2)}\n`);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipreg-json-reload-'));
    path = join(dir, 'users.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers from the file as it is now, userhash lookups included, and returns the number of subscribers', () => {
    write([alice]);
    const store = new JsonFileCredentialStore(path);
    const bobHash = digestHash('SHA-256', 'bob:example.com');
    expect(store.lookupByUserhash(bobHash, 'example.com', 'SHA-256')).toBeUndefined();
    write([{ ...alice, password: 'changed' }, bob]);
    expect(store.lookup('bob', 'example.com')).toBeUndefined();

    expect(store.reload()).toBe(2);
    expect(store.lookup('alice', 'example.com')).toEqual({ username: 'alice', realm: 'example.com', password: 'changed' });
    expect(store.lookup('bob', 'example.com')).toEqual({ username: 'bob', realm: 'example.com', ha1: { MD5: bob.ha1 } });
    expect(store.lookupByUserhash(bobHash, 'example.com', 'SHA-256')?.username).toBe('bob');

    write([bob]);
    expect(store.reload()).toBe(1);
    expect(store.lookup('alice', 'example.com')).toBeUndefined();
    expect(store.list().map((s) => s.username)).toEqual(['bob']);
  });

  it('keeps what a later put writes on top of the reloaded entries', () => {
    write([alice]);
    const store = new JsonFileCredentialStore(path);
    write([alice, bob]);
    store.reload();
    store.put({ username: 'carol', realm: 'example.com', ha1: computeHa1s('carol', 'example.com', 'c') });
    expect(new JsonFileCredentialStore(path).list().map((s) => s.username)).toEqual(['alice', 'bob', 'carol']);
  });

  it.each([
    // The file's path is known inside the test only: `at` puts it into the message.
    ['invalid content', () => writeFileSync(path, '[{"username": "alice",}]'), ConfigError, (at: string) => `${at}: not valid JSON`],
    ['an unknown key', () => writeFileSync(path, '[{"username": "bob", "domain": "example.com", "passwd": "x"}]'), ConfigError, (at: string) => `${at}: entry 0: unknown key "passwd"`],
    ['a missing file', () => rmSync(path), StoreError, (at: string) => `json credential store: read ${at} failed: ENOENT`],
  ])('throws for %s as the constructor does and keeps the subscribers loaded before', (_title, breakFile, type, message) => {
    write([alice]);
    const store = new JsonFileCredentialStore(path);
    breakFile();
    let thrown: unknown;
    try {
      store.reload();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message.startsWith(message(path))).toBe(true);
    expect(store.list()).toEqual([{ username: 'alice', realm: 'example.com', password: 'alice-secret' }]);
  });

  it('does not repeat the text around a JSON syntax error, which may be a password', () => {
    // The message only: the SyntaxError stays the cause, for a host that wants to see it.
    const message = `${path}: not valid JSON: Unexpected token 'h'`;
    writeFileSync(path, '[{"username": "alice", "domain": "example.com", "password": hunter2-typo}]');
    expect(() => new JsonFileCredentialStore(path)).toThrow(expect.objectContaining({ name: 'ConfigError', message }));
    write([alice]);
    const store = new JsonFileCredentialStore(path);
    writeFileSync(path, 'hunter2');
    expect(() => store.reload()).toThrow(expect.objectContaining({ name: 'ConfigError', message }));
  });

  it('with create, reloads a missing file as empty', () => {
    const store = new JsonFileCredentialStore(path, { create: true });
    expect(store.reload()).toBe(0);
    write([alice]);
    expect(store.reload()).toBe(1);
    rmSync(path);
    expect(store.reload()).toBe(0);
    expect(store.list()).toEqual([]);
  });

  it('refuses to reload once closed', () => {
    write([alice]);
    const store = new JsonFileCredentialStore(path);
    store.close();
    expect(() => store.reload()).toThrow(new ConfigError('store is closed; create a new one'));
  });
});
