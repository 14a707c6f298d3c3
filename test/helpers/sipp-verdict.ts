import type { SippRun } from './run-sipp';

/**
 * SIPp's verdict on a run, to compare with `toEqual` in one assertion: its exit code, its
 * successful and failed call counts, and (`unexpected`) its error log and the tail of its output,
 * only when some call failed, so that a failure shows why.
 */
export function sippVerdict(run: SippRun): Record<string, unknown> {
  return {
    exitCode: run.exit.code,
    successfulCalls: run.stats.successfulCalls,
    failedCalls: run.stats.failedCalls,
    unexpected: run.stats.failedCalls === 0 ? '' : `${run.errors.slice(0, 4000)}\n${run.output.slice(-2000)}`,
  };
}
