import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { runToExit, type Exited } from '../helpers/run-to-exit';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

/** Run the CLI in `cwd` until it exits. */
const sipreg = (args: readonly string[], cwd: string): Promise<Exited> => runToExit(process.execPath, [...CLI, ...args], cwd);

describe('sipreg CLI: runtime errors are one line naming the flag, the value and the cause, and exit 1', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipreg-cli-errors-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the flag and cause for a port in use, a missing directory, an unreachable Redis and a missing registrants file', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    const closedPort = await freePort('tcp');
    try {
      const listen = ['--listen', 'udp:127.0.0.1:0'];
      const cases: [string[], string][] = [
        [['registrar', '--store', 'memory', '--listen', `udp:127.0.0.1:${taken.address().port}`], `sipreg: --listen udp:127.0.0.1:${taken.address().port}: address already in use`],
        [['registrar', '--store', 'sqlite:/nonexistent/x.db', ...listen], 'sipreg: --store sqlite:/nonexistent/x.db: directory /nonexistent does not exist'],
        [['mid-registrar', '--upstream', 'udp:127.0.0.1:5070', '--store', 'sqlite:/nonexistent/x.db', ...listen], 'sipreg: --store sqlite:/nonexistent/x.db: directory /nonexistent does not exist'],
        [['registrar', '--store', `redis://127.0.0.1:${closedPort}`, ...listen], `sipreg: --store redis://127.0.0.1:${closedPort}: cannot reach Redis: connect ECONNREFUSED 127.0.0.1:${closedPort}`],
        [['registrar', '--store', 'redis://:hunter2@sipreg-no-such-host.invalid:6379', ...listen], 'sipreg: --store redis://:***@sipreg-no-such-host.invalid:6379: cannot reach Redis: getaddrinfo ENOTFOUND sipreg-no-such-host.invalid'],
        [['registrant', '--registrants', 'missing.json', ...listen], `sipreg: --registrants missing.json: file ${join(dir, 'missing.json')} does not exist`],
        [['registrant', '--registrants', 'sqlite:./typo.db', ...listen], `sipreg: --registrants sqlite:./typo.db: file ${join(dir, 'typo.db')} does not exist`],
      ];
      const results = await Promise.all(cases.map(([args]) => sipreg(args, dir)));
      results.forEach((result, i) => expect(result).toEqual({ code: 1, stdout: '', stderr: `${cases[i][1]}\n` }));
    } finally {
      taken.close();
    }
    // The mistyped sqlite: path did not become an empty table.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates no database file before every flag is valid, and exits 2 for the bad one', async () => {
    const cases: [string[], string][] = [
      [['registrar', '--min-expires-mode', 'sometimes'], '--min-expires-mode:'],
      [['registrar', '--reginfo-server-address', 'not-a-uri'], '--reginfo-server-address:'],
      [['registrar', '--shtag', 'vip/1'], '--shtag needs --store redis://'],
      [['registrar', '--listen', 'udp:nowhere:x'], '--listen udp:nowhere:x:'],
      [['registrar', '--max-message-bytes', '0'], 'maxMessageBytes'],
      [['mid-registrar', '--upstream', 'udp:127.0.0.1:5070', '--mode', 'sometimes'], '--mode:'],
      [['registrant', '--registrants', 'sqlite:./r.db', '--hash-size', '9', '--timer-interval', '2'], '--timer-interval:'],
    ];
    writeFileSync(join(dir, 'r.db'), '');
    const results = await Promise.all(cases.map(([args]) => sipreg(args, dir)));
    results.forEach((result, i) => {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(cases[i][1]);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
    expect(readdirSync(dir)).toEqual(['r.db']);
  });
});

describe('sipreg CLI: --version', () => {
  it('prints sipreg and the package version for --version and the version command', async () => {
    const { version } = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']]) {
      expect(await sipreg(args, tmpdir())).toEqual({ code: 0, stdout: `sipreg ${version}\n`, stderr: '' });
    }
  });
});
