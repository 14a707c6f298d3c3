import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Builds the package with tsup and loads every entry point both ways: `import` (ESM) and
 * `require` (CJS, with the ESM-only SIP.js grammar bundled in), then parses a REGISTER through
 * the grammar tier so the bundled SIP.js code really runs.
 */
describe('published entry points', () => {
  beforeAll(async () => {
    await run('npx', ['tsup', '--silent'], { timeout: 120_000 });
  }, 150_000);

  const entries = ['index', 'stores/memory', 'stores/sqlite', 'stores/redis', 'transports/node', 'testing/index'];

  it.each(entries)('dist/%s loads as ESM and CJS', async (entry) => {
    expect(existsSync(`dist/${entry}.js`)).toBe(true);
    expect(existsSync(`dist/${entry}.cjs`)).toBe(true);
    expect(existsSync(`dist/${entry}.d.ts`)).toBe(true);
    const esm = await run(process.execPath, ['--input-type=module', '-e', `import * as m from './dist/${entry}.js'; console.log(Object.keys(m).length)`]);
    const cjs = await run(process.execPath, ['-e', `console.log(Object.keys(require('./dist/${entry}.cjs')).length)`]);
    expect(Number(esm.stdout)).toBeGreaterThan(0);
    expect(Number(cjs.stdout)).toBe(Number(esm.stdout));
  });

  it('every CJS entry shares one copy of each error class', async () => {
    const script = `const root = require('./dist/index.cjs');
      const ok = ['stores/sqlite', 'stores/redis', 'stores/memory', 'transports/node', 'testing/index']
        .every((e) => require('./dist/' + e + '.cjs').ConfigError === root.ConfigError);
      console.log(ok);`;
    expect((await run(process.execPath, ['-e', script])).stdout.trim()).toBe('true');
  });

  it('the API docs build with typedoc without a warning', async () => {
    await run('npx', ['typedoc', '--out', 'dist/docs-check'], { timeout: 120_000 });
  }, 150_000);

  it('the CJS build runs the bundled SIP.js grammar tier', async () => {
    const script = `const { parseSipMessage } = require('./dist/index.cjs');
      const r = parseSipMessage('REGISTER sip:a.com SIP/2.0\\r\\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\\r\\nFrom: <sip:u@a.com>;tag=1\\r\\nTo: <sip:u@a.com>\\r\\nCall-ID: x\\r\\nCSeq: 1 REGISTER\\r\\nContent-Length: 0\\r\\n\\r\\n', { strict: true });
      console.log(r.ok && r.tier);`;
    const { stdout } = await run(process.execPath, ['-e', script]);
    expect(stdout.trim()).toBe('grammar');
  });

  it('the CLI binary prints its usage', async () => {
    const { stdout } = await run(process.execPath, ['dist/cli/main.js', 'registrar', '--help']);
    expect(stdout).toContain('--max-contacts');
  });
});
