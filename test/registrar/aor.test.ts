import fc from 'fast-check';
import { asAorUri, queryAor, toAor, uriParts } from '../../src/registrar/aor';
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

describe('queryAor', () => {
  const viaToAor = (x: string, r: AorRules): string | undefined => {
    const a = toAor(asAorUri(x), r);
    return a.ok ? a.value : undefined;
  };

  it('answers a canonical AOR with the input or a slice of it, and the rest through toAor', () => {
    expect(queryAor('bob@example.com', rules)).toBe('bob@example.com');
    expect(queryAor('sip:bob@example.com;transport=tcp', rules)).toBe('bob@example.com');
    expect(queryAor('sips:Bob@Example.com:5061', rules)).toBe('Bob@example.com');
    expect(queryAor('sip:B%6Fb@example.com', { ...rules, caseSensitive: false })).toBe('bob@example.com');
    expect(queryAor('sip:example.com', rules)).toBeUndefined();
    expect(queryAor('sip:bob@example.com?subject=x', rules)).toBe('bob@example.com');
    expect(queryAor(`${'u'.repeat(65)}@example.com`, rules)).toBeUndefined();
    expect(queryAor('bob@sip.example.com', { ...rules, realmPrefix: 'sip.' })).toBe('bob@example.com');
    expect(queryAor('bob@example.com', { ...rules, domains: ['example.org'] })).toBeUndefined();
  });

  it('agrees with toAor(asAorUri(x)) on generated URIs and bare AORs', () => {
    const user = fc.stringMatching(/^[A-Za-z0-9._~!*'()&=+$,%-]{0,12}$/);
    const host = fc.stringMatching(/^[A-Za-z0-9.-]{0,12}$/);
    const input = fc.tuple(fc.constantFrom('', 'sip:', 'sips:', 'tel:'), user, fc.constantFrom('@', ''), host,
      fc.constantFrom('', ':5060', ';transport=tcp', ';a=b?c=d', '?x', ':'))
      .map(([s, u, at, h, tail]) => `${s}${u}${at}${h}${tail}`);
    const ruleSet = fc.record({
      realmPrefix: fc.constantFrom('', 'sip.'),
      caseSensitive: fc.boolean(),
      maxUsernameLen: fc.integer({ min: 1, max: 12 }),
      maxDomainLen: fc.integer({ min: 1, max: 12 }),
      maxAorLen: fc.integer({ min: 3, max: 26 }),
      domains: fc.constantFrom([], ['example.com']),
    });
    fc.assert(fc.property(input, ruleSet, (x, r) => {
      expect(queryAor(x, r)).toBe(viaToAor(x, r));
    }), { numRuns: 5000 });
  });
});
