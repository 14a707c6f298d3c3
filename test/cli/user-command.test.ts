import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { SqliteCredentialStore } from '../../src/stores/sqlite-credential-store';
import { JsonFileCredentialStore } from '../../src/stores/json-file-credential-store';
import { RedisCredentialStore, connectRedis, type RedisClient } from '../../src/stores/redis';
import { freePort } from '../helpers/free-port';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { startRedis, type RedisServer } from '../helpers/start-redis';
import { runToExit, type Exited } from '../helpers/run-to-exit';

/** Each test runs the CLI several times, a few seconds each on a loaded machine. */
jest.setTimeout(120_000);

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

/** Run `sipreg user …` in `cwd` until it exits, with `input` as its stdin when given. */
const user = (args: readonly string[], cwd: string, input?: string): Promise<Exited> => runToExit(process.execPath, [...CLI, 'user', ...args], cwd, input);

/** The exit of a command that succeeded with `stdout` and printed nothing on stderr. */
const ok = (stdout: string): Exited => ({ code: 0, stdout, stderr: '' });
/** The exit of a command that failed with the one line `sipreg: <message>`. */
const failed = (code: number, message: string): Exited => ({ code, stdout: '', stderr: `sipreg: ${message}\n` });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipreg-user-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sipreg user on an SQLite file (the OpenSIPS subscriber table)', () => {
  it('adds, changes, lists and removes subscribers, storing the HA1s and never the password', async () => {
    const db = 'sqlite:./users.db';
    expect(await user(['add', 'alice@example.com', 'alice-secret', '--auth-db', db], dir)).toEqual(ok('added alice@example.com\n'));
    expect(statSync(join(dir, 'users.db')).mode & 0o777).toBe(0o600);
    // The password on stdin, piped, with a CRLF line end; the realm is the domain as written.
    expect(await user(['add', 'bob@Example.ORG', `--auth-db=${db}`], dir, 'bob-secret\r\nignored\n')).toEqual(ok('added bob@Example.ORG\n'));
    expect(await user(['list', '--auth-db', db], dir)).toEqual(ok('alice@example.com\nbob@Example.ORG\n'));
    expect(await user(['list', 'EXAMPLE.org', '--auth-db', db], dir)).toEqual(ok('bob@Example.ORG\n'));

    const rows = (): unknown[] => {
      const handle = new Database(join(dir, 'users.db'), { readonly: true });
      try {
        return handle.prepare('SELECT username, domain, password, ha1, ha1_sha256, ha1_sha512t256 FROM subscriber ORDER BY username').all();
      } finally {
        handle.close();
      }
    };
    const row = (username: string, domain: string, password: string): object => {
      const ha1 = computeHa1s(username, domain, password);
      return { username, domain, password: '', ha1: ha1['MD5'], ha1_sha256: ha1['SHA-256'], ha1_sha512t256: ha1['SHA-512-256'] };
    };
    expect(rows()).toEqual([row('alice', 'example.com', 'alice-secret'), row('bob', 'Example.ORG', 'bob-secret')]);

    expect(await user(['passwd', 'alice@example.com', '--auth-db', db], dir, 'new-secret')).toEqual(ok('changed the password of alice@example.com\n'));
    expect(rows()).toEqual([row('alice', 'example.com', 'new-secret'), row('bob', 'Example.ORG', 'bob-secret')]);
    expect(await user(['rm', 'bob@example.org', '--auth-db', db], dir)).toEqual(ok('removed bob@example.org\n'));
    expect(rows()).toEqual([row('alice', 'example.com', 'new-secret')]);

    // What the registrar reads from the same file.
    const store = new SqliteCredentialStore({ path: join(dir, 'users.db') });
    expect(store.lookup('alice', 'example.com')).toEqual({ username: 'alice', realm: 'example.com', ha1: computeHa1s('alice', 'example.com', 'new-secret') });
    store.close();
  });

  it('refuses to add an existing subscriber, and to change or remove a missing one, in one line with exit 1', async () => {
    const db = 'sqlite:./users.db';
    expect((await user(['add', 'alice@example.com', 'pw', '--auth-db', db], dir)).code).toBe(0);
    const cases: [string[], string][] = [
      [['add', 'alice@EXAMPLE.com', 'other'], 'user alice@EXAMPLE.com already exists in sqlite:./users.db; change its password with sipreg user passwd'],
      [['passwd', 'carol@example.com', 'pw'], 'user carol@example.com does not exist in sqlite:./users.db; add it with sipreg user add'],
      [['passwd', 'Alice@example.com', 'pw'], 'user Alice@example.com does not exist in sqlite:./users.db; add it with sipreg user add'],
      [['rm', 'carol@example.com'], 'user carol@example.com does not exist in sqlite:./users.db'],
    ];
    for (const [args, message] of cases) expect(await user([...args, '--auth-db', db], dir)).toEqual(failed(1, message));
    const store = new SqliteCredentialStore({ path: join(dir, 'users.db') });
    expect(store.lookup('alice', 'example.com')?.ha1).toEqual(computeHa1s('alice', 'example.com', 'pw'));
    store.close();
  });

  it('refuses a missing file or a file without the table, except for add, creating nothing', async () => {
    writeFileSync(join(dir, 'empty.db'), '');
    const cases: [string[], string][] = [
      [['list', '--auth-db', 'sqlite:./typo.db'], `--auth-db sqlite:./typo.db: file ${join(dir, 'typo.db')} does not exist`],
      [['passwd', 'alice@example.com', 'pw', '--auth-db', 'sqlite:./typo.db'], `--auth-db sqlite:./typo.db: file ${join(dir, 'typo.db')} does not exist`],
      [['rm', 'alice@example.com', '--auth-db', 'sqlite:./typo.db'], `--auth-db sqlite:./typo.db: file ${join(dir, 'typo.db')} does not exist`],
      [['list', '--auth-db', 'sqlite:./empty.db'], '--auth-db sqlite:./empty.db: sqlite credential store: ./empty.db has no table "subscriber"; create it with OpenSIPS\'s auth_db schema, or add a user with sipreg user add'],
      [['add', 'alice@example.com', 'pw', '--auth-db', 'sqlite:./no-such-dir/users.db'], `--auth-db sqlite:./no-such-dir/users.db: directory ${join(dir, 'no-such-dir')} does not exist`],
    ];
    for (const [args, message] of cases) expect(await user(args, dir)).toEqual(failed(1, message));
    expect(readdirSync(dir)).toEqual(['empty.db']);
  });
});

describe('sipreg user on a JSON file', () => {
  it('creates the file (mode 0600) on add, keeps other entries on changes, and refuses a missing file otherwise', async () => {
    expect(await user(['list', '--auth-db', 'users.json'], dir)).toEqual(failed(1, `--auth-db users.json: file ${join(dir, 'users.json')} does not exist`));
    expect(await user(['add', 'alice@example.com', '--auth-db', 'users.json'], dir, 'alice-secret\n')).toEqual(ok('added alice@example.com\n'));
    expect(statSync(join(dir, 'users.json')).mode & 0o777).toBe(0o600);
    const path = join(dir, 'users.json');
    const entries = JSON.parse(readFileSync(path, 'utf8')) as object[];
    writeFileSync(path, JSON.stringify([...entries, { id: 3, username: 'bob', domain: 'example.com', password: 'bob-plain', aliases: ['robert@example.com'] }]));
    expect(await user(['passwd', 'bob@example.com', 'bob-new', '--auth-db', 'users.json'], dir)).toEqual(ok('changed the password of bob@example.com\n'));
    expect(await user(['list', '--auth-db', 'users.json'], dir)).toEqual(ok('alice@example.com\nbob@example.com\n'));
    const bob = computeHa1s('bob', 'example.com', 'bob-new');
    expect(new JsonFileCredentialStore(path).lookup('bob', 'example.com')).toEqual({ username: 'bob', realm: 'example.com', ha1: bob, aliases: ['robert@example.com'] });
    expect(await user(['rm', 'alice@example.com', '--auth-db', 'users.json'], dir)).toEqual(ok('removed alice@example.com\n'));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual([
      { id: 3, username: 'bob', domain: 'example.com', aliases: ['robert@example.com'], ha1: bob['MD5'], ha1_sha256: bob['SHA-256'], ha1_sha512t256: bob['SHA-512-256'] },
    ]);
  });

  it('refuses a file that is not a subscriber list in one line', async () => {
    writeFileSync(join(dir, 'users.json'), '[{"username": "alice", "domain": "example.com", "passwd": "x"}]');
    expect(await user(['list', '--auth-db', 'users.json'], dir)).toEqual(
      failed(1, '--auth-db users.json: users.json: entry 0: unknown key "passwd"; keys are username, domain, password, ha1, ha1_sha256, ha1_sha512t256, aliases, id'),
    );
  });
});

describe('sipreg user on Redis', () => {
  let server: RedisServer;
  let client: RedisClient;
  beforeAll(async () => {
    server = await startRedis({ appendOnly: false });
    client = await connectRedis(server.url);
  }, 30_000);
  afterAll(async () => {
    await client?.quit();
    await server?.stop();
  });

  it('adds, changes, lists and removes subscribers under the key prefix', async () => {
    const db = ['--auth-db', server.url, '--auth-db-key-prefix', 'pbx:'];
    expect(await user(['add', 'alice@example.com', 'pw1', ...db], dir)).toEqual(ok('added alice@example.com\n'));
    expect(await user(['add', 'bob@example.com', ...db], dir, 'pw2\n')).toEqual(ok('added bob@example.com\n'));
    expect(await user(['add', 'bob@example.com', 'pw3', ...db], dir)).toEqual(failed(1, `user bob@example.com already exists in ${server.url}; change its password with sipreg user passwd`));
    expect(await user(['passwd', 'bob@example.com', 'pw3', ...db], dir)).toEqual(ok('changed the password of bob@example.com\n'));
    expect(await user(['list', ...db], dir)).toEqual(ok('alice@example.com\nbob@example.com\n'));
    const store = new RedisCredentialStore({ client, keyPrefix: 'pbx:' });
    expect(await store.lookup('bob', 'example.com')).toEqual({ username: 'bob', realm: 'example.com', ha1: computeHa1s('bob', 'example.com', 'pw3') });
    expect(await user(['rm', 'alice@example.com', ...db], dir)).toEqual(ok('removed alice@example.com\n'));
    expect(await user(['rm', 'alice@example.com', ...db], dir)).toEqual(failed(1, `user alice@example.com does not exist in ${server.url}`));
    expect(await user(['list', '--auth-db', server.url], dir)).toEqual(ok(''));
  });

  it('names the flag, the URL without its password and the cause when Redis cannot be reached', async () => {
    const port = await freePort('tcp');
    expect(await user(['list', '--auth-db', `redis://:hunter2@127.0.0.1:${port}`], dir)).toEqual(
      failed(1, `--auth-db redis://:***@127.0.0.1:${port}: cannot reach Redis: connect ECONNREFUSED 127.0.0.1:${port}`),
    );
  });
});

describe('sipreg user: command line checks', () => {
  it('refuses a bad command line with one line and exit 2, opening nothing', async () => {
    const cases: [string[], string][] = [
      [['frob'], "sipreg user takes add, passwd, rm or list, got 'frob'; see sipreg user --help"],
      [['add', '--auth-db', 'sqlite:./u.db'], 'sipreg user add takes USER@DOMAIN [PASSWORD], got nothing'],
      [['rm', 'alice@example.com', 'pw', '--auth-db', 'sqlite:./u.db'], "sipreg user rm takes USER@DOMAIN, got 'alice@example.com' 'pw'"],
      [['list', 'a.example', 'b.example', '--auth-db', 'sqlite:./u.db'], "sipreg user list takes [DOMAIN], got 'a.example' 'b.example'"],
      [['add', 'alice', 'pw', '--auth-db', 'sqlite:./u.db'], "a subscriber is USER@DOMAIN, e.g. alice@example.com, got 'alice'"],
      [['add', 'alice@', 'pw', '--auth-db', 'sqlite:./u.db'], "a subscriber is USER@DOMAIN, e.g. alice@example.com, got 'alice@'"],
      [['add', 'sip:alice@example.com', 'pw', '--auth-db', 'sqlite:./u.db'], "give the subscriber as USER@DOMAIN without the scheme, got 'sip:alice@example.com'"],
      [['add', 'alice@example.com', 'pw'], '--auth-db is required: sqlite:PATH, FILE.json or redis://HOST:PORT'],
      [['add', 'alice@example.com', 'pw', '--auth-db', 'users.txt'], "--auth-db takes sqlite:PATH, FILE.json, redis://HOST:PORT[/DB] or redis-cluster://HOST:PORT,..., got 'users.txt'"],
      [['add', 'alice@example.com', 'pw', '--auth-db', 'sqlite:./u.db', '--auth-db-key-prefix', 'x:'], '--auth-db-key-prefix needs --auth-db redis://… or redis-cluster://…'],
      [['add', 'alice@example.com', 'pw', '--auth-db', 'redis://127.0.0.1:1', '--auth-db-key-prefix', '{x}:'], "--auth-db-key-prefix must not contain { or } (they are Redis Cluster hash tags), got '{x}:'"],
      [['add', 'alice@example.com', 'pw', '--auth-db', 'sqlite:./u.db', '--store', 'memory'], 'unknown flag --store; run with --help for the list'],
    ];
    // One after the other: a dozen CLIs starting at once on a loaded machine outlast runToExit's 20 s.
    for (const [args, message] of cases) expect(await user(args, dir)).toEqual(failed(2, message));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses an add without a password when stdin has none, or only an empty line', async () => {
    const results = await Promise.all([
      user(['add', 'alice@example.com', '--auth-db', 'sqlite:./u.db'], dir, ''),
      user(['add', 'alice@example.com', '--auth-db', 'users.json'], dir, '\n'),
    ]);
    expect(results).toEqual([
      failed(2, 'no password for alice@example.com: give it after USER@DOMAIN or as the first line of stdin'),
      failed(2, 'no password for alice@example.com: give it after USER@DOMAIN or as the first line of stdin'),
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('prints its usage for --help (exit 0) and without arguments (exit 2)', async () => {
    const help = await user(['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: sipreg user add|passwd|rm|list --auth-db');
    expect(help.stdout).toContain('--auth-db-key-prefix');
    expect((await user([], dir)).code).toBe(2);
  });
});
