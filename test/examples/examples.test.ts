import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Each example is type-checked by `tsc --noEmit` (tsconfig includes examples/) and smoke-run here. */
describe('examples', () => {
  it.each([
    ['embed-in-proxy.ts', ['--smoke'], 'smoke: OK'],
    ['sbc-front-end.ts', ['--smoke'], 'smoke: OK'],
    ['unit-test-registration.ts', [], 'all assertions passed'],
    ['registrar-extensions.ts', [], 'extensions example: all assertions passed'],
    ['mid-registrar-front-end.ts', ['--smoke'], 'smoke: OK'],
    ['trunk-registration.ts', ['--smoke'], 'smoke: OK'],
    ['reginfo-sync.ts', ['--smoke'], 'smoke: OK'],
  ])('%s runs', async (file, args, expected) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
      timeout: 30_000,
      env: { ...process.env, PORT: '0' },
    });
    expect(stdout).toContain(expected);
  });
});
