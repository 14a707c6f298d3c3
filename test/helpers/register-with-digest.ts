import { digestAuthorization, selectDigestChallenge } from '../../src/sip/digest';
import type { SipResponse } from '../../src/sip/message';
import { buildRegister, IdSequence, type ContactSpec } from '../../src/testing/message-builders';
import { parseSip } from './parse-sip';
import type { UdpSipPeer } from './udp-sip-peer';

/** What {@link registerWithDigest} sends. */
export interface DigestRegisterSpec {
  /** The address-of-record, in From and To. */
  readonly aor: string;
  /** Digest username. */
  readonly username: string;
  /** Digest password. */
  readonly password: string;
  /**
   * Contacts to register; `[]` asks for the current bindings (RFC 3261 §10.2.3).
   * @defaultValue the peer's own URI
   */
  readonly contacts?: readonly ContactSpec[];
  /**
   * How long each of the two requests waits for its final response.
   * @defaultValue 5000
   */
  readonly timeoutMs?: number;
}

/** The exchange: the challenge answered (when there was one) and the final response. */
export interface DigestRegisterExchange {
  /** The 401 whose challenge the second REGISTER answered; undefined when the first final response was not a 401. */
  readonly challenge?: SipResponse;
  /** The final response to the last REGISTER sent. */
  readonly final: SipResponse;
}

const ids = new IdSequence('digest-register');

/**
 * REGISTER `spec.aor` from `peer` at the registrar on `udp:127.0.0.1:registrarPort` as a UA does
 * with digest credentials (RFC 3261 §22.2, §22.4): without credentials first, then — if answered
 * 401 — once more in the same Call-ID with the next CSeq (§10.2.4) and an `Authorization`
 * answering the strongest challenge, computed by sipreg's own client digest (RFC 7616 §3.4).
 *
 * @throws Error when a request gets no final response in time, or a 401 carries no digest
 * challenge this client answers.
 */
export async function registerWithDigest(peer: UdpSipPeer, registrarPort: number, spec: DigestRegisterSpec): Promise<DigestRegisterExchange> {
  const base = {
    aor: spec.aor,
    contacts: spec.contacts ?? [peer.uri],
    via: { host: peer.address, port: peer.port, rport: true },
    callId: `${ids.next()}@${peer.address}`,
    fromTag: ids.next(),
    ids,
  };
  const first = buildRegister({ ...base, cseq: 1 });
  const challenge = await peer.request(first, registrarPort, spec.timeoutMs);
  if (challenge.status !== 401) return { final: challenge };
  const offered = challenge.headerAll('WWW-Authenticate');
  const selected = selectDigestChallenge(offered);
  const sent = parseSip(first);
  const uri = sent.kind === 'request' ? sent.uri : '';
  const authorization = selected === undefined ? undefined : digestAuthorization(selected, spec, { method: 'REGISTER', uri });
  if (authorization === undefined) throw new Error(`no digest challenge to answer in the 401 to ${spec.aor}: ${offered.join(' | ')}`);
  const final = await peer.request(buildRegister({ ...base, cseq: 2, headers: { Authorization: authorization } }), registrarPort, spec.timeoutMs);
  return { challenge, final };
}
