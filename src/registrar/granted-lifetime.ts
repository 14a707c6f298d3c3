import type { SipResponse } from '../sip/message';
import { parseDeltaSeconds } from '../sip/headers/delta-seconds';

/**
 * The lifetime a registrar's 2xx grants the first Contact that `which` picks (RFC 3261 §10.2.4:
 * its `expires` parameter, else the Expires header), or undefined when the 2xx lists none.
 */
export function grantedLifetime(response: SipResponse, which: (uri: string) => boolean): number | undefined {
  if (response.contacts === '*') return undefined;
  for (const c of response.contacts) {
    if (!which(c.uri)) continue;
    const e = c.params.expires;
    return typeof e === 'string' ? parseDeltaSeconds(e) : response.expires;
  }
  return undefined;
}
