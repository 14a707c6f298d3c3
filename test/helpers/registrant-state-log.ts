import type { RegistrantState } from '../../src/registrant/registrant-state';

/** One state change `sipreg registrant` logged on stderr (one JSON line each). */
export interface LoggedStateChange {
  readonly aor: string;
  readonly from: RegistrantState;
  readonly to: RegistrantState;
  readonly reason: string;
  /** The status of the reply that caused it, when a reply did. */
  readonly status?: number;
}

/**
 * The state changes (OpenSIPS uac_registrant states) in the output of `sipreg registrant`, in
 * order; other lines, and a JSON line split across two reads, are skipped.
 */
export function cliStateChanges(output: string): LoggedStateChange[] {
  const changes: LoggedStateChange[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line split across two reads: the next output() has it whole
    }
    if (typeof entry.from === 'string' && typeof entry.to === 'string' && typeof entry.aor === 'string') {
      changes.push(entry as unknown as LoggedStateChange);
    }
  }
  return changes;
}

/** Each change as `FROM -> TO`, for comparing a run of changes with a literal list. */
export function stateSteps(changes: readonly { from: RegistrantState; to: RegistrantState }[]): string[] {
  return changes.map((c) => `${c.from} -> ${c.to}`);
}

/** A first registration answering a digest challenge (RFC 3261 §22.2). */
export const FIRST_REGISTRATION_WITH_CHALLENGE: readonly string[] = ['NOT_REGISTERED -> REGISTERING', 'REGISTERING -> AUTHENTICATING', 'AUTHENTICATING -> REGISTERED'];
