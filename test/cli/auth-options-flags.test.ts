import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AUTH_DB_FLAGS, parseAuthDbFlag } from '../../src/cli/auth-db-flag';
import { AUTH_FLAGS, GUARD_FLAGS, resolveAuthSettings, startAuth } from '../../src/cli/auth-flags';
import { CliRuntimeError } from '../../src/cli/cli-runtime-error';
import { CliUsageError } from '../../src/cli/cli-usage-error';
import { reloadCredentialsOnSighup } from '../../src/cli/credentials-reload';
import { parseArgs } from '../../src/cli/parse-args';
import type { Logger } from '../../src/ports/logger';
import { SqliteCredentialStore } from '../../src/stores/sqlite-credential-store';

const FLAGS = [...AUTH_FLAGS, ...GUARD_FLAGS];

/** A logger keeping `[level, message, fields]` of every entry. */
function recordingLogger(): Logger & { readonly entries: [string, string | undefined, object][] } {
  const entries: [string, string | undefined, object][] = [];
  const at = (level: string) => (fields: object, msg?: string): void => {
    entries.push([level, msg, fields]);
  };
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

describe('the auth, auth_db and guard flags the library options had without a flag', () => {
  // Made before the cases below are listed, which name the files.
  const dir = mkdtempSync(join(tmpdir(), 'sipreg-auth-options-'));
  const users = join(dir, 'users.json');
  writeFileSync(users, '[]');
  const db = join(dir, 'subscriber.db');
  new SqliteCredentialStore({ path: db, create: true }).close();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const resolve = (argv: readonly string[]) => resolveAuthSettings(parseArgs(argv, FLAGS), {});
  const withDb = (...argv: string[]): string[] => ['--auth-db', users, ...argv];

  it('--nonce-binds-source and --auth-userhash become DigestAuthOptions.nonceBindsSource and userhash, named on the startup line', () => {
    const off = resolve(withDb());
    expect(off.digest?.options).toMatchObject({ nonceBindsSource: undefined, userhash: undefined });
    const on = resolve(withDb('--nonce-binds-source', '1', '--auth-userhash', 'true'));
    expect(on.digest?.options).toMatchObject({ nonceBindsSource: true, userhash: true });
    expect(on.digest?.summary).toBe(`json ${users}; realm To/From domain; algorithms MD5; userhash; nonces bound to the source IP`);
    expect(resolve(withDb('--nonce-binds-source', '0', '--auth-userhash', '0')).digest?.summary).toBe(`json ${users}; realm To/From domain; algorithms MD5`);
  });

  it('--pike-action, --ban-action and --guard-max-sources become the guard options, named on the startup line when not the defaults', () => {
    const settings = resolve(withDb('--pike-reqs-density-per-unit', '20', '--pike-action', 'reply', '--ban-after', '5', '--ban-action', 'reply', '--guard-max-sources', '5000'));
    expect(settings.guard?.options).toEqual({
      pike: { reqsDensityPerUnit: 20, action: 'reply' },
      ban: { after: 5, action: 'reply' },
      maxSources: 5000,
    });
    expect(settings.guard?.summary).toBe('pike 20 requests per 2 s (replied 503), ban after 5 failed authentications in 60 s for 300 s (replied 403), at most 5000 IPs');
    const dropping = resolve(withDb('--pike-reqs-density-per-unit', '20', '--pike-action', 'drop', '--ban-action', 'drop'));
    expect(dropping.guard?.summary).toBe('pike 20 requests per 2 s, ban after 10 failed authentications in 60 s for 300 s');
    // The rate limit alone, without --auth-db: the table size still applies.
    expect(resolve(['--pike-reqs-density-per-unit', '9', '--guard-max-sources', '10']).guard?.options).toEqual({ pike: { reqsDensityPerUnit: 9 }, maxSources: 10 });
  });

  const usageErrors: [string[], string][] = [
    [withDb('--pike-reqs-density-per-unit', '5', '--pike-action', 'reject'), "--pike-action: SourceGuardOptions.pike.action must be 'drop' or 'reply', got reject"],
    [withDb('--ban-action', 'REPLY'), "--ban-action: SourceGuardOptions.ban.action must be 'drop' or 'reply', got REPLY"],
    [withDb('--guard-max-sources', '0'), '--guard-max-sources: SourceGuardOptions.maxSources must be an integer in 1..10000000, got 0'],
    [['--pike-action', 'reply'], '--pike-action needs --pike-reqs-density-per-unit (the requests one IP may send per period)'],
    [withDb('--ban-after', '0', '--ban-action', 'reply'), '--ban-action: bans are off with --ban-after 0'],
    [['--ban-action', 'reply'], '--ban-action needs --auth-db (the subscribers to authenticate against)'],
    [['--guard-max-sources', '100'], '--guard-max-sources needs the rate limit (--pike-reqs-density-per-unit) or bans (--auth-db)'],
    [['--auth-userhash', '1'], '--auth-userhash needs --auth-db (the subscribers to authenticate against)'],
    [['--nonce-binds-source', '1'], '--nonce-binds-source needs --auth-db (the subscribers to authenticate against)'],
    [withDb('--auth-table', 'accounts'), '--auth-table needs --auth-db sqlite:PATH (it names the OpenSIPS subscriber table or one of its columns)'],
    [['--auth-db', 'redis://127.0.0.1:6379', '--auth-user-column', 'user'], '--auth-user-column needs --auth-db sqlite:PATH (it names the OpenSIPS subscriber table or one of its columns)'],
    [['--auth-ha1-column', 'hash'], '--auth-ha1-column needs --auth-db sqlite:PATH (it names the OpenSIPS subscriber table or one of its columns)'],
  ];
  it.each(usageErrors.map(([argv, message]) => [message, argv] as const))('usage error: %s', (message, argv) => {
    expect(() => resolve(argv)).toThrow(new CliUsageError(message));
  });

  it('reads --auth-table and the --auth-*-column flags of an SQLite --auth-db, for the server commands and sipreg user alike', () => {
    const values = parseArgs(['--auth-db', `sqlite:${db}`, '--auth-table', 'accounts', '--auth-user-column', 'user_name', '--auth-ha1-sha512t256-column', 'hash512'], AUTH_DB_FLAGS);
    expect(parseAuthDbFlag(values, { create: false })).toEqual({ kind: 'sqlite', spec: `sqlite:${db}`, path: db, table: 'accounts', columns: { username: 'user_name', ha1_sha512t256: 'hash512' } });
    expect(resolve(['--auth-db', `sqlite:${db}`, '--auth-table', 'accounts']).digest?.summary).toBe(`sqlite ${db} table accounts; realm To/From domain; algorithms MD5`);
    expect(parseAuthDbFlag(parseArgs(['--auth-db', `sqlite:${db}`], AUTH_DB_FLAGS), { create: false })).toEqual({ kind: 'sqlite', spec: `sqlite:${db}`, path: db });
  });

  it.each([
    [['--auth-table', 'sub scriber'], '--auth-table: SqliteCredentialStore table must match /^[A-Za-z_][A-Za-z0-9_]*$/, got "sub scriber"'],
    [['--auth-domain-column', 'realm;'], '--auth-domain-column: SqliteCredentialStore columns.domain must match /^[A-Za-z_][A-Za-z0-9_]*$/, got "realm;"'],
    [['--auth-ha1-column', 'username'], '--auth-ha1-column: SqliteCredentialStore columns.ha1 and columns.username are both "username"'],
    [['--auth-password-column', 'id'], '--auth-password-column: SqliteCredentialStore columns.password cannot be "id", the table\'s primary key'],
  ])('a name the SQLite store refuses is a usage error naming its flag: %j', async (argv, message) => {
    const settings = resolve(['--auth-db', `sqlite:${db}`, ...argv]);
    await expect(startAuth(settings, recordingLogger())).rejects.toThrow(new CliUsageError(message));
  });

  it('a column the table lacks is a runtime error naming the flag that names it', async () => {
    const settings = resolve(['--auth-db', `sqlite:${db}`, '--auth-user-column', 'user_name']);
    const failure = startAuth(settings, recordingLogger());
    await expect(failure).rejects.toThrow(CliRuntimeError);
    await expect(failure).rejects.toThrow(`--auth-db sqlite:${db}: sqlite credential store: table "subscriber" in ${db} has no column "user_name"; name the column that holds it with --auth-user-column`);
  });

  it('SIGHUP reloads only a JSON --auth-db, logging the count or the error, and stops listening once stopped', async () => {
    const before = process.listenerCount('SIGHUP');
    const sqlite = await startAuth(resolve(['--auth-db', `sqlite:${db}`]), recordingLogger());
    expect(sqlite.jsonFile).toBeUndefined();
    expect(reloadCredentialsOnSighup(sqlite, recordingLogger())).toBeInstanceOf(Function);
    expect(process.listenerCount('SIGHUP')).toBe(before);
    await sqlite.close();

    const logger = recordingLogger();
    const json = await startAuth(resolve(withDb()), logger);
    expect(json.jsonFile?.path).toBe(users);
    const stop = reloadCredentialsOnSighup(json, logger);
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    try {
      writeFileSync(users, JSON.stringify([{ username: 'alice', domain: 'example.com', password: 'pw-1' }]));
      process.emit('SIGHUP', 'SIGHUP');
      writeFileSync(users, '{');
      process.emit('SIGHUP', 'SIGHUP');
      expect(logger.entries).toEqual([
        ['info', 'subscribers reloaded', { path: users, subscribers: 1 }],
        ['error', 'subscribers reload failed; the subscribers loaded before stay', { path: users, error: expect.stringContaining(`${users}: not valid JSON`) }],
      ]);
      expect(json.jsonFile?.store.lookup('alice', 'example.com')).toEqual({ username: 'alice', realm: 'example.com', password: 'pw-1' });
    } finally {
      stop();
      writeFileSync(users, '[]');
      await json.close();
    }
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });
});
