/**
 * The sipreg CLI (`src/cli/main.ts`, same arguments) in a process that answers its own memory
 * over the IPC channel it was spawned with: each message `'memory'` is answered with
 * `process.memoryUsage()` taken after a full garbage collection (run it with `--expose-gc`),
 * so a bench can read the server's V8 heap next to its RSS. Not a bench itself.
 */
import '../src/cli/main';

process.on('message', (message) => {
  if (message !== 'memory') return;
  (globalThis as { gc?: () => void }).gc?.();
  process.send?.(process.memoryUsage());
});
