import { schemeLength } from './aor';

/**
 * True when `uri` is a `sip:` or `sips:` URI, the scheme in any case (RFC 3261 §19.1.4 compares
 * schemes case-insensitively). A REGISTER's Request-URI names the registrar's domain
 * (§10.2, §10.3 step 1), so any other scheme there is answered 416 (§8.2.2.1).
 */
export function hasSipScheme(uri: string): boolean {
  if (schemeLength(uri) > 0) return true;
  const colon = uri.indexOf(':');
  const scheme = colon === 3 || colon === 4 ? uri.slice(0, colon).toLowerCase() : '';
  return scheme === 'sip' || scheme === 'sips';
}
