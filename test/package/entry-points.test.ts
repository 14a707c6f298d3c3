import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { REPOSITORY_ROOT } from '../helpers/start-sipreg';

const run = promisify(execFile);

/**
 * Builds the package with tsup and loads every entry point both ways: `import` (ESM) and
 * `require` (CJS, with the ESM-only SIP.js grammar bundled in), then parses a REGISTER through
 * the grammar tier so the bundled SIP.js code really runs.
 *
 * The build goes to its own directory, not `dist/`, which the installed-package test's
 * `npm pack` rebuilds (and cleans) when both files run at once. It lies under the repository's
 * `node_modules/.cache` so that the built files find the package's dependencies; a
 * `package.json` there makes its `.js` files ES modules, as the package's own `"type"` does.
 */
describe('published entry points', () => {
  let out = '';
  const file = (entry: string): string => join(out, entry);

  beforeAll(async () => {
    const cache = join(REPOSITORY_ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    out = mkdtempSync(join(cache, 'sipreg-entry-points-'));
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
    await run('npx', ['tsup', '--silent', '--out-dir', out], { cwd: REPOSITORY_ROOT, timeout: 120_000 });
  }, 150_000);

  afterAll(() => {
    if (out !== '') rmSync(out, { recursive: true, force: true });
  });

  const entries = ['index', 'stores/memory', 'stores/sqlite', 'stores/redis', 'transports/node', 'testing/index'];

  it.each(entries)('%s loads as ESM and CJS', async (entry) => {
    expect(existsSync(file(`${entry}.js`))).toBe(true);
    expect(existsSync(file(`${entry}.cjs`))).toBe(true);
    expect(existsSync(file(`${entry}.d.ts`))).toBe(true);
    expect(existsSync(file(`${entry}.d.cts`))).toBe(true);
    const esm = await run(process.execPath, ['--input-type=module', '-e', `import * as m from ${JSON.stringify(file(`${entry}.js`))}; console.log(Object.keys(m).length)`]);
    const cjs = await run(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(file(`${entry}.cjs`))})).length)`]);
    expect(Number(esm.stdout)).toBeGreaterThan(0);
    expect(Number(cjs.stdout)).toBe(Number(esm.stdout));
  });

  it('every CJS entry shares one copy of each error class', async () => {
    const script = `const root = require(${JSON.stringify(file('index.cjs'))});
      const ok = ['stores/sqlite', 'stores/redis', 'stores/memory', 'transports/node', 'testing/index']
        .every((e) => require(${JSON.stringify(out)} + '/' + e + '.cjs').ConfigError === root.ConfigError);
      console.log(ok);`;
    expect((await run(process.execPath, ['-e', script])).stdout.trim()).toBe('true');
  });

  it('the API docs build with typedoc without a warning', async () => {
    // Into a directory of its own, out of dist/, which `npm pack` ships.
    const docs = mkdtempSync(join(tmpdir(), 'sipreg-docs-check-'));
    try {
      await run('npx', ['typedoc', '--out', docs], { cwd: REPOSITORY_ROOT, timeout: 120_000 });
      expect(existsSync(join(docs, 'index.html'))).toBe(true);
    } finally {
      rmSync(docs, { recursive: true, force: true });
    }
  }, 150_000);

  it('the CJS build runs the bundled SIP.js grammar tier', async () => {
    const script = `const { parseSipMessage } = require(${JSON.stringify(file('index.cjs'))});
      const r = parseSipMessage('REGISTER sip:a.com SIP/2.0\\r\\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\\r\\nFrom: <sip:u@a.com>;tag=1\\r\\nTo: <sip:u@a.com>\\r\\nCall-ID: x\\r\\nCSeq: 1 REGISTER\\r\\nContent-Length: 0\\r\\n\\r\\n', { strict: true });
      console.log(r.ok && r.tier);`;
    const { stdout } = await run(process.execPath, ['-e', script]);
    expect(stdout.trim()).toBe('grammar');
  });

  it('the CLI binary prints its usage', async () => {
    const { stdout } = await run(process.execPath, [file('cli/main.js'), 'registrar', '--help']);
    expect(stdout).toContain('--max-contacts');
  });
});
