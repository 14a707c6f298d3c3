import { parseSipMessage } from '../../src/sip/sip-parser';
import type { SipRequest, SipResponse } from '../../src/sip/message';

/** Parse a literal SIP request written with `\n` line ends (converted to CRLF). */
export function req(text: string): SipRequest {
  const r = parseSipMessage(text.replace(/^\s+/, '').replace(/\r?\n/g, '\r\n'));
  if (!r.ok || r.message.kind !== 'request') throw new Error(`test message does not parse: ${r.ok ? 'response' : r.error.reason}`);
  return r.message;
}

/** Parse bytes the code under test produced: a response (the default) or a request. */
export function res(bytes: Uint8Array | undefined): SipResponse;
export function res(bytes: Uint8Array | undefined, kind: 'request'): SipRequest;
export function res(bytes: Uint8Array | undefined, kind: 'request' | 'response' = 'response'): SipResponse | SipRequest {
  if (bytes === undefined) throw new Error('no message was built');
  const r = parseSipMessage(bytes);
  if (!r.ok || r.message.kind !== kind) throw new Error(`output does not parse as a ${kind}: ${r.ok ? r.message.kind : r.error.reason}`);
  return r.message;
}

/** Options of {@link register}. */
export interface RegisterText {
  user?: string;
  domain?: string;
  contacts?: string[];
  expires?: number | string;
  callId?: string;
  cseq?: number;
  extra?: string[];
}

/** A REGISTER for `user@domain` with the given Contact header values. */
export function register(o: RegisterText = {}): SipRequest {
  const user = o.user ?? 'alice';
  const domain = o.domain ?? 'example.com';
  const lines = [
    `REGISTER sip:${domain} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-' + (o.callId ?? 'c1') + '-' + (o.cseq ?? 1),
    'Max-Forwards: 70',
    `From: <sip:${user}@${domain}>;tag=f1`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${o.callId ?? 'c1'}`,
    `CSeq: ${o.cseq ?? 1} REGISTER`,
    ...(o.contacts ?? [`<sip:${user}@192.0.2.10:5060>`]).map((c) => `Contact: ${c}`),
    ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return req(lines.join('\n'));
}

/** The Contact values of a reply, by URI, with their expires. */
export function replyContacts(r: SipResponse): { uri: string; expires: string | null | undefined; params: Record<string, string | null> }[] {
  return r.contacts === '*' ? [] : r.contacts.map((c) => ({ uri: c.uri, expires: c.params.expires, params: { ...c.params } }));
}
