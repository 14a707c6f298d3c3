import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { SipResponse } from '../../src/sip/message';
import { buildRegister } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { spawnManaged, type ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const run = promisify(execFile);

/** Room for npm's output (the better-sqlite3 build log among it). */
const MAX_BUFFER = 32 * 1024 * 1024;

const manifest = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as {
  readonly version: string;
  readonly peerDependencies: Readonly<Record<string, string>>;
};

/** Every entry point of the package with a value and a type it exports, as a user imports them. */
const ENTRY_POINTS = [
  { specifier: 'sipreg', value: 'createRegistrar', type: 'RegistrarOptions' },
  { specifier: 'sipreg/stores/memory', value: 'MemoryLocationStore', type: 'MemoryRegistrantStore' },
  { specifier: 'sipreg/stores/sqlite', value: 'SqliteLocationStore', type: 'SqliteLocationStoreOptions' },
  { specifier: 'sipreg/stores/redis', value: 'connectRedis', type: 'RedisLocationStoreOptions' },
  { specifier: 'sipreg/transports/node', value: 'createNodeTransport', type: 'NodeTransportOptions' },
  { specifier: 'sipreg/testing', value: 'buildRegister', type: 'RegisterSpec' },
] as const;

/**
 * The TypeScript module resolutions a consumer may compile with. Under node16/nodenext the file
 * extension makes the importing file ESM (`.mts`) or CommonJS (`.cts`), whatever the project's
 * `"type"`, so both halves of the `exports` map (`import` and `require` types) are checked.
 */
const TS_RESOLUTIONS = [
  { name: 'node10', module: 'commonjs', moduleResolution: 'node10', extension: 'ts' },
  { name: 'node16, ESM', module: 'node16', moduleResolution: 'node16', extension: 'mts' },
  { name: 'node16, CJS', module: 'node16', moduleResolution: 'node16', extension: 'cts' },
  { name: 'nodenext, ESM', module: 'nodenext', moduleResolution: 'nodenext', extension: 'mts' },
  { name: 'nodenext, CJS', module: 'nodenext', moduleResolution: 'nodenext', extension: 'cts' },
  { name: 'bundler', module: 'esnext', moduleResolution: 'bundler', extension: 'ts' },
] as const;

/**
 * A TypeScript file importing a value and a type from every entry point; it fails to compile
 * when a module is not found or when one of them is `any` (types that did not resolve).
 */
const TYPESCRIPT_CONSUMER = [
  ...ENTRY_POINTS.flatMap((e, i) => [`import { ${e.value} as value${i} } from '${e.specifier}';`, `import type { ${e.type} as Type${i} } from '${e.specifier}';`]),
  'type IsAny<T> = 0 extends 1 & T ? true : false;',
  'type Expect<T extends false> = T;',
  `export type Checks = [${ENTRY_POINTS.map((_, i) => `Expect<IsAny<Type${i}>>, Expect<IsAny<typeof value${i}>>`).join(', ')}];`,
  `export const values = [${ENTRY_POINTS.map((_, i) => `value${i}`).join(', ')}];`,
  '',
].join('\n');

/** Whether a UDP socket can bind `127.0.0.1:port`, i.e. nothing serves there any more. */
function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * The package as a newcomer meets it: `npm pack` of the working tree (its `prepack` builds
 * `dist/`), the tarball installed with a plain `npm i` into an empty project (better-sqlite3, an
 * optional dependency, is built there), then the `sipreg` command through `npx` and every entry
 * point through `import`, `require` and the TypeScript compiler.
 */
describe('the packed package installed into an empty project', () => {
  let work = '';
  let project = '';
  let tarball = '';
  const servers: ManagedProcess[] = [];

  const npx = (args: readonly string[]): Promise<{ stdout: string; stderr: string }> =>
    run('npx', [...args], { cwd: project, timeout: 60_000, maxBuffer: MAX_BUFFER });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sipreg-package-'));
    project = join(work, 'newcomer-project');
    mkdirSync(project);
    await run('npm', ['pack', '--pack-destination', work], { cwd: REPOSITORY_ROOT, timeout: 300_000, maxBuffer: MAX_BUFFER });
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) ?? 'no tarball packed');
    await run('npm', ['init', '-y'], { cwd: project, timeout: 60_000 });
    await run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: project, timeout: 600_000, maxBuffer: MAX_BUFFER });
  }, 960_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the build, the licence and the docs, and no source maps or stray output', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: MAX_BUFFER });
    const files = stdout.split('\n').filter((f) => f !== '').map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(expect.arrayContaining(['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli/main.js']));
    expect(files).toEqual(expect.arrayContaining(['docs/registrar.md', 'docs/cli.md'])); // the README links to them
    expect(files.filter((f) => !f.startsWith('dist/') && !/^docs\/[a-z-]+\.md$/.test(f) && !['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map') || f.includes('docs-check') || f.startsWith('dist/docs'))).toEqual([]);
  });

  it('every file its package.json points at is installed', () => {
    const installed = join(project, 'node_modules', 'sipreg');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      main: string; module: string; types: string; bin: Record<string, string>; exports: unknown; typesVersions: Record<string, Record<string, string[]>>;
    };
    const targets = (node: unknown): string[] => (typeof node === 'string' ? [node] : Object.values(node as object).flatMap(targets));
    const all = [pkg.main, pkg.module, pkg.types, ...Object.values(pkg.bin), ...targets(pkg.exports), ...targets(pkg.typesVersions)];
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((f) => !existsSync(join(installed, f)))).toEqual([]);
    // better-sqlite3 came with `npm i sipreg` (an optional dependency), ioredis did not (an optional peer).
    expect(existsSync(join(project, 'node_modules', 'better-sqlite3', 'package.json'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'ioredis'))).toBe(false);
  });

  it('npx sipreg --version prints the version', async () => {
    expect((await npx(['sipreg', '--version'])).stdout).toBe(`sipreg ${manifest.version}\n`);
  });

  it('npx sipreg registrar --help lists the flags', async () => {
    const { stdout } = await npx(['sipreg', 'registrar', '--help']);
    for (const flag of ['--listen', '--store', '--min-expires', '--max-contacts', '--log-level']) expect(stdout).toContain(flag);
  });

  it('npx sipreg registrar keeps a REGISTER in its default SQLite store in the project, across a restart', async () => {
    const port = await freePort();
    const listen = `udp:127.0.0.1:${port}`;
    const start = async (): Promise<ManagedProcess> => {
      // A process group: npx runs sipreg under `sh -c`, which does not pass SIGTERM on.
      const server = spawnManaged('npx', ['sipreg', 'registrar', '--listen', listen], { cwd: project, processGroup: true, killAfterMs: 120_000 });
      servers.push(server);
      await server.waitForLine(`sipreg registrar listening on ${listen}`, 60_000);
      return server;
    };
    const context = (): string => servers.map((s) => s.output()).join('\n---\n');
    const contactsOf = (r: SipResponse): string[] => (r.contacts === '*' ? [] : r.contacts.map((c) => c.uri));
    const peer = await UdpSipPeer.open({ context });
    try {
      const aor = 'sip:alice@example.com';
      const via = { host: '127.0.0.1', port: peer.port };
      let server = await start();
      const registered = await peer.request(buildRegister({ aor, contacts: [{ uri: peer.uri, expires: 600 }], via, callId: 'install-test', cseq: 1 }), port);
      expect(registered.status).toBe(200);
      expect(contactsOf(registered)).toEqual([peer.uri]);
      expect(existsSync(join(project, 'sipreg-location.db'))).toBe(true);

      await server.stop();
      await eventually(async () => ((await udpPortFree(port)) ? true : undefined), `udp port ${port} released`, 10_000, context);
      server = await start();
      // A REGISTER without Contact asks for the bindings (RFC 3261 §10.2.3): read back from the file.
      const queried = await peer.request(buildRegister({ aor, contacts: [], via, callId: 'install-test', cseq: 2 }), port);
      expect(queried.status).toBe(200);
      expect(contactsOf(queried)).toEqual([peer.uri]);
      await server.stop();
      await eventually(async () => ((await udpPortFree(port)) ? true : undefined), `udp port ${port} released`, 10_000, context);
    } finally {
      await peer.close();
    }
  }, 180_000);

  describe('every entry point, once ioredis (the optional peer of sipreg/stores/redis) is installed too', () => {
    beforeAll(async () => {
      await run('npm', ['install', '--no-audit', '--no-fund', `ioredis@${manifest.peerDependencies.ioredis}`], { cwd: project, timeout: 300_000, maxBuffer: MAX_BUFFER });
    }, 330_000);

    it.each(ENTRY_POINTS)('$specifier loads with import and require', async ({ specifier, value }) => {
      const esm = await run(process.execPath, ['--input-type=module', '-e', `import { ${value} } from '${specifier}'; console.log(typeof ${value});`], { cwd: project });
      const cjs = await run(process.execPath, ['-e', `console.log(typeof require('${specifier}').${value});`], { cwd: project });
      expect([esm.stdout, cjs.stdout]).toEqual(['function\n', 'function\n']);
    });

    it.each(TS_RESOLUTIONS)('TypeScript finds every entry point, value and type, under moduleResolution $name', async ({ name, module, moduleResolution, extension }) => {
      const dir = join(project, `ts-${name.replace(/\W+/g, '-')}`);
      mkdirSync(dir);
      writeFileSync(join(dir, `consumer.${extension}`), TYPESCRIPT_CONSUMER);
      const compilerOptions = {
        strict: true, noEmit: true, target: 'es2022', module, moduleResolution, skipLibCheck: false,
        // @types/node from this repository, as a project using sipreg would have its own.
        typeRoots: [join(REPOSITORY_ROOT, 'node_modules', '@types')], types: ['node'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [`consumer.${extension}`] }, null, 2));
      const tsc = join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      // tsc prints its diagnostics on stdout: show them when it fails.
      const diagnostics = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000, maxBuffer: MAX_BUFFER }).then(
        () => '',
        (e: { stdout?: string; message: string }) => e.stdout || e.message,
      );
      expect(diagnostics).toBe('');
    }, 150_000);
  });
});
