import type { Endpoint, Transport } from '../ports/transport';
import { sendRequest } from '../transactions/send-request';
import type { AdvertisedAddress, CredentialsProvider } from './mid-registrar-options';
import type { UpstreamRegistration } from '../ports/binding';

/** Where and how the mid-registrar sends its own REGISTERs. */
export interface DeregisterContext {
  readonly transport: Transport;
  readonly upstream: Endpoint;
  readonly upstreamUri: string;
  readonly advertised: AdvertisedAddress;
  readonly credentials: CredentialsProvider | undefined;
  /** A new Via branch for each REGISTER sent. */
  readonly branch: () => string;
}

/** How a de-REGISTER ended: the main registrar's final status, or why there was none. */
export type DeregisterOutcome = { readonly status: number } | { readonly failed: 'timeout' | 'transport-error' | 'no-credentials' };

/**
 * Remove a binding from the main registrar (OpenSIPS mid_registrar: the phone vanished, its
 * local binding expired or was removed): a REGISTER with the Call-ID, From and To last forwarded
 * for it, the next CSeq, and the Contact with `expires=0` (RFC 3261 §10.2.2), sent to the upstream
 * with the advertised address as Via sent-by. A 401/407 is answered once with the host's
 * credentials for the AOR and realm (RFC 3261 §22.2, {@link sendRequest}); one it cannot answer
 * is `no-credentials`.
 */
export async function sendDeregister(aor: string, binding: UpstreamRegistration, ctx: DeregisterContext): Promise<DeregisterOutcome> {
  const credentials = ctx.credentials;
  const result = await sendRequest({ transport: ctx.transport, branches: { next: ctx.branch } }, {
    method: 'REGISTER',
    requestUri: ctx.upstreamUri,
    from: binding.from,
    to: binding.to,
    callId: binding.callId,
    cseq: binding.cseq + 1,
    contact: `<${binding.contact}>;expires=0`,
    headers: [['Expires', '0']],
  }, 'mrd', {
    destination: ctx.upstream,
    sentBy: ctx.advertised,
    ...(credentials === undefined ? {} : { credentials: (realm: string) => credentials(aor, realm) }),
  });
  if (result.kind !== 'response') return { failed: result.kind };
  const status = result.response.status;
  return (status === 401 || status === 407) && result.answered === undefined ? { failed: 'no-credentials' } : { status };
}
