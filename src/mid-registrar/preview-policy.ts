import type { RegistrarFeature } from '../features/registrar-feature';
import { createOutboundFeature } from '../features/outbound/outbound-feature';
import { createPathFeature } from '../features/path/path-feature';
import { createPushFeature } from '../features/push/push-feature';
import { featureHooks } from '../registrar/feature-hooks';
import type { Interner } from '../registrar/interner';
import type { ResolvedRegistrarOptions } from '../registrar/registrar-options';
import { savePolicy } from '../registrar/save-policy';
import type { SavePolicy } from '../registrar/save-policy';
import { formatEndpoint } from '../sip/socket-address';

/** Shares nothing: the bindings of a preview are thrown away. */
const UNSHARED: Interner = { userAgent: (v) => v, methods: (v) => v, socket: formatEndpoint };

/**
 * The save rules of the registrar that keeps the mid-registrar's bindings, with the extensions
 * that take part in a save decision (Path's 420, outbound's flow matching, push's device matching
 * and 555; GRUU takes none), for the mid-registrar to run `planSave` on a REGISTER before
 * it forwards it: the refusal the local save would give after the main registrar's 2xx (503 for
 * `max_contacts`, 420, 423, 555 ...) is given before instead (OpenSIPS `mid_registrar_save`), and
 * the plan's `updated` changes name the stored binding each Contact replaces under the matching
 * mode, the push device or the outbound instance even when its URI changed (RFC 5626 §6,
 * RFC 8599 §4.1.2).
 */
export function previewPolicy(o: ResolvedRegistrarOptions): SavePolicy {
  const features: RegistrarFeature[] = [createPathFeature({ serviceRoute: o.serviceRoute })];
  if (o.outbound.enabled) features.push(createOutboundFeature(o.outbound));
  if (o.push.enabled) features.push(createPushFeature(o.push));
  return savePolicy(o, UNSHARED, featureHooks(features));
}

