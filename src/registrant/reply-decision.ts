import type { TransactionOutcome } from '../ports/transport';
import type { SipResponse } from '../sip/message';
import { parseDeltaSeconds } from '../sip/headers/delta-seconds';
import { uriEquals } from '../sip/uri';
import { grantedLifetime } from '../registrar/granted-lifetime';
import type { FailedRegistrantState } from './registrant-state';

/** The binding a registrant keeps: its Contact URI and, for a unique binding, its RFC 5626 identity. */
export interface OwnBinding {
  readonly uri: string;
  /** `+sip.instance` as written in the binding params (quotes included). */
  readonly instanceId?: string;
  readonly regId?: string;
}

/** What was outstanding when the reply came. */
export interface OutstandingRequest {
  readonly kind: 'register' | 'unregister';
  /** The request answered a challenge of the registrar (not a pre-emptive one). */
  readonly answeredChallenge: boolean;
  /** `stale=true` challenges already answered for this attempt. */
  readonly staleAnswers: number;
  /** The registrant has a username and a password. */
  readonly hasCredentials: boolean;
  /** Expiry asked for (s). */
  readonly expiresSec: number;
  readonly binding: OwnBinding;
}

/** What the scheduler does with a reply (OpenSIPS uac_registrant `reg_tm_cback`). */
export type ReplyDecision =
  /** 2xx to a REGISTER: registered for `grantedSec`. */
  | { readonly kind: 'registered'; readonly grantedSec: number }
  /** 2xx to a REGISTER listing more than one of our bindings: remove them all, then register. */
  | { readonly kind: 'remove-duplicates' }
  /** 2xx to an unREGISTER. */
  | { readonly kind: 'unregistered' }
  /** 401/407 to answer with credentials: a first challenge, or a stale nonce to answered ones. */
  | { readonly kind: 'authenticate'; readonly response: SipResponse }
  /** 423 with a usable Min-Expires: send again asking for `expiresSec`. */
  | { readonly kind: 'retry-expires'; readonly expiresSec: number }
  | { readonly kind: 'failed'; readonly state: FailedRegistrantState; readonly reason: string; readonly status?: number; readonly retryAfterSec?: number };

/** How many `stale=true` challenges one attempt answers before giving up (a registrar that only sends stale nonces). */
const MAX_STALE_ANSWERS = 3;

const quoted = (v: string | null | undefined): string | undefined => (v == null ? undefined : v.replace(/^"|"$/g, ''));

/** Contacts of the 2xx that are ours: the same URI, or the same `+sip.instance` and `reg-id` (RFC 5626 §4.2). */
function ownBindingCount(contacts: readonly { uri: string; params: Readonly<Record<string, string | null>> }[], binding: OwnBinding): number {
  let n = 0;
  for (const c of contacts) {
    const sameFlow = binding.instanceId !== undefined && quoted(c.params['+sip.instance']) === quoted(binding.instanceId) && c.params['reg-id'] === binding.regId;
    if (sameFlow || uriEquals(c.uri, binding.uri)) n++;
  }
  return n;
}

function retryAfter(response: SipResponse): number | undefined {
  const value = response.header('retry-after');
  if (value === undefined) return undefined;
  return parseDeltaSeconds(value.split(/[\s;(]/, 1)[0]);
}

/**
 * Decide what a final outcome means for a registrant, as OpenSIPS uac_registrant does, plus
 * stale nonces, `Retry-After` and a 423 loop guard:
 * - 2xx: registered for the granted expiry; with a unique binding (`reg-id` + `+sip.instance`)
 *   and more than one of ours listed, remove them all first. A 2xx to an unREGISTER: done.
 * - 401/407: answer it once; a second challenge to an answered request is WRONG_CREDENTIALS
 *   unless it says `stale=true` (RFC 7616 §3.3); no credentials: WRONG_CREDENTIALS.
 * - 423: again with the Min-Expires (RFC 3261 §10.3 step 7) when it is larger, else REGISTRAR_ERROR.
 * - 408 and no reply (Timer F): REGISTER_TIMEOUT. 3xx (redirection is not followed) and a
 *   transport failure: INTERNAL_ERROR. Other 4xx–6xx: REGISTRAR_ERROR, with its Retry-After.
 */
export function replyDecision(sent: OutstandingRequest, outcome: TransactionOutcome): ReplyDecision {
  if (outcome.kind === 'timeout') return { kind: 'failed', state: 'REGISTER_TIMEOUT', reason: 'no final response (Timer F)' };
  if (outcome.kind === 'transport-error') return { kind: 'failed', state: 'INTERNAL_ERROR', reason: `transport error: ${outcome.error.message}` };
  const response = outcome.response;
  const status = response.status;
  if (status >= 200 && status < 300) {
    if (sent.kind === 'unregister') return { kind: 'unregistered' };
    const contacts = response.contacts === '*' ? [] : response.contacts;
    if (sent.binding.instanceId !== undefined && sent.binding.regId !== undefined && ownBindingCount(contacts, sent.binding) > 1) {
      return { kind: 'remove-duplicates' };
    }
    // RFC 3261 §10.2.4: our Contact's expires (URIs compared per §19.1.4), else Expires, else what was asked
    const granted = grantedLifetime(response, (uri) => uriEquals(uri, sent.binding.uri)) ?? response.expires ?? sent.expiresSec;
    if (granted === 0) return { kind: 'failed', state: 'REGISTRAR_ERROR', status, reason: `${status} with expires=0 for our binding: the registrar kept none` };
    return { kind: 'registered', grantedSec: granted };
  }
  if (status === 401 || status === 407) {
    if (!sent.hasCredentials) return { kind: 'failed', state: 'WRONG_CREDENTIALS', status, reason: 'challenged, and the registrant has no username and password' };
    const stale = response.headerAll(status === 401 ? 'www-authenticate' : 'proxy-authenticate').some((v) => /stale\s*=\s*"?true/i.test(v));
    if (sent.answeredChallenge && !(stale && sent.staleAnswers < MAX_STALE_ANSWERS)) {
      return { kind: 'failed', state: 'WRONG_CREDENTIALS', status, reason: 'the registrar rejected the credentials' };
    }
    return { kind: 'authenticate', response };
  }
  if (status === 423) {
    const min = response.header('min-expires');
    const minSec = min === undefined ? undefined : parseDeltaSeconds(min);
    if (minSec !== undefined && minSec > sent.expiresSec) return { kind: 'retry-expires', expiresSec: minSec };
    return { kind: 'failed', state: 'REGISTRAR_ERROR', status, reason: '423 without a larger Min-Expires' };
  }
  if (status === 408) return { kind: 'failed', state: 'REGISTER_TIMEOUT', status, reason: '408 Request Timeout' };
  if (status < 400) return { kind: 'failed', state: 'INTERNAL_ERROR', status, reason: `${status} ${response.reason}: redirection is not followed` };
  const after = retryAfter(response);
  return { kind: 'failed', state: 'REGISTRAR_ERROR', status, reason: `${status} ${response.reason}`, ...(after === undefined ? {} : { retryAfterSec: after }) };
}
