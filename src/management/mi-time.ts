/**
 * A moment in a management answer: ISO 8601 in UTC (`2024-05-01T12:00:00.000Z`), or `null` for
 * 0, "never" (OpenSIPS prints `ctime()` text, which no script can compare).
 */
export const miTime = (epochMs: number): string | null => (epochMs === 0 ? null : new Date(epochMs).toISOString());
