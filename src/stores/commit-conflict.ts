import type { CommitOutcome } from '../ports/location-store';

/**
 * The {@link CommitOutcome} of a compare-and-set that lost the race (RFC 3261 §10.3: the
 * registrar reloads the AOR and plans again). Frozen and shared: it carries no data.
 */
export const COMMIT_CONFLICT: CommitOutcome = Object.freeze({ ok: false, conflict: true } as const);
