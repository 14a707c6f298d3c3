import type { RegistrarFeature } from '../features/registrar-feature';
import type { FeatureHooks } from './feature-hooks';
import type { Interner } from './interner';
import type { ResolvedRegistrarOptions } from './registrar-options';

/** The hooks of the enabled extensions that take part in {@link planSave}: pure decisions only. */
export type SaveHooks = {
  readonly [K in 'checkRegister' | 'matchBinding' | 'bindingExtras']: readonly Pick<RegistrarFeature, 'name' | K>[];
};

/**
 * The registrar rules a REGISTER is decided by (RFC 3261 §10.3 steps 6-8, the OpenSIPS registrar
 * module parameters): values only, no port (store, clock, logger, transport, resolver), so that
 * {@link planSave} is a pure function of the request, the stored bindings, this policy and the time
 * (`localSockets` reads the listening sockets, which a save does not change).
 */
export type SavePolicy = Pick<
  ResolvedRegistrarOptions,
  | 'defaultExpires' | 'minExpires' | 'maxExpires' | 'minExpiresMode' | 'defaultQ' | 'maxContacts' | 'maxContactLen'
  | 'cseqDelay' | 'receivedMode' | 'sockHdrName' | 'localSockets'
> & {
  /** Shares the values many bindings repeat (see {@link Interner}). @defaultValue none */
  readonly intern?: Interner;
  /** The enabled extensions (Path, outbound, GRUU, push) by hook. @defaultValue none */
  readonly features?: SaveHooks;
};

/** The {@link SavePolicy} of a registrar: its options' rules (copied, so no port rides along), its interner and extensions. */
export function savePolicy(o: ResolvedRegistrarOptions, intern: Interner, features: FeatureHooks): SavePolicy {
  return Object.freeze({
    defaultExpires: o.defaultExpires,
    minExpires: o.minExpires,
    maxExpires: o.maxExpires,
    minExpiresMode: o.minExpiresMode,
    defaultQ: o.defaultQ,
    maxContacts: o.maxContacts,
    maxContactLen: o.maxContactLen,
    cseqDelay: o.cseqDelay,
    receivedMode: o.receivedMode,
    sockHdrName: o.sockHdrName,
    localSockets: o.localSockets,
    intern,
    features,
  });
}
