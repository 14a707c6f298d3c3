import type { SipResponse } from '../sip/message';
import { digestAuthorization, selectDigestChallenge, type DigestChallenge, type DigestCredentials, type DigestRequest } from '../sip/digest';

/** A digest challenge answered, with the nonce count of its last answer (RFC 7616 §3.4), kept to answer it again pre-emptively. */
export interface KeptChallenge {
  readonly challenge: DigestChallenge;
  /** It came in a 407 `Proxy-Authenticate`, and is answered in `Proxy-Authorization`. */
  readonly proxy: boolean;
  readonly nc: number;
}

/**
 * The challenge of a 401 (`WWW-Authenticate`) or 407 (`Proxy-Authenticate`) this client can
 * answer, the strongest of them ({@link selectDigestChallenge}); undefined for another status or
 * none answerable.
 */
export function challengeOf(response: SipResponse): Omit<KeptChallenge, 'nc'> | undefined {
  if (response.status !== 401 && response.status !== 407) return undefined;
  const proxy = response.status === 407;
  const challenge = selectDigestChallenge(response.headerAll(proxy ? 'proxy-authenticate' : 'www-authenticate'));
  return challenge === undefined ? undefined : { challenge, proxy };
}

/**
 * The header answering `kept` for `request` with its nonce count: `Authorization` for a 401's
 * challenge, `Proxy-Authorization` for a 407's (RFC 3261 §22.2, §22.3). Undefined when the
 * challenge cannot be answered ({@link digestAuthorization}).
 */
export function digestHeader(kept: KeptChallenge, credentials: DigestCredentials, request: DigestRequest): readonly [string, string] | undefined {
  const value = digestAuthorization(kept.challenge, credentials, request, undefined, kept.nc);
  return value === undefined ? undefined : [kept.proxy ? 'Proxy-Authorization' : 'Authorization', value];
}
