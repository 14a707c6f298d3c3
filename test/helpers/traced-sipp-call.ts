import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runSipp, type RunSippOptions, type SippRun } from './run-sipp';
import { messageLabel, readSippMessageTrace, type TracedMessage } from './sipp-message-trace';

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
