/**
 * The OpenSIPS auth / auth_db options the CLI passes to the library, over real UDP on 127.0.0.1:
 * SIGHUP re-reading a JSON `--auth-db`, `--auth-userhash`, `--pike-action` / `--ban-action`,
 * and `--auth-table` with the `--auth-*-column` flags on an SQLite table laid out differently.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import { computeHa1s } from '../../src/auth/compute-ha1s';
import { parseDigestChallenge } from '../../src/sip/digest';
import { buildRegister } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { registerWithDigest } from '../helpers/register-with-digest';
import { runToExit } from '../helpers/run-to-exit';
import { spawnManaged, type ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { useCliFixture } from '../helpers/use-cli-fixture';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];
const ALICE = { username: 'alice', password: 'alice-password-1f2e' };
const BOB = { username: 'bob', password: 'bob-password-9c8d' };

/** The `subscriber` entry of a JSON `--auth-db` for `user` in example.com: its HA1s, never the password. */
const entry = ({ username, password }: { username: string; password: string }): Record<string, string> => {
  const ha1 = computeHa1s(username, 'example.com', password);
  return { username, domain: 'example.com', ha1: ha1.MD5, ha1_sha256: ha1['SHA-256'], ha1_sha512t256: ha1['SHA-512-256'] };
};

/** The JSON log entries of a process with message `msg`. */
const logged = (server: ManagedProcess, msg: string): Record<string, unknown>[] =>
  server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === msg);

describe('sipreg CLI: the auth and guard options of OpenSIPS auth, auth_db and pike', () => {
  const fixture = useCliFixture('sipreg-cli-auth-options-');
  const { started, peers } = fixture;

  /** Start `sipreg COMMAND` on a free UDP port, resolving once it printed its listening line and `ready`. */
  const start = async (command: 'registrar' | 'mid-registrar', args: readonly string[], ready: readonly string[] = []): Promise<{ server: ManagedProcess; port: number }> => {
    const port = await freePort();
    const server = spawnManaged(process.execPath, [...CLI, command, '--listen', `udp:127.0.0.1:${port}`, ...args], { cwd: fixture.dir, killAfterMs: 90_000 });
    started.push(server);
    for (const line of [`sipreg ${command} listening on udp:127.0.0.1:${port}`, ...ready]) await server.waitForLine(line, 30_000);
    return { server, port };
  };
  const phone = async (user: string): Promise<UdpSipPeer> => {
    const peer = await UdpSipPeer.open({ user });
    peers.push(peer);
    return peer;
  };
  const register = async (peer: UdpSipPeer, port: number, credentials: { username: string; password: string }): Promise<number> =>
    (await registerWithDigest(peer, port, { aor: `sip:${credentials.username}@example.com`, ...credentials })).final.status;

  /** SIGHUP to `server`, then the `n`th log line `msg` (1-based). */
  const hangUp = async (server: ManagedProcess, msg: string, n: number): Promise<Record<string, unknown>> => {
    server.child.kill('SIGHUP');
    return eventually(() => logged(server, msg)[n - 1], `log line ${n} '${msg}'`, 10_000, () => server.output());
  };

  it.each(['registrar', 'mid-registrar'] as const)('%s: SIGHUP re-reads a JSON --auth-db; a broken file is logged and the subscribers loaded before stay', async (command) => {
    const users = join(fixture.dir, 'users.json');
    writeFileSync(users, JSON.stringify([entry(BOB)]));
    const main = command === 'mid-registrar' ? await start('registrar', ['--store', 'memory']) : undefined;
    const upstream = main === undefined ? [] : ['--upstream', `udp:127.0.0.1:${main.port}`];
    const { server, port } = await start(command, [...upstream, '--store', 'memory', '--auth-db', users]);
    const alice = await phone('alice');
    expect(await register(alice, port, ALICE)).toBe(401);

    writeFileSync(users, JSON.stringify([entry(BOB), entry(ALICE)]));
    expect(await hangUp(server, 'subscribers reloaded', 1)).toMatchObject({ level: 'info', path: users, subscribers: 2 });
    expect(await register(alice, port, ALICE)).toBe(200);

    // A password typed by hand in the wrong place: refused, and never repeated in the log.
    writeFileSync(users, `[{"username": "bob", "domain": "example.com", "password": hunter2-typo}]`);
    const failed = await hangUp(server, 'subscribers reload failed; the subscribers loaded before stay', 1);
    expect(failed).toMatchObject({ level: 'error', path: users, error: expect.stringContaining(`${users}: not valid JSON`) });
    expect(await register(alice, port, ALICE)).toBe(200);
    expect(await register(await phone('bob'), port, BOB)).toBe(200);

    writeFileSync(users, JSON.stringify([entry(BOB)]));
    expect(await hangUp(server, 'subscribers reloaded', 2)).toMatchObject({ subscribers: 1 });
    expect(await register(alice, port, ALICE)).toBe(401);
    expect(server.child.exitCode).toBeNull();
    for (const secret of ['hunter2', ALICE.password, entry(ALICE).ha1, entry(BOB).ha1]) expect(server.output()).not.toContain(secret);
  }, 120_000);

  it('registrar --workers 2: SIGHUP to the primary reaches every worker, each re-reading the JSON --auth-db', async () => {
    const users = join(fixture.dir, 'users.json');
    writeFileSync(users, JSON.stringify([entry(BOB)]));
    const { server, port } = await start('registrar', ['--store', `sqlite:${join(fixture.dir, 'location.db')}`, '--auth-db', users, '--workers', '2']);
    await eventually(() => /^sipreg registrar workers: 2 \(pids \d+, \d+\)$/m.exec(server.output()) ?? undefined, 'the workers line', 10_000, () => server.output());
    writeFileSync(users, JSON.stringify([entry(BOB), entry(ALICE)]));
    await hangUp(server, 'subscribers reloaded', 2);
    expect(logged(server, 'subscribers reloaded').map((e) => e.subscribers)).toEqual([2, 2]);
    // Whichever worker answers: both know alice now, and the primary is still serving.
    for (let i = 0; i < 4; i++) expect(await register(await phone('alice'), port, ALICE)).toBe(200);
    expect(server.child.exitCode).toBeNull();
  }, 120_000);

  it('--auth-userhash 1: the challenge offers userhash=true and a client hiding its user name registers', async () => {
    const users = join(fixture.dir, 'users.json');
    writeFileSync(users, JSON.stringify([entry(ALICE)]));
    const { port } = await start('registrar', ['--store', 'memory', '--auth-db', users, '--auth-userhash', '1', '--nonce-binds-source', '1'], [
      `sipreg registrar auth: json ${users}; realm To/From domain; algorithms MD5; userhash; nonces bound to the source IP`,
    ]);
    const alice = await phone('alice');
    const { challenge, final } = await registerWithDigest(alice, port, { aor: 'sip:alice@example.com', ...ALICE });
    expect(parseDigestChallenge(challenge?.header('WWW-Authenticate') ?? '')?.userhash).toBe(true);
    expect(final.status).toBe(200);
  }, 90_000);

  it('--pike-action reply answers the requests over the rate 503 with Retry-After instead of dropping them', async () => {
    const { port } = await start('registrar', ['--store', 'memory', '--pike-reqs-density-per-unit', '3', '--pike-sampling-time-unit', '60', '--pike-action', 'reply', '--guard-max-sources', '1000'], [
      'sipreg registrar guard: pike 3 requests per 60 s (replied 503), at most 1000 IPs',
    ]);
    const flooder = await phone('flooder');
    const statuses: number[] = [];
    let refused;
    for (let i = 0; i < 6; i++) {
      const response = await flooder.request(buildRegister({ aor: 'sip:flooder@example.com', via: { port: flooder.port, rport: true }, contacts: [flooder.uri] }), port);
      statuses.push(response.status);
      if (response.status === 503) refused = response;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([503, 503, 503]);
    expect(Number(refused?.header('Retry-After'))).toBeGreaterThan(0);
  }, 90_000);

  it('--ban-action reply answers a banned source 403 instead of dropping its requests', async () => {
    const users = join(fixture.dir, 'users.json');
    writeFileSync(users, JSON.stringify([entry(ALICE)]));
    const { port } = await start('registrar', ['--store', 'memory', '--auth-db', users, '--ban-after', '2', '--ban-action', 'reply'], [
      'sipreg registrar guard: ban after 2 failed authentications in 60 s for 300 s (replied 403)',
    ]);
    const guesser = await phone('alice');
    for (let i = 0; i < 2; i++) expect(await register(guesser, port, { username: 'alice', password: `guess-${i}` })).toBe(401);
    expect(await register(guesser, port, ALICE)).toBe(403);
  }, 90_000);

  it('--auth-table and --auth-*-column read an auth_db table of other names; sipreg user add writes into it with the same flags', async () => {
    const path = join(fixture.dir, 'accounts.db');
    const db = new Database(path);
    // An OpenSIPS table with modparam("auth_db", "user_column", "user_name"), domain_column, password_column, hash_column_sha256 ... renamed.
    db.exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_name TEXT NOT NULL DEFAULT '', realm TEXT NOT NULL DEFAULT '',
      pw TEXT NOT NULL DEFAULT '', hash TEXT NOT NULL DEFAULT '', hash256 TEXT NOT NULL DEFAULT '', hash512 TEXT NOT NULL DEFAULT '')`);
    const ha1 = computeHa1s('alice', 'example.com', ALICE.password);
    db.prepare('INSERT INTO accounts (user_name, realm, hash, hash256, hash512) VALUES (?, ?, ?, ?, ?)').run('alice', 'example.com', ha1.MD5, ha1['SHA-256'], ha1['SHA-512-256']);
    db.close();
    const names = ['--auth-table', 'accounts', '--auth-user-column', 'user_name', '--auth-domain-column', 'realm', '--auth-password-column', 'pw',
      '--auth-ha1-column', 'hash', '--auth-ha1-sha256-column', 'hash256', '--auth-ha1-sha512t256-column', 'hash512'];
    const added = await runToExit(process.execPath, [...CLI, 'user', 'add', '--auth-db', 'sqlite:accounts.db', ...names, 'bob@example.com', BOB.password], fixture.dir);
    expect(added).toEqual({ code: 0, stdout: 'added bob@example.com\n', stderr: '' });

    const { port } = await start('registrar', ['--store', 'memory', '--auth-db', 'sqlite:accounts.db', ...names, '--auth-algorithms', 'sha-256'], [
      `sipreg registrar auth: sqlite accounts.db (${path}) table accounts; realm To/From domain; algorithms SHA-256`,
    ]);
    expect(await register(await phone('alice'), port, ALICE)).toBe(200);
    expect(await register(await phone('bob'), port, BOB)).toBe(200);
  }, 90_000);

  it('exits with one line naming the flag: 2 for a name SQLite cannot take or a table flag on another store, 1 for a column the table lacks', async () => {
    const path = join(fixture.dir, 'subscriber.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE subscriber (id INTEGER PRIMARY KEY, username TEXT, domain TEXT, password TEXT, ha1 TEXT, ha1_sha256 TEXT, ha1_sha512t256 TEXT)`);
    db.close();
    writeFileSync(join(fixture.dir, 'users.json'), '[]');
    const listen = ['--listen', 'udp:127.0.0.1:0', '--store', 'memory'];
    const cases: [string[], number, string][] = [
      [['registrar', ...listen, '--auth-db', 'sqlite:subscriber.db', '--auth-user-column', 'user-name'], 2, 'sipreg: --auth-user-column: SqliteCredentialStore columns.username must match /^[A-Za-z_][A-Za-z0-9_]*$/, got "user-name"\n'],
      [['registrar', ...listen, '--auth-db', 'users.json', '--auth-table', 'accounts'], 2, 'sipreg: --auth-table needs --auth-db sqlite:PATH (it names the OpenSIPS subscriber table or one of its columns)\n'],
      [['registrar', ...listen, '--auth-db', 'sqlite:subscriber.db', '--auth-ha1-sha256-column', 'hash256'], 1,
        'sipreg: --auth-db sqlite:subscriber.db: sqlite credential store: table "subscriber" in subscriber.db has no column "hash256"; name the column that holds it with --auth-ha1-sha256-column\n'],
      [['registrar', ...listen, '--pike-action', 'reply'], 2, 'sipreg: --pike-action needs --pike-reqs-density-per-unit (the requests one IP may send per period)\n'],
    ];
    for (const [args, code, stderr] of cases) expect({ args, ...(await runToExit(process.execPath, [...CLI, ...args], fixture.dir)) }).toEqual({ args, code, stdout: '', stderr });
  }, 120_000);
});
