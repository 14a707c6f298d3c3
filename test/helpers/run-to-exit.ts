import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How a command ended: its exit code (0 on success) and what it printed. */
export interface Exited {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `file args` until it exits (20 s at most) and return how it ended, failing or not. With
 * `input`, that text is its stdin, then end of file.
 */
export async function runToExit(file: string, args: readonly string[], cwd?: string, input?: string): Promise<Exited> {
  const running = run(file, args, { cwd, timeout: 20_000 });
  if (input !== undefined) {
    // A command that exits without reading its stdin makes the write fail with EPIPE: not a test failure.
    running.child.stdin?.on('error', () => undefined);
    running.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
