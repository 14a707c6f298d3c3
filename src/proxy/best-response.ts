import type { SipResponse } from '../sip/message';

/**
 * The final answer of one branch of a forking proxy: a response received, or one the proxy
 * stands in for (no response in time: 408, RFC 3261 §16.8; a transport error: 503, §16.9; a
 * closed flow: 430, RFC 5626 §5.3; nowhere to send: 480; too large for UDP: 513).
 */
export interface BranchFinal {
  readonly status: number;
  readonly reason: string;
  /** The response as received; absent when the proxy stands in for one. */
  readonly response?: SipResponse;
}

/** What {@link bestResponse} chose: the final response to send upstream. */
export interface ChosenResponse {
  readonly status: number;
  readonly reason: string;
  /** The branch's response to relay (its top Via removed); absent: the proxy builds one. */
  readonly response?: SipResponse;
  /** Challenges of the other 401/407 branches, added to a chosen 401/407 (§16.7 step 7). */
  readonly extraHeaders: readonly (readonly [string, string])[];
}

/** Classes in order of preference: 6xx, 2xx, 3xx, 4xx, 5xx (RFC 3261 §16.7 step 6). */
const CLASS_RANK: Readonly<Record<number, number>> = { 6: 0, 2: 1, 3: 2, 4: 3, 5: 4 };

/**
 * Within 4xx, responses the caller can act on first (a challenge, an extension or an address to
 * fix: 401, 407, 415, 420, 484, as OpenSIPS/Kamailio `tm` rank them) and a timeout last; within
 * 5xx, 503 last (it becomes 500 anyway).
 */
function rankOf(status: number): number {
  const cls = CLASS_RANK[Math.floor(status / 100)] ?? 5;
  let within = 1;
  if (status === 401 || status === 407 || status === 415 || status === 420 || status === 484) within = 0;
  else if (status === 408 || status === 503) within = 2;
  return cls * 10_000 + within * 1_000 + status;
}

const CHALLENGES: ReadonlySet<number> = new Set([401, 407]);

/**
 * The response a forking proxy sends upstream once every branch has a final answer (RFC 3261
 * §16.7 steps 6 and 7): a 6xx if any, else one of the lowest class (3xx before 4xx before 5xx),
 * preferring within 4xx what the caller can act on; 408 when no branch answered at all. A chosen
 * 503 is sent as 500 (the callee's server is not ours to report on). A chosen 401 or 407 carries
 * the `WWW-Authenticate` and `Proxy-Authenticate` values of every other 401/407 branch.
 */
export function bestResponse(finals: readonly BranchFinal[]): ChosenResponse {
  let best: BranchFinal | undefined;
  for (const f of finals) if (best === undefined || rankOf(f.status) < rankOf(best.status)) best = f;
  if (best === undefined) return { status: 408, reason: 'Request Timeout', extraHeaders: [] };
  if (best.status === 503) return { status: 500, reason: 'Server Internal Error', extraHeaders: [] };
  const extraHeaders: (readonly [string, string])[] = [];
  if (CHALLENGES.has(best.status)) {
    for (const f of finals) {
      if (f === best || f.response === undefined || !CHALLENGES.has(f.status)) continue;
      for (const name of ['WWW-Authenticate', 'Proxy-Authenticate']) {
        for (const value of f.response.headerAll(name)) extraHeaders.push([name, value]);
      }
    }
  }
  return { status: best.status, reason: best.reason, response: best.response, extraHeaders };
}
