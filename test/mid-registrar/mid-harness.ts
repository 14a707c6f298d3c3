import { createMidRegistrar } from '../../src/mid-registrar/mid-registrar';
import type { MidRegistrarMode, MidRegistrarOptions } from '../../src/mid-registrar/mid-registrar-options';
import { createRegistrar } from '../../src/registrar/registrar';
import type { SipRequest, SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildRegister } from '../../src/testing/message-builders';
import type { ContactSpec } from '../../src/testing/message-builders';

export const T0 = 1_700_000_000_000;
export const UPSTREAM = { protocol: 'udp', address: '10.0.0.3', port: 5060 } as const;
const HERE = { protocol: 'udp', address: '10.0.0.2', port: 5060 } as const;

export const parse = (data: string | Uint8Array): SipRequest => {
  const r = parseSipMessage(data);
  if (!r.ok || r.message.kind !== 'request') throw new Error('not a request');
  return r.message;
};
export const parseResponse = (data: Uint8Array): SipResponse => {
  const r = parseSipMessage(data);
  if (!r.ok || r.message.kind !== 'response') throw new Error('not a response');
  return r.message;
};

/** A mid-registrar in front of a real main registrar (sipreg's own) reached through a fake transport. */
export function setup(mode: MidRegistrarMode, extra: Partial<MidRegistrarOptions> = {}) {
  const clock = new ManualClock(T0);
  const main = createRegistrar({ clock, purgeIntervalMs: 0, minExpires: 1, maxExpires: 0 });
  const transport = new FakeTransport({ endpoints: [HERE] });
  const upstreamSeen: SipRequest[] = [];
  transport.respondWith(async (request) => {
    upstreamSeen.push(request);
    return (await main.save(request)).response!;
  });
  const mid = createMidRegistrar({ mode, clock, transport, upstream: UPSTREAM, ...extra });
  /**
   * Send one REGISTER from a phone through the mid-registrar; the reply the phone gets. A phone
   * keeps its From tag with its Call-ID unless told otherwise.
   */
  const register = async (aor: string, contacts: readonly ContactSpec[] | '*', o: { callId?: string; fromTag?: string; cseq?: number; expires?: number; headers?: [string, string][] } = {}) => {
    const callId = o.callId ?? `${aor}-call`;
    const request = buildRegister({ aor, contacts, callId, fromTag: o.fromTag ?? `tag-${callId.replace(/[^\w.-]/g, '_')}`, cseq: o.cseq ?? 1, expires: o.expires, headers: o.headers });
    const reply = await mid.process(parse(request));
    return parseResponse(reply.response!);
  };
  /** Advance simulated time, letting the purge timer and the de-REGISTERs it starts finish. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await mid.drain();
  };
  const upstreamContacts = async (aor: string) => (await main.bindings(aor)).map((b) => b.contact);
  return { clock, main, transport, mid, register, advance, upstreamSeen, upstreamContacts };
}

