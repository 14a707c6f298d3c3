import { createRegistrar } from '../../src/registrar/registrar';
import { ManualClock } from '../../src/testing/manual-clock';
import { req, res } from './sip-text';

/** A REGISTER for alice@example.com whose Request-URI is `uri`. */
function registerTo(uri: string, callId: string): ReturnType<typeof req> {
  return req(`REGISTER ${uri} SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-${callId}
Max-Forwards: 70
From: <sip:alice@example.com>;tag=f1
To: <sip:alice@example.com>
Call-ID: ${callId}
CSeq: 1 REGISTER
Contact: <sip:alice@192.0.2.10:5060>
Content-Length: 0

`);
}

describe('registrar: the Request-URI of a REGISTER names a SIP domain (RFC 3261 §10.3 step 1, §8.2.2.1)', () => {
  it.each(['tel:+15551234567', 'http://example.com/', 'sib:example.com', 'urn:service:sos'])('answers %s with 416 and keeps nothing', async (uri) => {
    const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0 });
    const r = await registrar.save(registerTo(uri, 'scheme-1'));
    expect(r).toMatchObject({ ok: false, status: 416, error: { code: 'unsupported-uri-scheme' } });
    const reply = res(r.response);
    expect([reply.status, reply.reason]).toEqual([416, 'Unsupported URI Scheme']);
    expect(reply.header('p-registrar-error')).toBe('Request-URI scheme is not sip or sips');
    expect(await registrar.bindings('sip:alice@example.com')).toEqual([]);
  });

  it.each(['sip:example.com', 'sips:example.com', 'SIP:example.com'])('saves a REGISTER to %s (schemes are case-insensitive, RFC 3261 §19.1.4)', async (uri) => {
    const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0 });
    const r = await registrar.save(registerTo(uri, 'scheme-2'));
    expect(r.status).toBe(200);
    expect(await registrar.bindings('sip:alice@example.com')).toHaveLength(1);
  });
});
