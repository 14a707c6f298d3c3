import type { Binding } from '../../ports/binding';
import type { RegistrarFeature, SaveHookContext } from '../registrar-feature';
import { classifyGruu, type GruuUri } from './gruu-uri';
import { resolveGruuOptions, type GruuOptions, type ResolvedGruuOptions } from './gruu-options';
import { pubGruu } from './pub-gruu';
import { tempGruu, tempGruuSealer } from './temp-gruu';

/** The RFC 5627 GRUU extension of the registrar: made by {@link createGruuFeature}. */
export interface GruuFeature extends RegistrarFeature {
  readonly name: 'gruu';
  readonly options: ResolvedGruuOptions;
  /**
   * `;pub-gruu="..."` and `;temp-gruu="..."` for one Contact of the 200 (RFC 5627 §5.2, OpenSIPS
   * `build_contact`): only when GRUUs are enabled, the REGISTER says `Supported: gruu` and the
   * binding has a `+sip.instance` (which the reply already echoes); `''` otherwise. Every call
   * mints a new temporary GRUU.
   */
  contactParams(binding: Binding, ctx: SaveHookContext): string;
  /**
   * What a Request-URI names when it is a GRUU (RFC 5627 §6.1), for lookup; `undefined` when it
   * is not one (no `gr` parameter) or GRUUs are disabled: look its AOR up as usual.
   *
   * - `public`: the AOR is `aorUri` (apply the registrar's AOR rules to it), the target the
   *   bindings of `instanceId`.
   * - `temporary`: the AOR is the key `aor` (`user@domain`; an OpenSIPS-format GRUU carries
   *   OpenSIPS's AOR, a bare user when it ran without `use_domain`). A temporary GRUU names one
   *   registration: it is valid only while the binding of `instanceId` still has `callId`, since
   *   a REGISTER with a new Call-ID invalidates the temporary GRUUs handed out before it.
   * - `invalid`: a `gr` parameter but nothing this registrar handed out: answer 404.
   *
   * {@link gruuTargets} applies these rules to the loaded bindings. The `gr` parameter is never
   * forwarded: the target's Contact replaces the Request-URI.
   */
  resolve(uri: string): GruuUri | undefined;
}

const SIPS = /^sips:/i;

/**
 * The GRUU feature (RFC 5627; OpenSIPS registrar GRUU support, `disable_gruu`, `gruu_secret`).
 * Throws {@link ConfigError} for bad options.
 */
export function createGruuFeature(options?: GruuOptions): GruuFeature {
  const resolved = resolveGruuOptions(options);
  const sealer = tempGruuSealer(resolved.secret);
  const { enabled, legacySecrets } = resolved;
  return {
    name: 'gruu',
    options: resolved,
    contactParams(binding, ctx) {
      const instanceId = binding.instanceId;
      if (!enabled || instanceId === undefined || !ctx.request.supported.includes('gruu')) return '';
      const scheme = SIPS.test(ctx.request.to.uri) ? 'sips' : 'sip';
      const pub = pubGruu(ctx.aor, instanceId, scheme);
      const temp = tempGruu(sealer, ctx.aor, instanceId, binding.callId, scheme);
      return `;pub-gruu="${pub}";temp-gruu="${temp}"`;
    },
    resolve(uri) {
      return enabled ? classifyGruu(uri, sealer, legacySecrets) : undefined;
    },
  };
}
