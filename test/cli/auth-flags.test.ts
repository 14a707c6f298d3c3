import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AUTH_FLAGS, GUARD_FLAGS, PROXY_AUTH_FLAGS, resolveAuthSettings } from '../../src/cli/auth-flags';
import { CliRuntimeError } from '../../src/cli/cli-runtime-error';
import { CliUsageError } from '../../src/cli/cli-usage-error';
import { parseArgs } from '../../src/cli/parse-args';

const FLAGS = [...AUTH_FLAGS, ...PROXY_AUTH_FLAGS, ...GUARD_FLAGS];

describe('resolveAuthSettings: the authentication and guard flags, checked before anything opens', () => {
  // Made before the cases below are listed, which name the file.
  const dir = mkdtempSync(join(tmpdir(), 'sipreg-auth-flags-'));
  const users = join(dir, 'users.json');
  writeFileSync(users, '[]');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const resolve = (argv: readonly string[], env: NodeJS.ProcessEnv = {}) => resolveAuthSettings(parseArgs(argv, FLAGS), env);
  const withDb = (...argv: string[]): string[] => ['--auth-db', users, ...argv];

  it('is off without flags, and turns bans on by default with --auth-db', () => {
    expect(resolve([])).toEqual({ digest: undefined, guard: undefined });
    const settings = resolve(withDb());
    expect(settings.digest).toEqual({
      db: { kind: 'json', spec: users, path: users },
      options: { realm: undefined, algorithms: undefined, qop: undefined, nonceExpire: undefined, calculateHa1: undefined, secret: undefined },
      checkTo: true,
      proxyMethods: [],
      summary: `json ${users}; realm To/From domain; algorithms MD5`,
    });
    expect(settings.guard).toEqual({ options: { ban: { after: 10, window: undefined, time: undefined } }, summary: 'ban after 10 failed authentications in 60 s for 300 s' });
  });

  it('reads every flag into the authenticator, server and guard options', () => {
    const settings = resolve(withDb(
      '--auth-realm', 'example.com', '--auth-algorithms', 'md5,SHA-512-256,sha-256', '--auth-qop', 'auth,auth-int', '--nonce-expire', '60',
      '--calculate-ha1', '1', '--check-to', '0', '--auth-secret', 'new,old', '--auth-methods', 'invite,MESSAGE',
      '--pike-sampling-time-unit', '5', '--pike-reqs-density-per-unit', '40', '--ban-after', '0',
    ));
    expect(settings.digest?.options).toEqual({
      realm: 'example.com', algorithms: ['MD5', 'SHA-512-256', 'SHA-256'], qop: ['auth', 'auth-int'], nonceExpire: 60, calculateHa1: true, secret: ['new', 'old'],
    });
    expect(settings.digest?.checkTo).toBe(false);
    expect(settings.digest?.proxyMethods).toEqual(['INVITE', 'MESSAGE']);
    expect(settings.digest?.summary).toBe(`json ${users}; realm example.com; algorithms SHA-512-256, SHA-256, MD5; proxy authentication of INVITE, MESSAGE`);
    expect(settings.guard).toEqual({ options: { pike: { reqsDensityPerUnit: 40, samplingTimeUnit: 5 } }, summary: 'pike 40 requests per 5 s' });
    expect(resolve(withDb('--auth-qop', '')).digest?.options.qop).toEqual([]);
  });

  it('takes the secret from SIPREG_AUTH_SECRET unless --auth-secret is given', () => {
    expect(resolve(withDb(), { SIPREG_AUTH_SECRET: 'env-new,env-old' }).digest?.options.secret).toEqual(['env-new', 'env-old']);
    expect(resolve(withDb('--auth-secret', 'flag'), { SIPREG_AUTH_SECRET: 'env' }).digest?.options.secret).toEqual(['flag']);
    // The variable alone, without --auth-db, turns nothing on.
    expect(resolve([], { SIPREG_AUTH_SECRET: 'env' })).toEqual({ digest: undefined, guard: undefined });
  });

  it('runs pike without --auth-db, and no bans then', () => {
    expect(resolve(['--pike-reqs-density-per-unit', '30']).guard).toEqual({ options: { pike: { reqsDensityPerUnit: 30, samplingTimeUnit: undefined } }, summary: 'pike 30 requests per 2 s' });
  });

  const usageErrors: [string[], string][] = [
    [withDb('--auth-algorithms', 'md5,sha-1'), '--auth-algorithms: unknown digest algorithm "sha-1" in "md5,sha-1": use MD5, SHA-256 or SHA-512-256'],
    [withDb('--auth-algorithms', 'md5-sess'), '--auth-algorithms: unknown digest algorithm "md5-sess" in "md5-sess": use MD5, SHA-256 or SHA-512-256'],
    [withDb('--auth-algorithms', ''), '--auth-algorithms: digest algorithms: empty element in ""'],
    [withDb('--auth-qop', 'auth-conf'), '--auth-qop: unknown qop "auth-conf" in "auth-conf": use auth, auth-int or auth,auth-int'],
    [withDb('--nonce-expire', '0'), '--nonce-expire: DigestAuthOptions.nonceExpire must be a positive integer of seconds, got 0'],
    [withDb('--auth-realm', ' '), '--auth-realm: DigestAuthOptions.realm must be a non-empty string without control characters, got " "; leave it out to use the To/From domain'],
    [withDb('--auth-secret', 'new-one,'), '--auth-secret: a secret is empty; give SECRET[,OLD...] without an empty one, or leave it out for a random one'],
    [withDb('--auth-methods', 'INVITE,ACK'), '--auth-methods: RegistrarServerOptions.proxyAuth.methods must not list ACK: it cannot be resubmitted with credentials (RFC 3261 §22.1)'],
    [withDb('--auth-methods', 'register'), '--auth-methods: RegistrarServerOptions.proxyAuth.methods must not list REGISTER: give the registrar auth (RegistrarOptions.auth) instead'],
    [withDb('--auth-methods', 'INVITE,,MESSAGE'), '--auth-methods: RegistrarServerOptions.proxyAuth.methods has an empty method name'],
    [withDb('--ban-after', '101'), '--ban-after: SourceGuardOptions.ban.after must be an integer in 0..100, got 101'],
    [withDb('--ban-window', '0'), '--ban-window: SourceGuardOptions.ban.window must be an integer in 1..9007199254740991, got 0'],
    [withDb('--ban-time', '-5'), '--ban-time: SourceGuardOptions.ban.time must be an integer in 1..9007199254740991, got -5'],
    [['--pike-sampling-time-unit', '5'], '--pike-sampling-time-unit needs --pike-reqs-density-per-unit (the requests one IP may send per period)'],
    [['--pike-reqs-density-per-unit', '0'], '--pike-reqs-density-per-unit: SourceGuardOptions.pike.reqsDensityPerUnit must be an integer in 1..9007199254740991, got 0'],
    [['--pike-reqs-density-per-unit', '9', '--pike-sampling-time-unit', '3601'], '--pike-sampling-time-unit: SourceGuardOptions.pike.samplingTimeUnit must be an integer in 1..3600, got 3601'],
    [['--auth-realm', 'example.com'], '--auth-realm needs --auth-db (the subscribers to authenticate against)'],
    [['--check-to', '0'], '--check-to needs --auth-db (the subscribers to authenticate against)'],
    [['--auth-methods', 'INVITE'], '--auth-methods needs --auth-db (the subscribers to authenticate against)'],
    [['--ban-after', '3'], '--ban-after needs --auth-db (the subscribers to authenticate against)'],
    [['--auth-db', 'users.txt'], "--auth-db takes sqlite:PATH, FILE.json, redis://HOST:PORT[/DB] or redis-cluster://HOST:PORT,..., got 'users.txt'"],
  ];
  it.each(usageErrors.map(([argv, message]) => [message, argv] as const))('usage error: %s', (message, argv) => {
    expect(() => resolve(argv)).toThrow(new CliUsageError(message));
  });

  it('names SIPREG_AUTH_SECRET, never its value, for an empty secret in it', () => {
    expect(() => resolve(withDb(), { SIPREG_AUTH_SECRET: 'current,' })).toThrow(new CliUsageError('SIPREG_AUTH_SECRET: a secret is empty; give SECRET[,OLD...] without an empty one, or leave it out for a random one'));
    expect(() => resolve(withDb(), { SIPREG_AUTH_SECRET: '' })).toThrow(CliUsageError);
  });

  it('refuses a subscriber file that does not exist instead of starting on an empty store', () => {
    const missing = join(dir, 'missing.json');
    expect(() => resolve(['--auth-db', missing])).toThrow(new CliRuntimeError(`--auth-db ${missing}: file ${missing} does not exist`));
  });
});
