import { ConfigError } from '../../errors/sdk-error';

/**
 * Options of the RFC 5627 GRUU extension (OpenSIPS registrar `disable_gruu`, `gruu_secret`),
 * taken by the registrar as `RegistrarOptions.gruu`.
 */
export interface GruuOptions {
  /**
   * Hand out GRUUs in the 200 of a REGISTER that says `Supported: gruu` and resolve them in
   * lookup (the opposite of OpenSIPS `disable_gruu`). @defaultValue false
   */
  enabled?: boolean;
  /**
   * Secret of the temporary GRUUs (OpenSIPS `gruu_secret`): one, or a list whose first entry
   * seals new temporary GRUUs and all open earlier ones, so the secret can rotate without
   * breaking live GRUUs. Set your own: a temporary GRUU must not reveal its AOR (RFC 5627 §3.2),
   * and the default is public. @defaultValue `'OpenSIPS'` (the OpenSIPS manual's default)
   */
  secret?: string | readonly string[];
  /**
   * Secrets tried on temporary GRUUs in the OpenSIPS format (XOR and base64), so a platform
   * migrating from OpenSIPS keeps resolving the GRUUs its phones hold; `[]` turns that off.
   * @defaultValue `['0p3nS1pS', 'OpenSIPS']` (the default in OpenSIPS's source, then the one its manual names)
   */
  legacySecrets?: readonly string[];
}

/** {@link GruuOptions} with defaults applied, frozen. */
export interface ResolvedGruuOptions {
  readonly enabled: boolean;
  /**
   * First seals, all open. Named like {@link GruuOptions.secret} so that resolving resolved
   * options again (the registrar resolves, then the feature does) keeps the configured secrets.
   */
  readonly secret: readonly string[];
  readonly legacySecrets: readonly string[];
}

function nonEmptyStrings(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string' && s !== '');
}

/** Apply defaults and validate; throws {@link ConfigError} naming the bad option. */
export function resolveGruuOptions(options: GruuOptions = {}): ResolvedGruuOptions {
  const enabled = options.enabled ?? false;
  if (typeof enabled !== 'boolean') throw new ConfigError(`GruuOptions.enabled must be a boolean, got ${String(enabled)}`);
  const secret = options.secret ?? 'OpenSIPS';
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (!nonEmptyStrings(secrets) || secrets.length === 0) {
    throw new ConfigError('GruuOptions.secret must be a non-empty string or a non-empty list of non-empty strings (the first seals, all open)');
  }
  const legacySecrets = options.legacySecrets ?? ['0p3nS1pS', 'OpenSIPS'];
  if (!nonEmptyStrings(legacySecrets)) {
    throw new ConfigError('GruuOptions.legacySecrets must be a list of non-empty strings (use [] to ignore OpenSIPS-format temporary GRUUs)');
  }
  return Object.freeze({ enabled, secret: Object.freeze([...secrets]), legacySecrets: Object.freeze([...legacySecrets]) });
}
