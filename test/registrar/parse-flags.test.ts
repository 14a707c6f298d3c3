import fc from 'fast-check';
import { parseSaveFlags } from '../../src/registrar/parse-save-flags';
import { basicRegexToJs, parseLookupFlags } from '../../src/registrar/parse-lookup-flags';
import { ConfigError } from '../../src/errors/sdk-error';

describe('parseSaveFlags (OpenSIPS save() flags)', () => {
  it('reads the old letters', () => {
    expect(parseSaveFlags('mc5')).toEqual({ memoryOnly: true, maxContacts: 5 });
    expect(parseSaveFlags('rsfoe30E3600')).toEqual({
      noReply: true, socketHeader: true, forceRegistration: true, onlyRequestContacts: true, minExpires: 30, maxExpires: 3600,
    });
    expect(parseSaveFlags('M1')).toEqual({ matchingMode: 1 });
    expect(parseSaveFlags('M0c2')).toEqual({ matchingMode: 0, maxContacts: 2 });
    expect(parseSaveFlags('M<rinstance>f')).toEqual({ matchingMode: { param: 'rinstance' }, forceRegistration: true });
    expect(parseSaveFlags('')).toEqual({});
  });

  it('reads the OpenSIPS 3.x comma form', () => {
    expect(parseSaveFlags('memory-only, max-contacts=5, matching-mode=rinstance')).toEqual({
      memoryOnly: true, maxContacts: 5, matchingMode: { param: 'rinstance' },
    });
    expect(parseSaveFlags('no-reply,socket-header,force-registration,only-request-contacts,min-expires=10,max-expires=20,matching-mode=1')).toEqual({
      noReply: true, socketHeader: true, forceRegistration: true, onlyRequestContacts: true, minExpires: 10, maxExpires: 20, matchingMode: 1,
    });
  });

  it('throws a ConfigError that names the bad flag', () => {
    expect(() => parseSaveFlags('mx')).toThrow(ConfigError);
    expect(() => parseSaveFlags('mx')).toThrow(/unknown save flag 'x'/);
    expect(() => parseSaveFlags('c')).toThrow(/'c' needs a non-negative integer/);
    expect(() => parseSaveFlags('max-contacts=many')).toThrow(/max-contacts/);
    expect(() => parseSaveFlags('M<rinstance')).toThrow(/closing/);
  });

  it('round-trips any combination of typed flags through the comma form', () => {
    fc.assert(fc.property(
      fc.record({
        memoryOnly: fc.boolean(), noReply: fc.boolean(), maxContacts: fc.option(fc.nat(1000), { nil: undefined }),
        minExpires: fc.option(fc.nat(100000), { nil: undefined }), forceRegistration: fc.boolean(),
      }),
      (o) => {
        const parts = [o.memoryOnly && 'memory-only', o.noReply && 'no-reply', o.forceRegistration && 'force-registration',
          o.maxContacts !== undefined && `max-contacts=${o.maxContacts}`, o.minExpires !== undefined && `min-expires=${o.minExpires}`].filter(Boolean);
        const parsed = parseSaveFlags(parts.join(', '));
        expect(parsed.memoryOnly ?? false).toBe(o.memoryOnly);
        expect(parsed.noReply ?? false).toBe(o.noReply);
        expect(parsed.forceRegistration ?? false).toBe(o.forceRegistration);
        expect(parsed.maxContacts).toBe(o.maxContacts);
        expect(parsed.minExpires).toBe(o.minExpires);
      },
    ));
  });
});

describe('parseLookupFlags (OpenSIPS lookup() flags)', () => {
  it('reads the old letters', () => {
    expect(parseLookupFlags('bm')).toEqual({ noBranches: true, methodFiltering: true });
    expect(parseLookupFlags('Br')).toEqual({ toBranchesOnly: true, branchAors: [] });
    expect(parseLookupFlags('y500Y')).toEqual({ maxPingLatencyUs: 500, sortByLatency: true });
    const ua = parseLookupFlags('u/phone/i').uaFilter;
    expect(ua?.test('PHONE 1')).toBe(true);
  });

  it('reads the comma form', () => {
    const o = parseLookupFlags('method-filtering, ua-filtering=/ph(o|a)ne/, extended-regexp, max-ping-latency=10, sort-by-latency, no-branches');
    expect(o.methodFiltering && o.noBranches && o.sortByLatency).toBe(true);
    expect(o.maxPingLatencyUs).toBe(10);
    expect(o.uaFilter?.test('phane')).toBe(true);
  });

  it('treats the regexp as POSIX basic unless e/extended-regexp is given', () => {
    expect(basicRegexToJs('a+b\\(c\\)')).toBe('a\\+b(c)');
    expect(parseLookupFlags('u/v1+/').uaFilter?.test('v1+')).toBe(true);
    expect(parseLookupFlags('u/v1+/e').uaFilter?.test('v11')).toBe(true);
  });

  it('throws a ConfigError for unknown flags, a missing regexp and the unsupported global lookup', () => {
    expect(() => parseLookupFlags('z')).toThrow(/unknown lookup flag 'z'/);
    expect(() => parseLookupFlags('u')).toThrow(/regexp/);
    expect(() => parseLookupFlags('g')).toThrow(/federated/);
    expect(() => parseLookupFlags('ua-filtering=/(/,extended-regexp')).toThrow(ConfigError);
  });
});
