import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

import { computeHa1s } from '../../src/auth/compute-ha1s';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest';
import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { registerWithDigest } from '../helpers/register-with-digest';
import { runToExit, type Exited } from '../helpers/run-to-exit';
import { spawnManaged, type ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];
const ALICE = { username: 'alice', password: 'alice-password' };
const BOB = { username: 'bob', password: 'bob-password' };
const SECRET = 'shared-nonce-secret-7f3a';

/** The JSON log entries in a process's output. */
function entries(server: ManagedProcess): Record<string, unknown>[] {
  return server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('sipreg CLI: digest authentication and the source guard', () => {
  let dir: string;
  const started: ManagedProcess[] = [];
  const peers: UdpSipPeer[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipreg-cli-auth-'));
    writeFileSync(join(dir, 'subscribers.json'), JSON.stringify([ALICE, BOB].map(({ username, password }) => {
      const ha1 = computeHa1s(username, 'example.com', password);
      return { username, domain: 'example.com', ha1: ha1.MD5, ha1_sha256: ha1['SHA-256'], ha1_sha512t256: ha1['SHA-512-256'] };
    })));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Start `sipreg COMMAND` on a free port in `dir`, resolving once it printed `ready` (after its listening line). */
  const start = async (command: 'registrar' | 'mid-registrar', args: readonly string[], ready: (port: number) => readonly string[] = () => [], env?: Record<string, string>): Promise<{ server: ManagedProcess; port: number }> => {
    const port = await freePort();
    const server = spawnManaged(process.execPath, [...CLI, command, '--listen', `udp:127.0.0.1:${port}`, ...args], { cwd: dir, env, killAfterMs: 60_000 });
    started.push(server);
    for (const line of [`sipreg ${command} listening on udp:127.0.0.1:${port}`, ...ready(port)]) await server.waitForLine(line, 20_000);
    return { server, port };
  };
  const phone = async (user = 'alice'): Promise<UdpSipPeer> => {
    const peer = await UdpSipPeer.open({ user });
    peers.push(peer);
    return peer;
  };
  const sipreg = (args: readonly string[]): Promise<Exited> => runToExit(process.execPath, [...CLI, ...args], dir);

  it('registrar: 401 with one challenge per configured algorithm, 200 with valid credentials, 401 for a stranger\'s Contact: *; the startup lines name the store and algorithms', async () => {
    const { port } = await start('registrar', ['--store', 'memory', '--auth-db', 'subscribers.json', '--auth-algorithms', 'md5,sha-256'], () => [
      'sipreg registrar store: memory',
      `sipreg registrar auth: json subscribers.json (${join(dir, 'subscribers.json')}); realm To/From domain; algorithms SHA-256, MD5`,
      'sipreg registrar guard: ban after 10 failed authentications in 60 s for 300 s',
    ]);
    const alice = await phone();
    const { challenge, final } = await registerWithDigest(alice, port, { aor: 'sip:alice@example.com', ...ALICE });
    expect(challenge?.status).toBe(401);
    expect(challenge?.headerAll('WWW-Authenticate').map((v) => parseDigestChallenge(v)?.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(challenge?.headerAll('WWW-Authenticate').map((v) => parseDigestChallenge(v)?.realm)).toEqual(['example.com', 'example.com']);
    expect(final.status).toBe(200);
    expect(final.headerAll('Contact').join()).toContain(alice.uri);

    const stranger = await phone('mallory');
    const wildcard = buildRegister({ aor: 'sip:alice@example.com', contacts: '*', via: { port: stranger.port, rport: true } });
    expect((await stranger.request(wildcard, port)).status).toBe(401);
    const query = await registerWithDigest(alice, port, { aor: 'sip:alice@example.com', ...ALICE, contacts: [] });
    expect(query.final.status).toBe(200);
    expect(query.final.headerAll('Contact').join()).toContain(alice.uri);
  }, 90_000);

  it('registrar: --auth-methods challenges a MESSAGE with 407 and forwards it with valid Proxy-Authorization; the reg-event notifier challenges a SUBSCRIBE', async () => {
    const { port } = await start('registrar', ['--store', 'memory', '--auth-db', 'subscribers.json', '--auth-methods', 'message', '--reginfo-server-address', 'sip:reginfo@127.0.0.1:5999'], () => [
      `sipreg registrar auth: json subscribers.json (${join(dir, 'subscribers.json')}); realm To/From domain; algorithms MD5; proxy authentication of MESSAGE`,
    ]);
    const alice = await phone();
    expect((await registerWithDigest(alice, port, { aor: 'sip:alice@example.com', ...ALICE })).final.status).toBe(200);
    const bob = await phone('bob');
    const message = (cseq: number, headers: Record<string, string> = {}): string => buildRequest('MESSAGE', {
      from: 'sip:bob@example.com', to: 'sip:alice@example.com', callId: 'cli-auth-message', fromTag: 'bob-1', cseq, via: { port: bob.port, rport: true }, body: 'hi', headers,
    });
    const refused = await bob.request(message(1), port);
    expect(refused.status).toBe(407);
    const challenge = parseDigestChallenge(refused.header('Proxy-Authenticate') ?? '');
    expect(challenge?.realm).toBe('example.com');
    const credentials = digestAuthorization(challenge!, BOB, { method: 'MESSAGE', uri: 'sip:alice@example.com' })!;
    expect((await bob.request(message(2, { 'Proxy-Authorization': credentials }), port)).status).toBe(200);
    const delivered = alice.requests().filter((r) => r.method === 'MESSAGE');
    expect(delivered).toHaveLength(1);
    expect(delivered[0].headerAll('Proxy-Authorization')).toEqual([]);

    const subscribe = buildRequest('SUBSCRIBE', { to: 'sip:alice@example.com', from: 'sip:bob@example.com', via: { port: bob.port, rport: true }, expires: 600, contacts: [bob.uri], headers: { Event: 'reg', Accept: 'application/reginfo+xml' } });
    const answer = await bob.request(subscribe, port);
    expect(answer.status).toBe(401);
    expect(parseDigestChallenge(answer.header('WWW-Authenticate') ?? '')?.realm).toBe('example.com');
  }, 90_000);

  it('mid-registrar: authenticates REGISTERs itself and forwards only verified ones to the main registrar', async () => {
    const main = await start('registrar', ['--store', 'memory']);
    const { port } = await start('mid-registrar', ['--upstream', `udp:127.0.0.1:${main.port}`, '--store', 'memory', '--auth-db', 'subscribers.json', '--auth-algorithms', 'sha-512-256'], () => [
      'sipreg mid-registrar store: memory',
      `sipreg mid-registrar auth: json subscribers.json (${join(dir, 'subscribers.json')}); realm To/From domain; algorithms SHA-512-256`,
      'sipreg mid-registrar guard: ban after 10 failed authentications in 60 s for 300 s',
    ]);
    const alice = await phone();
    const wrong = await registerWithDigest(alice, port, { aor: 'sip:alice@example.com', username: 'alice', password: 'wrong' });
    expect(wrong.final.status).toBe(401);
    const right = await registerWithDigest(alice, port, { aor: 'sip:alice@example.com', ...ALICE });
    expect(parseDigestChallenge(right.challenge?.header('WWW-Authenticate') ?? '')?.algorithm).toBe('SHA-512-256');
    expect(right.final.status).toBe(200);
    // The main registrar saw the verified REGISTER only: the wrong password never left the mid-registrar.
    const upstreamQuery = buildRegister({ aor: 'sip:alice@example.com', contacts: [], via: { port: alice.port, rport: true } });
    const upstream = await alice.request(upstreamQuery, main.port);
    expect(upstream.headerAll('Contact')).toHaveLength(1);
  }, 90_000);

  it('SIPREG_AUTH_SECRET: a nonce from one process verifies in a second one with the same secret, not in one given another --auth-secret, and the secret is never printed', async () => {
    const args = ['--store', 'memory', '--auth-db', 'subscribers.json', '--log-level', 'debug'];
    const env = { SIPREG_AUTH_SECRET: SECRET };
    const [first, second, other] = await Promise.all([
      start('registrar', args, () => [], env),
      start('registrar', args, () => [], env),
      start('registrar', [...args, '--auth-secret', 'another-secret'], () => [], env),
    ]);
    const alice = await phone();
    const register = (cseq: number, headers?: Record<string, string>): string => buildRegister({
      aor: 'sip:alice@example.com', callId: 'cli-auth-secret', fromTag: 'a1', cseq, contacts: [alice.uri], via: { port: alice.port, rport: true }, headers,
    });
    const challenged = await alice.request(register(1), first.port);
    expect(challenged.status).toBe(401);
    const challenge = parseDigestChallenge(challenged.header('WWW-Authenticate') ?? '')!;
    const answer = (nc: number): Record<string, string> => ({ Authorization: digestAuthorization(challenge, ALICE, { method: 'REGISTER', uri: 'sip:example.com' }, 'c0ffee', nc)! });
    expect((await alice.request(register(2, answer(1)), second.port)).status).toBe(200);
    const refused = await alice.request(register(3, answer(2)), other.port);
    expect(refused.status).toBe(401);
    expect(parseDigestChallenge(refused.header('WWW-Authenticate') ?? '')?.stale).toBe(false);
    for (const { server } of [first, second, other]) {
      expect(server.output()).not.toContain(SECRET);
      expect(server.output()).not.toContain('another-secret');
    }
  }, 90_000);

  it('logs one ban line on stderr after --ban-after wrong passwords, then drops the source', async () => {
    const { server, port } = await start('registrar', ['--store', 'memory', '--auth-db', 'subscribers.json', '--ban-after', '3', '--ban-time', '120']);
    const guesser = await phone();
    for (let i = 0; i < 3; i++) {
      const guess = await registerWithDigest(guesser, port, { aor: 'sip:alice@example.com', username: 'alice', password: `guess-${i}` });
      expect(guess.final.status).toBe(401);
    }
    const message = 'sipreg: banned 127.0.0.1 for 120 s after 3 failed authentications';
    const ban = await eventually(() => entries(server).find((e) => e.msg === message), 'the ban line', 5_000, server.output);
    expect(ban).toMatchObject({ level: 'warn', source: '127.0.0.1', banSec: 120, failures: 3 });
    await expect(registerWithDigest(guesser, port, { aor: 'sip:alice@example.com', ...ALICE, timeoutMs: 1_500 })).rejects.toThrow('no final response');
    expect(server.output().split('\n').filter((l) => l.includes('banned 127.0.0.1'))).toHaveLength(1);
  }, 90_000);

  it('exits with one line before anything opens: 2 for a bad or orphan flag, 1 for a missing subscriber file or table', async () => {
    const db = new Database(join(dir, 'empty.db'));
    db.exec('CREATE TABLE location (id INTEGER)');
    db.close();
    const listen = ['--listen', 'udp:127.0.0.1:0'];
    const upstream = ['--upstream', 'udp:127.0.0.1:5070'];
    const cases: [string[], number, string][] = [
      [['registrar', '--auth-db', 'subscribers.json', '--auth-algorithms', 'md5,sha-1', ...listen], 2, 'sipreg: --auth-algorithms: unknown digest algorithm "sha-1" in "md5,sha-1": use MD5, SHA-256 or SHA-512-256\n'],
      [['mid-registrar', ...upstream, '--check-to', '0', ...listen], 2, 'sipreg: --check-to needs --auth-db (the subscribers to authenticate against)\n'],
      [['mid-registrar', ...upstream, '--auth-db', 'subscribers.json', '--auth-methods', 'INVITE', ...listen], 2, 'sipreg: unknown flag --auth-methods; run with --help for the list\n'],
      [['registrar', '--auth-db', 'missing.json', ...listen], 1, `sipreg: --auth-db missing.json: file ${join(dir, 'missing.json')} does not exist\n`],
      [['mid-registrar', ...upstream, '--auth-db', 'sqlite:./empty.db', ...listen], 1, 'sipreg: --auth-db sqlite:./empty.db: '],
    ];
    // Two at a time: each is a Node process compiling the CLI.
    const results: Exited[] = [];
    for (let i = 0; i < cases.length; i += 2) results.push(...await Promise.all(cases.slice(i, i + 2).map(([args]) => sipreg(args))));
    results.forEach((result, i) => {
      const [args, code, stderr] = cases[i];
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code, stdout: '' });
      expect(result.stderr.startsWith(stderr)).toBe(true);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
    expect(results[4].stderr).toContain('"subscriber"');
    // Neither the default location database nor anything else was created.
    expect(readdirSync(dir).sort()).toEqual(['empty.db', 'subscribers.json']);
  }, 120_000);

  it('exits 2 for an empty secret in SIPREG_AUTH_SECRET, naming the variable and not its value', async () => {
    const server = spawnManaged(process.execPath, [...CLI, 'registrar', '--listen', 'udp:127.0.0.1:0', '--store', 'memory', '--auth-db', 'subscribers.json'], { cwd: dir, env: { SIPREG_AUTH_SECRET: 'current,' } });
    started.push(server);
    expect(await server.exited).toEqual({ code: 2, signal: null });
    expect(server.output()).toBe('sipreg: SIPREG_AUTH_SECRET: a secret is empty; give SECRET[,OLD...] without an empty one, or leave it out for a random one\n');
  }, 90_000);
});
