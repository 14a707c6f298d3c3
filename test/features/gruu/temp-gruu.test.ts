import fc from 'fast-check';
import { openTempGruu, tempGruu, tempGruuSealer } from '../../../src/features/gruu/temp-gruu';
import { parseUri } from '../../../src/sip/uri';

const sealer = tempGruuSealer('s3cret');
const INSTANCE = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';

function tokenOf(gruu: string): string {
  const m = /^sips?:tgruu\.([A-Za-z0-9_-]+)@([^;]+);gr$/.exec(gruu);
  if (m === null) throw new Error(`not a temporary GRUU: ${gruu}`);
  return m[1];
}

describe('temporary GRUU (RFC 5627 §3.2)', () => {
  it('is tgruu.<token>@<AOR domain>;gr and opens to AOR, instance and Call-ID', () => {
    const gruu = tempGruu(sealer, 'alice@example.com', INSTANCE, 'c1@host');
    expect(gruu).toMatch(/^sip:tgruu\.[A-Za-z0-9_-]+@example\.com;gr$/);
    expect(parseUri(gruu)?.params.gr).toBeNull();
    expect(openTempGruu(sealer, tokenOf(gruu))).toEqual({ aor: 'alice@example.com', instanceId: INSTANCE, callId: 'c1@host' });
    expect(tempGruu(sealer, 'alice@example.com', INSTANCE, 'c1', 'sips')).toMatch(/^sips:tgruu\./);
  });

  it('takes the domain after the last @ of the AOR key', () => {
    expect(tempGruu(sealer, 'a@b@example.org', INSTANCE, 'c')).toMatch(/@example\.org;gr$/);
  });

  it('is new on every REGISTER', () => {
    const a = tempGruu(sealer, 'alice@example.com', INSTANCE, 'c1');
    expect(tempGruu(sealer, 'alice@example.com', INSTANCE, 'c1')).not.toBe(a);
  });

  it('opens nothing under another secret, and nothing from a token of another shape', () => {
    const token = tokenOf(tempGruu(sealer, 'alice@example.com', INSTANCE, 'c1'));
    expect(openTempGruu(tempGruuSealer('other'), token)).toBeUndefined();
    expect(openTempGruu(sealer, sealer.seal(['only', 'two']))).toBeUndefined();
    expect(openTempGruu(sealer, 'garbage')).toBeUndefined();
  });

  it('round-trips any fields, and no token shows the AOR, its user or the instance', () => {
    const user = fc.stringMatching(/^[a-z0-9._-]{3,12}$/);
    const domain = fc.stringMatching(/^[a-z0-9-]{3,10}\.[a-z]{2,4}$/);
    const uuid = fc.uuid().map((u) => `<urn:uuid:${u}>`);
    const callId = fc.stringMatching(/^[A-Za-z0-9.@_-]{1,30}$/);
    fc.assert(fc.property(user, domain, uuid, callId, (u, d, instanceId, c) => {
      const aor = `${u}@${d}`;
      const gruu = tempGruu(sealer, aor, instanceId, c);
      const token = tokenOf(gruu);
      expect(openTempGruu(sealer, token)).toEqual({ aor, instanceId, callId: c });
      expect(token.includes(u)).toBe(false);
      expect(gruu.includes(aor)).toBe(false);
      expect(gruu.includes(instanceId.slice(10, -1))).toBe(false);
    }));
  });
});
