import { resolveGruuOptions } from '../../../src/features/gruu/gruu-options';
import { ConfigError } from '../../../src/errors/sdk-error';

describe('resolveGruuOptions', () => {
  it('defaults to OpenSIPS: disabled, secret OpenSIPS, both legacy secrets', () => {
    expect(resolveGruuOptions()).toEqual({ enabled: false, secret: ['OpenSIPS'], legacySecrets: ['0p3nS1pS', 'OpenSIPS'] });
    expect(Object.isFrozen(resolveGruuOptions())).toBe(true);
  });

  it('takes one secret or a rotation list, and an empty legacy list', () => {
    expect(resolveGruuOptions({ enabled: true, secret: 'k1', legacySecrets: [] })).toEqual({ enabled: true, secret: ['k1'], legacySecrets: [] });
    expect(resolveGruuOptions({ secret: ['k2', 'k1'] }).secret).toEqual(['k2', 'k1']);
    // Resolving again (the registrar resolves, then createGruuFeature) keeps the secrets.
    expect(resolveGruuOptions(resolveGruuOptions({ secret: ['k2', 'k1'] })).secret).toEqual(['k2', 'k1']);
  });

  it('throws ConfigError for bad values', () => {
    expect(() => resolveGruuOptions({ secret: '' })).toThrow(ConfigError);
    expect(() => resolveGruuOptions({ secret: [] })).toThrow(/secret/);
    expect(() => resolveGruuOptions({ secret: ['a', ''] })).toThrow(ConfigError);
    expect(() => resolveGruuOptions({ legacySecrets: [''] })).toThrow(/legacySecrets/);
    expect(() => resolveGruuOptions({ legacySecrets: 'x' as unknown as string[] })).toThrow(ConfigError);
    expect(() => resolveGruuOptions({ enabled: 1 as unknown as boolean })).toThrow(/enabled/);
  });
});
