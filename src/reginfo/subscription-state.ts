import { parseParams } from '../sip/headers/params';

/** A parsed `Subscription-State` header (RFC 6665 §8.2.3, §4.1.3). */
export interface SubscriptionState {
  /** `active`, `pending`, `terminated`, or an extension value, lower-cased. */
  readonly state: string;
  /** Seconds left of an active or pending subscription. */
  readonly expiresSec?: number;
  /** Why it terminated: `deactivated`, `probation`, `rejected`, `timeout`, `giveup`, `noresource`, `invariant` (RFC 6665 §4.1.3). */
  readonly reason?: string;
  /** When the subscriber may try again (s). */
  readonly retryAfterSec?: number;
}

const seconds = (v: string | null | undefined): number | undefined => (v != null && /^\d{1,10}$/.test(v) ? Number(v) : undefined);

/** Parse a `Subscription-State` value; undefined when it is malformed. */
export function parseSubscriptionState(value: string): SubscriptionState | undefined {
  const semi = value.indexOf(';');
  const state = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (!/^[a-z0-9.!%*_+`'~-]+$/.test(state)) return undefined;
  const params = semi < 0 ? {} : parseParams(value, semi, value.length);
  if (params === undefined) return undefined;
  const expiresSec = seconds(params.expires);
  const retryAfterSec = seconds(params['retry-after']);
  const reason = params.reason?.toLowerCase();
  return {
    state,
    ...(expiresSec === undefined ? {} : { expiresSec }),
    ...(reason == null ? {} : { reason }),
    ...(retryAfterSec === undefined ? {} : { retryAfterSec }),
  };
}
