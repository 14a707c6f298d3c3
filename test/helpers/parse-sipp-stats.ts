/** SIPp's cumulative counters from the last row of a `-trace_stat -stf` CSV file. */
export interface SippStats {
  /** `TotalCallCreated`: calls SIPp started. */
  readonly totalCalls: number;
  /** `SuccessfulCall(C)`: calls that reached the end of the scenario. */
  readonly successfulCalls: number;
  /** `FailedCall(C)`: calls that failed for any reason (unexpected reply, timeout, check). */
  readonly failedCalls: number;
  /** `CallRate(C)`: calls per second SIPp actually started over the whole run. */
  readonly callRate: number;
  /** `Retransmissions(C)`: requests SIPp had to resend (RFC 3261 §17.1.2.2 timer E). */
  readonly retransmissions: number;
  /** Wall time between the run's start and the row's timestamp, in seconds. */
  readonly elapsedSec: number;
  /** Every column of the last row by its header name, as SIPp wrote it. */
  readonly columns: Readonly<Record<string, string>>;
}

/** The epoch seconds SIPp writes as the third tab-separated part of a time column. */
function epochSeconds(value: string | undefined): number {
  const parts = (value ?? '').split('\t');
  return Number(parts[parts.length - 1]);
}

/**
 * Read SIPp's statistics CSV (`-trace_stat -stf FILE`, `;`-separated, one header row then
 * one row per dump) and return the cumulative counters of the final row.
 *
 * @param csv - the file's text.
 * @throws Error when the file has no data row (SIPp died before its first dump).
 */
export function parseSippStats(csv: string): SippStats {
  const rows = csv.split('\n').filter((row) => row.trim() !== '');
  if (rows.length < 2) throw new Error(`SIPp statistics file has no data row:\n${csv}`);
  const names = rows[0].split(';');
  const values = rows[rows.length - 1].split(';');
  const columns: Record<string, string> = {};
  names.forEach((name, index) => {
    if (name !== '') columns[name] = values[index] ?? '';
  });
  const count = (name: string): number => {
    const value = Number(columns[name]);
    if (!Number.isFinite(value)) throw new Error(`SIPp statistics column ${name} is "${columns[name]}"`);
    return value;
  };
  return Object.freeze({
    totalCalls: count('TotalCallCreated'),
    successfulCalls: count('SuccessfulCall(C)'),
    failedCalls: count('FailedCall(C)'),
    callRate: count('CallRate(C)'),
    retransmissions: count('Retransmissions(C)'),
    elapsedSec: epochSeconds(columns.CurrentTime) - epochSeconds(columns.StartTime),
    columns: Object.freeze(columns),
  });
}
