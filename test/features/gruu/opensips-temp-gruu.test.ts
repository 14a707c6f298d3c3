import fc from 'fast-check';
import { decodeOpenSipsTempGruu, encodeOpenSipsTempGruu } from '../../../src/features/gruu/opensips-temp-gruu';

const INSTANCE = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';
const CALL_ID = 'a84b4c76e66710@pc33.atlanta.com';
const LEGACY = ['0p3nS1pS', 'OpenSIPS'];

/** OpenSIPS build_temp_gruu + base64encode, written out here independently of the module. */
function opensipsToken(text: string, secret: string): string {
  const bytes = Buffer.from(text, 'latin1');
  const key = Buffer.from(secret, 'latin1');
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] ^ key[i % key.length];
  return out.toString('base64');
}

describe('OpenSIPS-format temporary GRUUs', () => {
  const text = `1700000000 alice@example.com urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6 ${CALL_ID}`;

  it('decodes a token OpenSIPS wrote with its source default secret (golden vector)', () => {
    const token = 'AUcDXmMBQGMAQBMPP1gTNnAVSw8+QRw2HhNcA3NEAj0KBUYHNwsWawEUBwgyVF1kVBVQQ2IAFGMdEQRYZhxAY1FAUFdiVEYxVkYTD2sFEmdTRwULZQdHYgAwQw1gAl4yRBxSACdQXjBfHQ==';
    expect(opensipsToken(text, '0p3nS1pS')).toBe(token);
    expect(decodeOpenSipsTempGruu(token, LEGACY)).toEqual({ aor: 'alice@example.com', instanceId: INSTANCE, callId: CALL_ID });
  });

  it('tries every legacy secret: the manual default OpenSIPS too', () => {
    const token = 'fkdVXmN5YGN/QEUPPyAzNg8VHQ8+OTw2YRMKA3M8Ij11BRAHN3M2a34UUQgyLH1kKxUGQ2J4NGNiEVJYZmRgYy5ABldiLGYxKUZFD2t9MmcsR1MLZX9nYn8wFQ1gen4yOxwEACcofjAgHQ==';
    expect(opensipsToken(text, 'OpenSIPS')).toBe(token);
    expect(decodeOpenSipsTempGruu(token, LEGACY)?.aor).toBe('alice@example.com');
    expect(decodeOpenSipsTempGruu(token, ['0p3nS1pS'])).toBeUndefined();
    expect(decodeOpenSipsTempGruu(token, [])).toBeUndefined();
  });

  it('accepts a bare-user AOR (OpenSIPS without use_domain)', () => {
    expect(decodeOpenSipsTempGruu(opensipsToken(`17 alice urn:x ${CALL_ID}`, 'top_secret'), ['top_secret']))
      .toEqual({ aor: 'alice', instanceId: '<urn:x>', callId: CALL_ID });
  });

  it('rejects texts that are not time, AOR, instance and Call-ID', () => {
    const bad = [
      `x1700 alice@example.com urn:x ${CALL_ID}`,
      `1700 alice@example.com urn:x`,
      `1700  urn:x ${CALL_ID}`,
      `1700 alice@example.com  ${CALL_ID}`,
      `1700 alice@example.com urn:x `,
      `1700 alice@example.com urn:x two words`,
      `1700 alice@example.com urn:\u0001 ${CALL_ID}`,
    ];
    for (const t of bad) expect(decodeOpenSipsTempGruu(opensipsToken(t, 'k'), ['k'])).toBeUndefined();
    expect(decodeOpenSipsTempGruu('not base64!', ['k'])).toBeUndefined();
    expect(decodeOpenSipsTempGruu('', ['k'])).toBeUndefined();
  });

  it('the encoder writes what OpenSIPS writes, and decoding inverts it', () => {
    const visible = fc.stringMatching(/^[!-~]{1,20}$/);
    fc.assert(fc.property(fc.nat(), visible, visible, visible, fc.stringMatching(/^[!-~]{1,12}$/), (time, aor, instance, callId, secret) => {
      const fields = { aor, instanceId: `<${instance}>`, callId };
      const token = encodeOpenSipsTempGruu(fields, secret, time);
      expect(token).toBe(opensipsToken(`${time} ${aor} ${instance} ${callId}`, secret));
      expect(decodeOpenSipsTempGruu(token, [secret])).toEqual(fields);
    }));
  });
});
