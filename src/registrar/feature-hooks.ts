import type { RegistrarFeature } from '../features/registrar-feature';

/**
 * The enabled extensions (RFC 3327 Path, RFC 5626 outbound, RFC 5627 GRUU, RFC 8599 push) grouped
 * by the hooks of {@link RegistrarFeature} they implement, in hook order. Built once per
 * registrar, so a save walks only the features that have a hook, and a hook none has costs nothing.
 */
export interface FeatureHooks {
  readonly checkRegister: readonly RegistrarFeature[];
  readonly matchBinding: readonly RegistrarFeature[];
  readonly bindingExtras: readonly RegistrarFeature[];
  readonly afterCommit: readonly RegistrarFeature[];
  readonly contactParams: readonly RegistrarFeature[];
  readonly replyHeaders: readonly RegistrarFeature[];
}

/** Group `features` by hook (see {@link FeatureHooks}), keeping their order. */
export function featureHooks(features: readonly RegistrarFeature[]): FeatureHooks {
  const having = (hook: keyof FeatureHooks): RegistrarFeature[] => features.filter((f) => f[hook] !== undefined);
  return {
    checkRegister: having('checkRegister'),
    matchBinding: having('matchBinding'),
    bindingExtras: having('bindingExtras'),
    afterCommit: having('afterCommit'),
    contactParams: having('contactParams'),
    replyHeaders: having('replyHeaders'),
  };
}
