import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** How a managed child process ended. */
export interface ProcessExit {
  /** Exit code, `null` when the process was ended by a signal. */
  readonly code: number | null;
  /** The signal that ended the process, `null` on a normal exit. */
  readonly signal: NodeJS.Signals | null;
}

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  /**
   * Working directory of the child.
   * @defaultValue the current directory
   */
  readonly cwd?: string;
  /**
   * Extra environment variables, merged over `process.env`.
   * @defaultValue none
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * How many characters of combined stdout/stderr to keep for diagnostics.
   * @defaultValue 65536
   */
  readonly outputLimit?: number;
  /**
   * Hard limit on the child's lifetime: it is sent SIGKILL when this elapses.
   * `0` disables the limit.
   * @defaultValue 0
   */
  readonly killAfterMs?: number;
  /**
   * Start the child as the leader of a process group of its own and send every signal to the
   * whole group, so that the processes it starts end with it: `npx` runs its command under
   * `sh -c`, which does not pass a SIGTERM on.
   * @defaultValue false
   */
  readonly processGroup?: boolean;
}

/** A child process whose output is kept (bounded) and whose lifetime is bounded. */
export interface ManagedProcess {
  /** The underlying child process. */
  readonly child: ChildProcess;
  /** Its process id. */
  readonly pid: number;
  /** Settles once the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** The most recent combined stdout/stderr text (at most `outputLimit` characters). */
  output(): string;
  /**
   * Resolve when stdout carries a line exactly equal to `line`; reject when the process
   * exits first or `timeoutMs` elapses (the rejection includes the output so far).
   */
  waitForLine(line: string, timeoutMs: number): Promise<void>;
  /**
   * SIGTERM, then SIGKILL after `graceMs` if the process is still alive; resolves with its
   * exit. Safe to call more than once and after the process has exited.
   */
  stop(graceMs?: number): Promise<ProcessExit>;
}

const DEFAULT_OUTPUT_LIMIT = 65_536;
const DEFAULT_STOP_GRACE_MS = 3_000;

/**
 * Spawn a helper process (a SIP server or SIPp) for a test or bench with piped, bounded
 * output, a ready-line wait and a stop that always ends the process.
 *
 * @param command - executable path.
 * @param args - its arguments.
 * @param options - see {@link SpawnManagedOptions}.
 */
export function spawnManaged(
  command: string,
  args: readonly string[],
  options: SpawnManagedOptions = {},
): ManagedProcess {
  const outputLimit = options.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup === true,
  };
  const child = spawn(command, [...args], spawnOptions);
  const signal = (name: NodeJS.Signals): void => {
    if (options.processGroup !== true || child.pid === undefined) {
      child.kill(name);
      return;
    }
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group is gone already.
    }
  };
  let output = '';
  let stdout = '';
  const stdoutWatchers = new Set<() => void>();

  const bounded = (text: string): string =>
    text.length > outputLimit ? text.slice(text.length - outputLimit) : text;
  const keep = (text: string): void => {
    output = bounded(output + text);
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    keep(chunk);
    stdout = bounded(stdout + chunk);
    for (const watcher of stdoutWatchers) watcher();
  });
  child.stderr?.on('data', keep);

  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (error) => {
      keep(`\n[spawn error] ${error.message}\n`);
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit: ProcessExit | undefined;
  void exited.then((value) => {
    exit = value;
  });

  const killTimer =
    (options.killAfterMs ?? 0) > 0
      ? setTimeout(() => {
          keep(`\n[killed after ${options.killAfterMs} ms]\n`);
          signal('SIGKILL');
        }, options.killAfterMs)
      : undefined;
  void exited.then(() => clearTimeout(killTimer));

  const hasLine = (line: string): boolean => `\n${stdout}`.replaceAll('\r\n', '\n').includes(`\n${line}\n`);

  const waitForLine = (line: string, timeoutMs: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        stdoutWatchers.delete(watcher);
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const fail = (reason: string): void =>
        finish(new Error(`${command}: ${reason} before printing "${line}"; output:\n${output}`));
      const watcher = (): void => {
        if (hasLine(line)) finish();
      };
      const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
      stdoutWatchers.add(watcher);
      watcher();
      void exited.then((value) => fail(`exited (code ${value.code}, signal ${value.signal})`));
    });

  const stop = async (graceMs = DEFAULT_STOP_GRACE_MS): Promise<ProcessExit> => {
    if (exit !== undefined || child.exitCode !== null || child.signalCode !== null) {
      if (options.processGroup === true) signal('SIGKILL'); // whatever the exited leader left behind
      return exited;
    }
    signal('SIGTERM');
    const forceTimer = setTimeout(() => signal('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(forceTimer);
    return result;
  };

  return { child, pid: child.pid ?? -1, exited, output: () => output, waitForLine, stop };
}
