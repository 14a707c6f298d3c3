import type { CredentialAdmin } from '../ports/credential-store';
import { computeHa1s } from '../auth/compute-ha1s';
import { StoreError } from '../errors/sdk-error';
import { AUTH_DB_FLAGS, openCredentialStore, parseAuthDbFlag, type AuthDbFlag } from './auth-db-flag';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { formatFlags, parseArgs } from './parse-args';
import { readStdinLine } from './read-stdin-line';
import { redactUrl } from './redact-url';

/** The `--help` text of `sipreg user`. */
export const USER_USAGE = `Usage: sipreg user add|passwd|rm|list --auth-db sqlite:PATH|FILE.json|redis://HOST:PORT[/DB] [USER@DOMAIN] [PASSWORD]

Administers the subscribers the registrar authenticates (opensips-cli -x user, kamctl add):
  sipreg user add USER@DOMAIN [PASSWORD]      add a subscriber; creates the file or table when missing
  sipreg user passwd USER@DOMAIN [PASSWORD]   change a subscriber's password
  sipreg user rm USER@DOMAIN                  remove a subscriber
  sipreg user list [DOMAIN]                   print the subscribers (of DOMAIN) as USER@DOMAIN
Without PASSWORD the first line of stdin is the password (an argument shows in ps). Only its
HA1s (MD5, SHA-256, SHA-512-256, over USER:DOMAIN:PASSWORD) are stored, never the password.
Flags:
${formatFlags(AUTH_DB_FLAGS)}
`;

/** The actions, with the positional arguments each takes after the action: [required, allowed]. */
const ACTIONS = { add: [1, 2], passwd: [1, 2], rm: [1, 1], list: [0, 1] } as const;
type Action = keyof typeof ACTIONS;

/** What a user command does, checked before anything is opened. */
interface UserCommand {
  readonly action: Action;
  readonly store: AuthDbFlag;
  readonly username?: string;
  readonly domain?: string;
  readonly password?: string;
}

/** `user@domain` split at its last `@`: both parts non-empty, without spaces or a `sip:` scheme. */
function parseUserAtDomain(text: string): { username: string; domain: string } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1 || /\s/.test(text)) throw new CliUsageError(`a subscriber is USER@DOMAIN, e.g. alice@example.com, got '${text}'`);
  if (/^sips?:/i.test(text)) throw new CliUsageError(`give the subscriber as USER@DOMAIN without the scheme, got '${text}'`);
  return { username: text.slice(0, at), domain: text.slice(at + 1) };
}

/** Flags and positional arguments apart: every flag takes a value, as `--name value` or `--name=value`. */
function splitArgs(argv: readonly string[]): { flags: string[]; positionals: string[] } {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) positionals.push(arg);
    else if (arg.includes('=') || i + 1 === argv.length) flags.push(arg);
    else flags.push(arg, argv[++i]);
  }
  return { flags, positionals };
}

/** Check the whole command line (reading the password from stdin when it is not an argument). */
async function parseUserCommand(argv: readonly string[]): Promise<UserCommand> {
  const [name, ...rest] = argv;
  if (name === undefined || !Object.hasOwn(ACTIONS, name)) throw new CliUsageError(`sipreg user takes add, passwd, rm or list, got '${name ?? ''}'; see sipreg user --help`);
  const action = name as Action;
  const { flags, positionals } = splitArgs(rest);
  const [required, allowed] = ACTIONS[action];
  if (positionals.length < required || positionals.length > allowed) {
    const shape = { add: 'USER@DOMAIN [PASSWORD]', passwd: 'USER@DOMAIN [PASSWORD]', rm: 'USER@DOMAIN', list: '[DOMAIN]' }[action];
    throw new CliUsageError(`sipreg user ${action} takes ${shape}, got ${positionals.length === 0 ? 'nothing' : positionals.map((p) => `'${p}'`).join(' ')}`);
  }
  const store = parseAuthDbFlag(parseArgs(flags, AUTH_DB_FLAGS), { create: action === 'add' });
  if (store === undefined) throw new CliUsageError('--auth-db is required: sqlite:PATH, FILE.json or redis://HOST:PORT');
  if (action === 'list') return { action, store, domain: positionals[0] };
  const { username, domain } = parseUserAtDomain(positionals[0]);
  if (action === 'rm') return { action, store, username, domain };
  const password = positionals[1] ?? (await readStdinLine(`Password for ${username}@${domain}: `));
  if (password === undefined || password === '') throw new CliUsageError(`no password for ${username}@${domain}: give it after USER@DOMAIN or as the first line of stdin`);
  return { action, store, username, domain, password };
}

/** Run the checked command on the opened store; a refusal (exists, missing) is a {@link CliRuntimeError}. */
async function runOn(store: CredentialAdmin, command: UserCommand, where: string): Promise<string> {
  const { action, username = '', domain = '', password = '' } = command;
  const user = `${username}@${domain}`;
  if (action === 'list') return (await store.list(command.domain)).map((s) => `${s.username}@${s.realm}\n`).join('');
  if (action === 'rm') {
    if (!(await store.remove(username, domain))) throw new CliRuntimeError(`user ${user} does not exist in ${where}`);
    return `removed ${user}\n`;
  }
  const exists = (await store.lookup(username, domain)) !== undefined;
  if (action === 'add' && exists) throw new CliRuntimeError(`user ${user} already exists in ${where}; change its password with sipreg user passwd`);
  if (action === 'passwd' && !exists) throw new CliRuntimeError(`user ${user} does not exist in ${where}; add it with sipreg user add`);
  await store.put({ username, realm: domain, ha1: computeHa1s(username, domain, password) });
  return action === 'add' ? `added ${user}\n` : `changed the password of ${user}\n`;
}

/**
 * `sipreg user add|passwd|rm|list`: check every argument and flag (and read the password), then
 * open the `--auth-db` store, make the change and print what was done (`list`: one
 * `user@domain` per line, never a secret). Throws {@link CliUsageError} for a bad command line
 * (exit 2) and {@link CliRuntimeError} for what the store refuses or fails (exit 1).
 */
export async function runUserCommand(argv: readonly string[]): Promise<void> {
  const command = await parseUserCommand(argv);
  const store = await openCredentialStore(command.store, { create: command.action === 'add' });
  const where = redactUrl(command.store.spec);
  try {
    process.stdout.write(await runOn(store, command, where));
  } catch (e) {
    if (e instanceof StoreError) throw new CliRuntimeError(`--auth-db ${where}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    await store.close?.();
  }
}
