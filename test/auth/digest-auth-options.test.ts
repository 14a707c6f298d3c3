import { parseDigestAlgorithms, parseQop, resolveDigestAuthOptions, type DigestAuthOptions } from '../../src/auth/digest-auth-options';
import type { CredentialStore } from '../../src/ports/credential-store';
import { ConfigError } from '../../src/errors/sdk-error';
import { systemClock } from '../../src/ports/clock';
import { silentLogger } from '../../src/ports/logger';

const credentials: CredentialStore = { lookup: () => undefined };

describe('resolveDigestAuthOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveDigestAuthOptions({ credentials });
    expect(o).toMatchObject({
      credentials, realm: undefined, algorithms: ['MD5'], qop: ['auth'], nonceExpire: 30, nonceBindsSource: false, nonceCount: true,
      nonceCountCapacity: 100_000, calculateHa1: false, userhash: false, retryAfter: 5, clock: systemClock, logger: silentLogger,
    });
    expect(o.secrets).toHaveLength(1);
    expect(o.secrets[0]).toHaveLength(32);
    expect(Buffer.from(resolveDigestAuthOptions({ credentials }).secrets[0]).equals(Buffer.from(o.secrets[0]))).toBe(false);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('orders algorithms strongest first without duplicates, qop auth first, and keys the secrets', () => {
    const o = resolveDigestAuthOptions({ credentials, algorithms: ['MD5', 'SHA-512-256', 'MD5', 'SHA-256'], qop: ['auth-int', 'auth'], secret: ['new', 'old'] });
    expect(o.algorithms).toEqual(['SHA-512-256', 'SHA-256', 'MD5']);
    expect(o.qop).toEqual(['auth', 'auth-int']);
    expect(o.secrets.map((s) => Buffer.from(s).toString())).toEqual(['new', 'old']);
    expect(resolveDigestAuthOptions({ credentials, qop: [] }).qop).toEqual([]);
    expect(resolveDigestAuthOptions({ credentials, secret: 'k' }).secrets.map((s) => Buffer.from(s).toString())).toEqual(['k']);
  });

  it('throws ConfigError naming each bad value', () => {
    const bad = (options: Partial<DigestAuthOptions>, message: string): void => {
      expect(() => resolveDigestAuthOptions({ credentials, ...options } as DigestAuthOptions)).toThrow(new ConfigError(message));
    };
    expect(() => resolveDigestAuthOptions({} as DigestAuthOptions)).toThrow(new ConfigError('DigestAuthOptions.credentials is required: pass a CredentialStore (for instance a MemoryCredentialStore)'));
    bad({ algorithms: [] }, 'DigestAuthOptions.algorithms must list at least one of MD5, SHA-256, SHA-512-256');
    bad({ algorithms: ['SHA-1' as never] }, 'DigestAuthOptions.algorithms: unknown algorithm "SHA-1"; use MD5, SHA-256 or SHA-512-256');
    bad({ algorithms: ['md5' as never] }, 'DigestAuthOptions.algorithms: unknown algorithm "md5"; use MD5, SHA-256 or SHA-512-256');
    bad({ qop: ['auth-conf' as never] }, `DigestAuthOptions.qop: "auth-conf" is not 'auth' or 'auth-int'`);
    bad({ qop: 'auth' as never }, "DigestAuthOptions.qop must be an array of 'auth' and 'auth-int' ([] for none)");
    bad({ nonceExpire: 0 }, 'DigestAuthOptions.nonceExpire must be a positive integer of seconds, got 0');
    bad({ nonceExpire: 1.5 }, 'DigestAuthOptions.nonceExpire must be a positive integer of seconds, got 1.5');
    bad({ nonceCountCapacity: -1 }, 'DigestAuthOptions.nonceCountCapacity must be a positive integer, got -1');
    bad({ retryAfter: -1 }, 'DigestAuthOptions.retryAfter must be a non-negative integer of seconds (0 = no Retry-After), got -1');
    bad({ secret: '' }, 'DigestAuthOptions.secret[0] must be a non-empty string; leave secret out for a random one');
    bad({ secret: ['a', ''] }, 'DigestAuthOptions.secret[1] must be a non-empty string; leave secret out for a random one');
    bad({ secret: [] }, 'DigestAuthOptions.secret must be a string or a non-empty array of strings (the first signs nonces)');
    bad({ realm: ' ' }, 'DigestAuthOptions.realm must be a non-empty string without control characters, got " "; leave it out to use the To/From domain');
    bad({ realm: 'a\r\nX-Evil: 1' }, 'DigestAuthOptions.realm must be a non-empty string without control characters, got "a\\r\\nX-Evil: 1"; leave it out to use the To/From domain');
    bad({ userhash: true }, 'DigestAuthOptions.userhash needs a credential store with lookupByUserhash; use such a store or leave userhash off');
    expect(resolveDigestAuthOptions({ credentials: { ...credentials, lookupByUserhash: () => undefined }, userhash: true }).userhash).toBe(true);
  });
});

describe('command-line forms', () => {
  it('parseDigestAlgorithms reads a case-insensitive comma list', () => {
    expect(parseDigestAlgorithms('md5,sha-256')).toEqual(['MD5', 'SHA-256']);
    expect(parseDigestAlgorithms(' SHA-512-256 , Md5 ')).toEqual(['SHA-512-256', 'MD5']);
    expect(() => parseDigestAlgorithms('md5,sha1')).toThrow(new ConfigError('unknown digest algorithm "sha1" in "md5,sha1": use MD5, SHA-256 or SHA-512-256'));
    expect(() => parseDigestAlgorithms('md5-sess')).toThrow(new ConfigError('unknown digest algorithm "md5-sess" in "md5-sess": use MD5, SHA-256 or SHA-512-256'));
    expect(() => parseDigestAlgorithms('md5,')).toThrow(new ConfigError('digest algorithms: empty element in "md5,"'));
  });

  it("parseQop reads auth, auth-int or both; '' is none (RFC 2069)", () => {
    expect(parseQop('auth')).toEqual(['auth']);
    expect(parseQop('auth-int')).toEqual(['auth-int']);
    expect(parseQop('AUTH, auth-int')).toEqual(['auth', 'auth-int']);
    expect(parseQop('')).toEqual([]);
    expect(() => parseQop('auth,conf')).toThrow(new ConfigError('unknown qop "conf" in "auth,conf": use auth, auth-int or auth,auth-int'));
    expect(() => parseQop(',auth')).toThrow(new ConfigError('qop: empty element in ",auth"'));
  });
});
