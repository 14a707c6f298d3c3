/**
 * Response times of a SIPp run, from its short message trace (`-trace_shortmsg`): one line per
 * message sent or received, with a microsecond timestamp, the direction and the Call-ID.
 * SIPp's own response-time trace (`-trace_rtt` with `rtd`) has whole milliseconds only, in steps
 * of SIPp's scheduler tick, too coarse for a registrar that answers in well under a millisecond.
 * Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { readFileSync } from 'node:fs';

/** The median and the 99th percentile of some response times, ms. */
export interface ResponseTimes {
  readonly medianMs: number;
  readonly p99Ms: number;
  /** How many calls were answered (the figures are over these). */
  readonly answered: number;
}

/**
 * The time from the first sending of each call's request to the first final response SIPp got
 * for it (RFC 3261 §17.1.2: a retransmission does not restart it), ms, in the order answered,
 * read from the short message trace at `path` (tab-separated: date, time, epoch seconds with
 * microseconds, `S` or `R`, Call-ID, CSeq, first line).
 */
export function readResponseTimes(path: string): number[] {
  const sentAt = new Map<string, number>();
  const times: number[] = [];
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const [, , epoch, direction, callId, , firstLine] = line.split('\t');
    if (firstLine === undefined) continue;
    const at = Number(epoch) * 1000;
    if (direction === 'S') {
      if (!sentAt.has(callId)) sentAt.set(callId, at);
    } else if (direction === 'R' && /^SIP\/2\.0 [2-6]/.test(firstLine)) {
      const sent = sentAt.get(callId);
      if (sent === undefined) continue;
      times.push(at - sent);
      sentAt.delete(callId);
    }
  }
  return times;
}

/** The `p`-th percentile (0 < p ≤ 100, nearest rank) of `sorted`, which is ascending and not empty. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The median and 99th percentile of `times` (ms); `undefined` when there are none. */
export function summarizeResponseTimes(times: readonly number[]): ResponseTimes | undefined {
  if (times.length === 0) return undefined;
  const sorted = Float64Array.from(times).sort();
  return { medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99), answered: sorted.length };
}
