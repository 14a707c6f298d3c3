import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from '../helpers/free-port';
import { spawnManaged } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { runToExit, type Exited } from '../helpers/run-to-exit';

const run = promisify(execFile);

/**
 * Build the CLI with the CLI entry of tsup.config.ts into `outDir` (not the shared dist/), so the
 * bundle under test is the one `npx tsup` makes.
 */
const BUILD = `
import { build } from 'tsup';
import configs from './tsup.config.ts';
const cli = configs.find((c) => typeof c.entry === 'object' && 'cli/main' in c.entry);
await build({ ...cli, outDir: process.argv[1], config: false, silent: true });
`;

/** Run the installed CLI until it exits. */
const sipreg = (pkg: string, args: readonly string[]): Promise<Exited> => runToExit(process.execPath, [join(pkg, 'dist/cli/main.js'), ...args], pkg);

describe('the built CLI installed without its optional store drivers', () => {
  let pkg: string;
  const manifest = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

  beforeAll(async () => {
    // An installed package: package.json, dist/cli/, and node_modules with only the required
    // dependencies (better-sqlite3 and ioredis absent; nothing above the temp directory has them).
    pkg = mkdtempSync(join(tmpdir(), 'sipreg-installed-'));
    await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BUILD, join(pkg, 'dist')], { cwd: REPOSITORY_ROOT, timeout: 60_000 });
    copyFileSync(join(REPOSITORY_ROOT, 'package.json'), join(pkg, 'package.json'));
    mkdirSync(join(pkg, 'node_modules'));
    for (const name of Object.keys(manifest.dependencies)) symlinkSync(join(REPOSITORY_ROOT, 'node_modules', name), join(pkg, 'node_modules', name), 'dir');
  }, 90_000);
  afterAll(() => rmSync(pkg, { recursive: true, force: true }));

  it('starts: --help, --version and a memory store need no driver', async () => {
    expect(await sipreg(pkg, ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: sipreg <command>'), stderr: '' });
    expect(await sipreg(pkg, ['--version'])).toEqual({ code: 0, stdout: `sipreg ${manifest.version}\n`, stderr: '' });
    expect(await sipreg(pkg, ['registrar', '--help'])).toMatchObject({ code: 0, stderr: '' });
    const port = await freePort();
    const server = spawnManaged(process.execPath, [join(pkg, 'dist/cli/main.js'), 'registrar', '--store', 'memory', '--listen', `udp:127.0.0.1:${port}`], { cwd: pkg, killAfterMs: 30_000 });
    try {
      await server.waitForLine(`sipreg registrar listening on udp:127.0.0.1:${port}`, 20_000);
      await server.waitForLine('sipreg registrar store: memory', 1_000);
    } finally {
      await server.stop();
    }
  });

  it('says in one line which package a chosen store needs, and exits 1', async () => {
    const cases: [string[], string][] = [
      [['registrar'], 'sipreg: --store sqlite:./sipreg-location.db needs the better-sqlite3 package: npm i better-sqlite3@^12'],
      [['registrar', '--store', 'redis://:pw@127.0.0.1:6379'], 'sipreg: --store redis://:***@127.0.0.1:6379 needs the ioredis package: npm i ioredis@^5'],
      [['mid-registrar', '--upstream', 'udp:127.0.0.1:5070', '--store', 'sqlite:./mid.db'], 'sipreg: --store sqlite:./mid.db needs the better-sqlite3 package: npm i better-sqlite3@^12'],
    ];
    const results = await Promise.all(cases.map(([args]) => sipreg(pkg, [...args, '--listen', 'udp:127.0.0.1:0'])));
    results.forEach((result, i) => expect(result).toEqual({ code: 1, stdout: '', stderr: `${cases[i][1]}\n` }));
  });
});
