import { createHash } from 'node:crypto';
import { parseUri } from '../sip/uri';
import type { ContactIdInsertion } from './mid-registrar-options';

/**
 * The contact id of a phone's Contact (OpenSIPS `ctid`, a 64-bit hex-encoded integer): derived
 * from the AOR and the Contact URI, so the same binding gets the same id after a restart and the
 * main registrar keeps refreshing one binding instead of collecting new ones.
 */
export function contactIdOf(aor: string, contact: string): string {
  return createHash('sha256').update(`${aor}\n${contact}`).digest('hex').slice(0, 16);
}

/**
 * The contact id in a Request-URI the main registrar routed to (a Contact the mid-registrar
 * forwarded): the `param` URI parameter, or the user part with `ct-username`.
 */
export function contactIdIn(uri: string, insertion: ContactIdInsertion, param: string): string | undefined {
  const u = parseUri(uri);
  if (u === undefined) return undefined;
  const id = insertion === 'ct-param' ? u.params[param] : u.user;
  return typeof id === 'string' && /^[0-9a-f]{16}$/i.test(id) ? id.toLowerCase() : undefined;
}
