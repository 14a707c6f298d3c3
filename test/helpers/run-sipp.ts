import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseSippStats, type SippStats } from './parse-sipp-stats';
import { spawnManaged, type ProcessExit } from './spawn-managed';

/** Options for {@link runSipp}: one bounded SIPp UAC run against a loopback server. */
export interface RunSippOptions {
  /** Path of the `sipp` executable. */
  readonly sippPath: string;
  /** Scenario XML file (`-sf`). */
  readonly scenario: string;
  /** Server port on 127.0.0.1. */
  readonly remotePort: number;
  /** Calls to run before SIPp exits (`-m`). */
  readonly calls: number;
  /** Calls started per second (`-r`). */
  readonly rate: number;
  /**
   * SIPp's own UDP port (`-p`).
   * @defaultValue a port SIPp picks
   */
  readonly localPort?: number;
  /**
   * Global timeout in seconds (`-timeout`, with `-timeout_error` so reaching it fails the
   * run); the process is killed 15 s after it if still alive.
   * @defaultValue 60
   */
  readonly timeoutSec?: number;
  /**
   * Keywords for the scenario (`-key NAME VALUE`, used as `[NAME]`).
   * @defaultValue none
   */
  readonly keys?: Readonly<Record<string, string>>;
  /**
   * Further SIPp arguments.
   * @defaultValue none
   */
  readonly extraArgs?: readonly string[];
}

/** The outcome of one SIPp run. */
export interface SippRun {
  /** SIPp's exit (0: every call succeeded, 1: some failed, others: fatal). */
  readonly exit: ProcessExit;
  /** SIPp's own counters from its statistics file. */
  readonly stats: SippStats;
  /** Unexpected messages SIPp logged (`-trace_err`), empty when none. */
  readonly errors: string;
  /** The tail of SIPp's screen output, for diagnostics. */
  readonly output: string;
}

const DEFAULT_TIMEOUT_SEC = 60;
const KILL_MARGIN_MS = 15_000;

function readIfPresent(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Run SIPp as a UAC against `127.0.0.1:remotePort`, always bounded (`-m`, `-timeout`,
 * `-nostdin`, a kill timer), in a scratch directory that is removed afterwards, and return
 * SIPp's own statistics. Scenarios follow RFC 3261 §10.2 (REGISTER) from the client side.
 *
 * @throws Error when SIPp leaves no statistics (it could not start or bind its port).
 */
export async function runSipp(options: RunSippOptions): Promise<SippRun> {
  const timeoutSec = options.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
  const workDir = mkdtempSync(join(tmpdir(), 'sipreg-sipp-'));
  const statsFile = join(workDir, 'stats.csv');
  const errorFile = join(workDir, 'errors.log');
  const keyArgs = Object.entries(options.keys ?? {}).flatMap(([name, value]) => ['-key', name, value]);
  const args = [
    `127.0.0.1:${options.remotePort}`,
    '-sf', options.scenario,
    '-i', '127.0.0.1',
    ...(options.localPort === undefined ? [] : ['-p', String(options.localPort)]),
    '-m', String(options.calls),
    '-r', String(options.rate),
    '-timeout', `${timeoutSec}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_stat', '-stf', statsFile, '-fd', '1',
    '-trace_err', '-error_file', errorFile,
    ...keyArgs,
    ...(options.extraArgs ?? []),
  ];
  try {
    const sipp = spawnManaged(options.sippPath, args, {
      cwd: workDir,
      outputLimit: 16_384,
      killAfterMs: timeoutSec * 1000 + KILL_MARGIN_MS,
    });
    const exit = await sipp.exited;
    const csv = readIfPresent(statsFile);
    if (csv === '') {
      throw new Error(`SIPp wrote no statistics (exit ${exit.code}, signal ${exit.signal}):\n${sipp.output()}`);
    }
    return { exit, stats: parseSippStats(csv), errors: readIfPresent(errorFile), output: sipp.output() };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
