import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runSipp, type RunSippOptions, type SippRun } from './run-sipp';
import { messageLabel, readSippMessageTrace, type TracedMessage } from './sipp-message-trace';
import { sippVerdict } from './sipp-verdict';

/** A SIPp UAC run and every message it sent and received. */
export interface TracedSippRun {
  readonly run: SippRun;
  readonly messages: readonly TracedMessage[];
  /** The labels of {@link messages} (see {@link messageLabel}), e.g. `out INVITE`, `in 200 INVITE`. */
  readonly labels: readonly string[];
}

/** {@link runSipp} with SIPp's message trace (`-trace_msg`), read once SIPp has exited. */
export async function runTracedSipp(options: RunSippOptions): Promise<TracedSippRun> {
  const workDir = mkdtempSync(join(tmpdir(), 'sipreg-sipp-trace-'));
  const messageFile = join(workDir, 'messages.log');
  try {
    const run = await runSipp({ ...options, extraArgs: ['-trace_msg', '-message_file', messageFile, ...(options.extraArgs ?? [])] });
    const messages = readSippMessageTrace(messageFile);
    return { run, messages, labels: messages.map(messageLabel) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The {@link tracedVerdict} of a run of one call that succeeded, but for its `labels`. */
export const ONE_SUCCESSFUL_CALL = { exitCode: 0, successfulCalls: 1, failedCalls: 0, unexpected: '' } as const;

/**
 * {@link sippVerdict} and every message SIPp sent and received (`labels`), to compare with
 * `toEqual` in one assertion: a failing call then shows how far it came.
 */
export function tracedVerdict(traced: TracedSippRun): Record<string, unknown> {
  return { ...sippVerdict(traced.run), labels: traced.labels };
}
