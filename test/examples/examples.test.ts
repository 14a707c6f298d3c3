import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedis, type RedisServer } from '../helpers/start-redis';

const run = promisify(execFile);

// The shared-location example needs a Redis: a real one, started here on a loopback port.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});
afterAll(async () => {
  await redis?.stop();
});

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
    ['shared-location-redis.ts', ['--smoke'], 'smoke: OK'],
    ['secure-registrar.ts', ['--smoke'], 'smoke: OK'],
    ['invite-transactions.ts', ['--smoke'], 'smoke: OK'],
    ['forking-proxy.ts', ['--smoke'], 'smoke: OK'],
    ['browser-phones-wss.ts', ['--smoke'], 'smoke: OK'],
  ])('%s runs', async (file, args, expected) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
      timeout: 30_000,
      env: { ...process.env, PORT: '0', REDIS_URL: redis.url },
    });
    expect(stdout).toContain(expected);
  });
});
