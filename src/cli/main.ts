import cluster from 'node:cluster';
import { CliUsageError } from './cli-usage-error';
import { CliRuntimeError } from './cli-runtime-error';
import { packageVersion } from './package-version';
import { REGISTRAR_USAGE, runRegistrarCommand } from './registrar-command';
import { MID_REGISTRAR_USAGE, runMidRegistrarCommand } from './mid-registrar-command';
import { REGISTRANT_USAGE, runRegistrantCommand } from './registrant-command';
import { USER_USAGE, runUserCommand } from './user-command';
import { reportListening } from './run-workers';
import { MI_USAGE, runMiClientCommand } from './mi-client-command';

const USAGE = `Usage: sipreg <command> [flags]

Commands:
  registrar       run a SIP registrar (see: sipreg registrar --help)
  mid-registrar   run a registration front-end to a main registrar (see: sipreg mid-registrar --help)
  registrant      register this server on remote registrars (see: sipreg registrant --help)
  user            add, change, remove and list subscribers (see: sipreg user --help)
  mi              run a management command on a server started with --mi-listen (see: sipreg mi --help)
  version         print the version (also: --version)

Authentication and abuse protection (registrar and mid-registrar; details in their --help):
  --auth-db sqlite:PATH|FILE.json|redis://HOST:PORT
                  digest-authenticate REGISTERs (RFC 3261 §22) against these subscribers, tuned
                  by --auth-realm, --auth-algorithms, --auth-qop, --nonce-expire, --calculate-ha1,
                  --check-to and --auth-secret (or env SIPREG_AUTH_SECRET); the registrar's
                  --auth-methods INVITE,MESSAGE asks those requests for Proxy-Authorization (407)
  --pike-reqs-density-per-unit N
                  drop a source sending over N requests per --pike-sampling-time-unit s
  --ban-after N   drop a source for --ban-time s after N failed authentications within
                  --ban-window s (10 with --auth-db; 0 off)

Management (registrar, mid-registrar and registrant):
  --mi-listen http:IP:PORT
                  JSON-RPC 2.0 at /mi (OpenSIPS MI command names; sipreg mi COMMAND), /metrics
                  and /health; other than loopback it needs --mi-token or --mi-token-file
`;

/** Entry point of the `sipreg` command. Exit codes: 0 ok, 1 runtime failure, 2 bad usage. */
async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    process.exitCode = command === undefined ? 2 : 0;
    return;
  }
  if (command === 'version' || command === '--version' || command === '-v') {
    process.stdout.write(`sipreg ${packageVersion()}\n`);
    return;
  }
  if (command === 'user') {
    if (rest.length === 0 || rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(USER_USAGE);
      process.exitCode = rest.length === 0 ? 2 : 0;
      return;
    }
    await runUserCommand(rest);
    return;
  }
  if (command === 'mi') {
    if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
      process.stdout.write(MI_USAGE);
      process.exitCode = rest.length === 0 ? 2 : 0;
      return;
    }
    process.stdout.write(await runMiClientCommand(rest));
    return;
  }
  const commands = {
    registrar: { usage: REGISTRAR_USAGE, run: runRegistrarCommand },
    'mid-registrar': { usage: MID_REGISTRAR_USAGE, run: runMidRegistrarCommand },
    registrant: { usage: REGISTRANT_USAGE, run: runRegistrantCommand },
  };
  if (command !== 'registrar' && command !== 'mid-registrar' && command !== 'registrant') throw new CliUsageError(`unknown command '${command}'\n${USAGE}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commands[command].usage);
    return;
  }
  const running = await commands[command].run(rest);
  // A `--workers` worker: the primary prints the lines once every worker listens, and stops the
  // workers on SIGINT (which a terminal sends the workers too).
  if (cluster.isWorker) reportListening(running);
  else {
    for (const e of running.endpoints) process.stdout.write(`sipreg ${command} listening on ${e}\n`);
    process.stdout.write(`sipreg ${command} ${running.storeLabel ?? 'store'}: ${running.store}\n`);
    for (const d of running.details ?? []) process.stdout.write(`sipreg ${command} ${d}\n`);
    for (const w of running.warnings ?? []) process.stderr.write(`sipreg ${command}: ${w}\n`);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.stop().then(() => process.exit(0), (e: unknown) => {
      process.stderr.write(`sipreg: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', cluster.isWorker ? () => undefined : stop);
  process.on('SIGTERM', stop);
}

/** `--log-level debug` (or `--log-level=debug`) among the arguments: unexpected errors show their stack. */
const debugging = (argv: readonly string[]): boolean =>
  argv.includes('--log-level=debug') || argv.some((a, i) => a === '--log-level' && argv[i + 1] === 'debug');

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof CliUsageError) {
    process.stderr.write(`sipreg: ${e.message}\n`);
    process.exit(2);
  }
  // A runtime failure is one line naming the flag, the value and the cause; an unexpected error
  // shows its stack only at --log-level debug.
  const message = e instanceof Error ? e.message : String(e);
  const text = e instanceof Error && !(e instanceof CliRuntimeError) && debugging(process.argv) ? e.stack ?? message : message.split('\n')[0];
  process.stderr.write(`sipreg: ${text}\n`);
  process.exit(1);
});
