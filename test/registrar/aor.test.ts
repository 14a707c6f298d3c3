import fc from 'fast-check';
import { toAor, uriParts } from '../../src/registrar/aor';
import type { AorRules } from '../../src/registrar/aor';
import { parseUri } from '../../src/sip/uri';

const rules: AorRules = { realmPrefix: '', caseSensitive: true, maxUsernameLen: 64, maxDomainLen: 64, maxAorLen: 256, domains: [] };

/** The reference: the AOR built from the full URI parser. */
function reference(uri: string): string | undefined {
  const u = parseUri(uri);
  if (u === undefined || (u.scheme !== 'sip' && u.scheme !== 'sips') || !u.user) return undefined;
  return `${decodeURIComponent(u.user)}@${u.host.toLowerCase()}`;
}

describe('toAor (RFC 3261 §10.3 step 5)', () => {
  it('builds user@domain, resolving escapes and lower-casing the domain', () => {
    expect(toAor('sip:alice@Example.COM:5060;transport=tcp', rules)).toEqual({ ok: true, value: 'alice@example.com' });
    expect(toAor('sips:%61lice@example.com', rules)).toEqual({ ok: true, value: 'alice@example.com' });
    expect(toAor('sip:bob:secret@[2001:db8::1]:5060', rules)).toEqual({ ok: true, value: 'bob@[2001:db8::1]' });
    expect(toAor('sip:example.com', rules)).toMatchObject({ ok: false, error: { code: 'to-user' } });
    expect(toAor('tel:+123', rules)).toMatchObject({ ok: false, error: { code: 'aor-parse' } });
    expect(toAor('sip:%zz@example.com', rules)).toMatchObject({ ok: false, error: { code: 'aor-parse' } });
  });

  it('agrees with the full URI parser on generated SIP URIs', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
    const host = fc.oneof(
      fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => `${ls.join('.')}.com`),
      fc.ipV4(),
      fc.ipV6().map((a) => `[${a}]`),
    );
    const user = fc.stringMatching(/^[A-Za-z0-9._~!*'()&=+$,-]{1,12}$/);
    const uri = fc.tuple(fc.constantFrom('sip', 'sips'), user, fc.option(fc.constant(':pw'), { nil: '' }), host,
      fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.constantFrom('', ';transport=tcp', ';lr', ';ob;x=y'), fc.constantFrom('', '?subject=x'))
      .map(([s, u, pw, h, p, params, headers]) => `${s}:${u}${pw}@${h}${p === undefined ? '' : `:${p}`}${params}${headers}`);
    fc.assert(fc.property(uri, (u) => {
      const fast = toAor(u, rules);
      expect(fast.ok ? fast.value : undefined).toBe(reference(u));
      const full = parseUri(u);
      const parts = uriParts(u);
      expect([parts?.host.toLowerCase(), parts?.port]).toEqual([full?.host, full?.port]);
    }), { numRuns: 2000 });
  });
});
