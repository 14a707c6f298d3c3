import type { Endpoint } from '../ports/transport';
import type { SipRequest } from '../sip/message';
import { serializeRequest } from '../sip/serialize';
import { ownVia } from '../transactions/own-via';
import type { AdvertisedAddress } from './mid-registrar-options';

/** A Contact of a forwarded REGISTER: its URI as the main registrar gets it and its lifetime. */
export interface ForwardedContact {
  readonly uri: string;
  /** Header parameters kept from the phone's Contact (expires is set from `expires`). */
  readonly params: Readonly<Record<string, string | null>>;
  /** `;expires=` to send; undefined keeps the phone's own (mirror mode). */
  readonly expires: number | undefined;
}

/** A forwarded Contact value: the header parameters in order, `expires` set from `expires`, `reg-id` dropped. */
function contactValue(c: ForwardedContact): string {
  let out = `<${c.uri}>`;
  for (const name in c.params) {
    // reg-id names the phone's flow to this server (RFC 5626 §4.2), not one to the main registrar.
    if ((name === 'expires' && c.expires !== undefined) || name === 'reg-id') continue;
    const v = c.params[name];
    out += v === null ? `;${name}` : `;${name}=${v}`;
  }
  if (c.expires !== undefined) out += `;expires=${c.expires}`;
  return out;
}

/**
 * The phone's REGISTER as forwarded to the main registrar (OpenSIPS mid_registrar §1.6.1): a Via
 * of ours on top (`via.branch` new: the mid-registrar's client transaction), Max-Forwards decremented
 * (RFC 3261 §16.6), the Contacts replaced by `contacts` (none: `Contact: *` stays), the
 * `Expires` header set to `expiresHeader` when given, and no Path (the phone's edge proxies are
 * kept here, RFC 3327; the main registrar reaches the phone through the mid-registrar). Call-ID, From, To, CSeq and credentials are
 * the phone's, so the main registrar authenticates the phone as before.
 */
export function forwardedRegister(
  request: SipRequest,
  contacts: readonly ForwardedContact[] | undefined,
  expiresHeader: number | undefined,
  via: { readonly advertised: AdvertisedAddress; readonly upstream: Endpoint; readonly branch: string },
): Uint8Array {
  const top = ownVia(via.upstream.protocol, via.advertised.host, via.advertised.port, via.branch);
  // Path stays here: the Contacts now point to the mid-registrar, which routes to the phone.
  const replace: [string, readonly string[]][] = [['Path', []]];
  if (contacts !== undefined) replace.push(['Contact', contacts.map(contactValue)]);
  if (expiresHeader !== undefined) replace.push(['Expires', [String(expiresHeader)]]);
  return serializeRequest(request, { prependVia: top, maxForwards: (request.maxForwards ?? 70) - 1, replaceHeaders: replace });
}
