import { parseUri } from '../sip/uri';
import type { UriParts } from './aor';
import { uriParts } from './aor';

/** A `maddr` URI parameter may be in the URI (names are case-insensitive); {@link parseUri} decides. */
const MAYBE_MADDR = /;maddr=/i;

/**
 * Where requests for a Contact URI go when nothing else (a `received`, a Path) says otherwise:
 * its `maddr` parameter when it has one, else its host (RFC 3261 §19.1.1, RFC 3263 §4), with
 * its scheme and port; the host lower-cased. The fast {@link uriParts} unless the URI may carry a `maddr`.
 *
 * @example
 * ```ts
 * contactTarget('sip:v@192.0.2.1:5062;maddr=198.51.100.9'); // { scheme: 'sip', user: 'v', host: '198.51.100.9', port: 5062 }
 * ```
 */
export function contactTarget(uri: string): UriParts | undefined {
  if (!MAYBE_MADDR.test(uri)) return uriParts(uri);
  const u = parseUri(uri);
  if (u === undefined) return undefined;
  const maddr = u.params.maddr;
  return { scheme: u.scheme, user: u.user, host: typeof maddr === 'string' ? maddr.toLowerCase() : u.host, port: u.port };
}
