import type { Endpoint, Transport } from '../ports/transport';
import { digestAuthorization, selectDigestChallenge } from '../sip/digest';
import { bracketHost } from '../sip/socket-address';
import { encodeMessage } from '../sip/wire';
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

function deregisterText(b: UpstreamRegistration, cseq: number, ctx: DeregisterContext, authorization?: readonly [string, string]): Uint8Array {
  const via = `SIP/2.0/${ctx.upstream.protocol.toUpperCase()} ${bracketHost(ctx.advertised.host)}:${ctx.advertised.port};branch=${ctx.branch()};rport`;
  let head = `REGISTER ${ctx.upstreamUri} SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: ${b.from}\r\nTo: ${b.to}\r\n`
    + `Call-ID: ${b.callId}\r\nCSeq: ${cseq} REGISTER\r\nContact: <${b.contact}>;expires=0\r\nExpires: 0\r\n`;
  if (authorization !== undefined) head += `${authorization[0]}: ${authorization[1]}\r\n`;
  return encodeMessage(head + 'Content-Length: 0\r\n', undefined);
}

/**
 * Remove a binding from the main registrar (OpenSIPS mid_registrar: the phone vanished, its
 * local binding expired or was removed): a REGISTER with the Call-ID, From and To last forwarded
 * for it, the next CSeq, and the Contact with `expires=0` (RFC 3261 §10.2.2). A 401/407 is
 * answered once with the host's credentials for the AOR and realm (RFC 3261 §22.2).
 */
export async function sendDeregister(aor: string, binding: UpstreamRegistration, ctx: DeregisterContext): Promise<DeregisterOutcome> {
  let cseq = binding.cseq + 1;
  let outcome = await ctx.transport.request(deregisterText(binding, cseq, ctx), ctx.upstream);
  if (outcome.kind !== 'response') return { failed: outcome.kind };
  const status = outcome.response.status;
  if (status !== 401 && status !== 407) return { status };
  const header = status === 401 ? 'www-authenticate' : 'proxy-authenticate';
  const challenge = selectDigestChallenge(outcome.response.headerAll(header));
  const credentials = challenge === undefined ? undefined : ctx.credentials?.(aor, challenge.realm);
  const authorization = challenge === undefined || credentials === undefined
    ? undefined
    : digestAuthorization(challenge, credentials, { method: 'REGISTER', uri: ctx.upstreamUri });
  if (authorization === undefined) return { failed: 'no-credentials' };
  cseq++;
  outcome = await ctx.transport.request(
    deregisterText(binding, cseq, ctx, [status === 401 ? 'Authorization' : 'Proxy-Authorization', authorization]),
    ctx.upstream,
  );
  return outcome.kind === 'response' ? { status: outcome.response.status } : { failed: outcome.kind };
}
