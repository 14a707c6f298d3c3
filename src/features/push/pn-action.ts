import type { PnParams } from './pn-params';
import { pnDeviceKey } from './pn-device-key';
import type { ResolvedPushOptions } from './push-options';

/**
 * What the registrar does with one Contact of a REGISTER under RFC 8599 §6 (proxy behaviour),
 * the OpenSIPS `pn_action` cases:
 * - `none`: no `pn-provider`: a plain Contact;
 * - `query-all`: `pn-provider` without value: the UA asks which services are supported
 *   (RFC 8599 §5, "Query Network Push Notification Capabilities"): the 200 lists each provider
 *   not already handled upstream in a `+sip.pns`; the binding is an ordinary one;
 * - `query-one`: a supported `pn-provider` without `pn-prid` or `pn-param`: the same query for one
 *   service;
 * - `unsupported`: a provider not served, or a push Contact missing a match parameter (`missing`): 555;
 * - `push`: every match parameter present: matched by {@link pnDeviceKey}, flagged push, answered
 *   with `+sip.pns` (and `+sip.pnsreg`, `+sip.pnspurr`);
 * - `upstream`: the provider is in the REGISTER's Feature-Caps: matched by key and stored, never
 *   pushed from here.
 */
export type PnAction =
  | { readonly kind: 'none' }
  | { readonly kind: 'query-all' }
  | { readonly kind: 'query-one'; readonly provider: string }
  | { readonly kind: 'unsupported'; readonly provider: string; readonly missing?: string }
  | { readonly kind: 'push' | 'upstream'; readonly provider: string; readonly key: string };

const NONE: PnAction = Object.freeze({ kind: 'none' });
const QUERY_ALL: PnAction = Object.freeze({ kind: 'query-all' });

/**
 * Classify one Contact (see {@link PnAction}). `upstream` is the set of services handled by a
 * proxy upstream (from the REGISTER's Feature-Caps). A handled-upstream Contact missing a match
 * parameter is a plain Contact, as in OpenSIPS.
 */
export function pnActionOf(pn: PnParams | undefined, upstream: ReadonlySet<string>, options: ResolvedPushOptions): PnAction {
  if (pn === undefined) return NONE;
  const provider = pn.provider;
  if (provider === null) return QUERY_ALL;
  const key = pnDeviceKey(pn.uriParams, options.ctMatchParams);
  if (upstream.has(provider)) return key === undefined ? NONE : { kind: 'upstream', provider, key };
  if (!options.providers.includes(provider)) return { kind: 'unsupported', provider };
  if (pn.prid === undefined && pn.param === undefined) return { kind: 'query-one', provider };
  if (key === undefined) {
    const missing = options.ctMatchParams.find((p) => pn.uriParams[p] === undefined || pn.uriParams[p] === null);
    return { kind: 'unsupported', provider, missing };
  }
  return { kind: 'push', provider, key };
}
