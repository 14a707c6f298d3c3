import { defineConfig } from 'tsup';

const entry = {
  index: 'src/index.ts',
  'stores/memory': 'src/stores/memory.ts',
  'stores/sqlite': 'src/stores/sqlite.ts',
  'stores/redis': 'src/stores/redis.ts',
  'transports/node': 'src/transports/node.ts',
  'testing/index': 'src/testing/index.ts',
};

// tsup leaves `dependencies` and `peerDependencies` out of the bundle, not `optionalDependencies`:
// better-sqlite3 (a native addon) must stay a runtime import.
const external = ['better-sqlite3'];

// No source maps: the output is readable, unminified ES2022 with the sources' names and layout,
// so stack traces point at code one can read; maps with their sources would ship the whole
// source a second time (3.5 MB more, 2.5 times the package) and maps without them point at
// src/ files the package does not ship.
export default defineConfig([
  // ESM: dependencies stay external.
  { entry, format: ['esm'], dts: true, clean: true, target: 'node20', external, splitting: true },
  // CJS: the SIP.js grammar is ESM-only, so it is bundled into the CommonJS build. Shared chunks
  // keep one copy of each class across entry points (`instanceof ConfigError` holds everywhere).
  { entry, format: ['cjs'], dts: true, target: 'node20', external, splitting: true, noExternal: ['sip-parser'] },
  // The CLI (ESM, with a shebang). Split, so that each store's module and its optional driver
  // (better-sqlite3, ioredis) load from their own chunk under dist/cli/ only when chosen.
  { entry: { 'cli/main': 'src/cli/main.ts' }, format: ['esm'], target: 'node20', external, splitting: true, esbuildOptions: (o) => { o.chunkNames = 'cli/[name]-[hash]'; }, banner: { js: '#!/usr/bin/env node' } },
]);
