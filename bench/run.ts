/**
 * Runs every benchmark (each `*.bench.ts` file under `bench/`), one after another, each in its own child
 * process (`node --expose-gc --import tsx FILE`) with its output streamed through, so that
 * one bench's heap and timers never skew the next. `npm run bench` calls this;
 * `npm run bench -- parse wire` runs only the files whose path contains one of the words.
 * Benches print tables; none gates anything on a time, and none runs in CI.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));
const REPOSITORY_ROOT = join(BENCH_DIRECTORY, '..');

/** The exit of one bench process. */
interface BenchOutcome {
  readonly file: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
}

function findBenches(filters: readonly string[]): string[] {
  return readdirSync(BENCH_DIRECTORY, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.bench.ts') && !path.split(sep).includes('node_modules'))
    .map((path) => relative(REPOSITORY_ROOT, join(BENCH_DIRECTORY, path)))
    .filter((path) => filters.length === 0 || filters.some((filter) => path.includes(filter)))
    .sort();
}

function runBench(file: string): Promise<BenchOutcome> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
      cwd: REPOSITORY_ROOT,
      stdio: 'inherit',
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null): void =>
      resolve({ file, code, signal, seconds: (performance.now() - startedAt) / 1000 });
    child.once('error', (error) => {
      console.error(`${file}: ${error.message}`);
      finish(null, null);
    });
    child.once('exit', finish);
  });
}

const benches = findBenches(process.argv.slice(2));
if (benches.length === 0) {
  console.error('no bench/**/*.bench.ts file matched');
  process.exit(1);
}
const outcomes: BenchOutcome[] = [];
for (const file of benches) {
  console.log(`\n## ${file}\n`);
  outcomes.push(await runBench(file));
}
console.log('\n## Summary\n\n| bench | result | seconds |\n|---|---|---:|');
for (const outcome of outcomes) {
  const result = outcome.code === 0 ? 'ok' : `failed (exit ${outcome.code ?? outcome.signal ?? 'spawn error'})`;
  console.log(`| ${outcome.file} | ${result} | ${outcome.seconds.toFixed(1)} |`);
}
process.exitCode = outcomes.every((outcome) => outcome.code === 0) ? 0 : 1;
