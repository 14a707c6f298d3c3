import { defineConfig } from 'tsup';

const entry = {
  index: 'src/index.ts',
  'stores/memory': 'src/stores/memory.ts',
  'stores/sqlite': 'src/stores/sqlite.ts',
  'stores/redis': 'src/stores/redis.ts',
  'transports/node': 'src/transports/node.ts',
  'testing/index': 'src/testing/index.ts',
};

export default defineConfig([
  // ESM: dependencies stay external.
  { entry, format: ['esm'], dts: true, sourcemap: true, clean: true, target: 'node20', splitting: true },
  // CJS: the SIP.js grammar is ESM-only, so it is bundled into the CommonJS build. Shared chunks
  // keep one copy of each class across entry points (`instanceof ConfigError` holds everywhere).
  { entry, format: ['cjs'], dts: true, sourcemap: true, target: 'node20', splitting: true, noExternal: ['sip-parser'] },
  // The CLI (ESM, with a shebang). Split, so that each store's module and its optional driver
  // (better-sqlite3, ioredis) load from their own chunk under dist/cli/ only when chosen.
  { entry: { 'cli/main': 'src/cli/main.ts' }, format: ['esm'], sourcemap: true, target: 'node20', splitting: true, esbuildOptions: (o) => { o.chunkNames = 'cli/[name]-[hash]'; }, banner: { js: '#!/usr/bin/env node' } },
]);
