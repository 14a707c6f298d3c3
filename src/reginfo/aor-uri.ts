import { asAorUri } from '../registrar/aor';

/**
 * An AOR or identity as a URI ({@link asAorUri}), a SIP user without a domain completed with
 * `defaultDomain` (OpenSIPS pua_reginfo `default_domain`); other URIs (`tel:`) stay as they are.
 */
export function aorUri(aor: string, defaultDomain: string | undefined): string {
  const uri = asAorUri(aor);
  return defaultDomain === undefined || uri.includes('@') || !/^sips?:/i.test(uri) ? uri : `${uri}@${defaultDomain}`;
}
