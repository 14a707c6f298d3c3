import { formatUri, parseUri } from '../sip/uri';
import { bracketHost } from '../sip/socket-address';
import type { AdvertisedAddress, ContactIdInsertion } from './mid-registrar-options';

/** How forwarded Contacts are written (OpenSIPS `contact_id_insertion`, `contact_id_param`, `extra_contact_params_avp`). */
export interface ContactRewrite {
  readonly advertised: AdvertisedAddress;
  readonly insertion: ContactIdInsertion;
  readonly param: string;
  readonly extraParams: string;
}

/**
 * A phone's Contact URI as forwarded to the main registrar (OpenSIPS mid_registrar §1.3): host
 * and port replaced by the mid-registrar's address, the contact id added as a URI parameter or
 * as the user part, then the extra parameters. Undefined for a URI that does not parse.
 */
export function forwardedContactUri(uri: string, id: string, rewrite: ContactRewrite): string | undefined {
  const u = parseUri(uri);
  if (u === undefined || u.scheme === 'tel') return undefined;
  const { [rewrite.param]: _old, ...params } = u.params;
  const user = rewrite.insertion === 'ct-username' ? id : u.user;
  const out = formatUri({
    ...u,
    user,
    password: rewrite.insertion === 'ct-username' ? undefined : u.password,
    host: bracketHost(rewrite.advertised.host),
    port: rewrite.advertised.port,
    params: rewrite.insertion === 'ct-param' ? { ...params, [rewrite.param]: id } : params,
  });
  return out + rewrite.extraParams;
}

/**
 * The one Contact of an AOR in AOR-throttling mode: `sip:<aor with @ escaped>@host:port` (OpenSIPS
 * `at_escape_str`), so the main registrar sends the AOR's calls here.
 */
export function aorContactUri(aor: string, atEscape: string, rewrite: ContactRewrite): string {
  return `sip:${aor.split('@').join(atEscape)}@${bracketHost(rewrite.advertised.host)}:${rewrite.advertised.port}${rewrite.extraParams}`;
}

/** The AOR in the user part of an AOR-throttling Contact (the inverse of {@link aorContactUri}), or undefined. */
export function aorOfContactUser(uri: string, atEscape: string): string | undefined {
  const user = parseUri(uri)?.user;
  if (user === undefined) return undefined;
  const at = user.lastIndexOf(atEscape);
  if (at <= 0) return undefined;
  return `${user.slice(0, at)}@${user.slice(at + atEscape.length)}`;
}
