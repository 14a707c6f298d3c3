import { parseUri } from '../../sip/uri';
import type { TokenSealer } from '../token-sealer';
import { decodeOpenSipsTempGruu } from './opensips-temp-gruu';
import { instanceOfGr } from './pub-gruu';
import { percentDecoded } from './percent-decoded';
import { TEMP_GRUU_PREFIX, openTempGruu, type TempGruuFields } from './temp-gruu';

/**
 * What a GRUU names (RFC 5627 §3): a public GRUU the AOR and the instance it carries, a
 * temporary one the registration it was handed out for; `invalid` for a URI with a `gr`
 * parameter that names nothing this registrar could have handed out.
 */
export type GruuUri =
  | {
      readonly kind: 'public';
      /** The AOR as a URI (`sip:user@host`, user part as written), for the registrar's AOR rules. */
      readonly aorUri: string;
      /** The instance ID in angle brackets, as {@link Binding.instanceId} stores it. */
      readonly instanceId: string;
    }
  | ({ readonly kind: 'temporary' } & TempGruuFields)
  | { readonly kind: 'invalid' };

const INVALID: GruuUri = Object.freeze({ kind: 'invalid' });
const G = 0x67;
const R = 0x72;

/**
 * True when `uri` may carry a `gr` parameter: one scan for `;gr` followed by `=`, `;`, `?` or
 * the end, so Request-URIs without one skip the full URI grammar.
 */
function mayHaveGr(uri: string): boolean {
  for (let i = uri.indexOf(';'); i >= 0; i = uri.indexOf(';', i + 1)) {
    if ((uri.charCodeAt(i + 1) | 0x20) !== G || (uri.charCodeAt(i + 2) | 0x20) !== R) continue;
    const next = uri.charCodeAt(i + 3);
    if (Number.isNaN(next) || next === 0x3d || next === 0x3b || next === 0x3f) return true;
  }
  return false;
}

/**
 * Classify a Request-URI (RFC 5627 §6.1 request targeting; OpenSIPS `lookup()` GRUU
 * detection): `undefined` when it has no `gr` parameter (not a GRUU: look up its AOR as usual);
 * a public GRUU when `gr` has a value; a temporary one when `gr` has none and the user part is
 * `tgruu.` + a token sealed by `sealer` or, failing that, an OpenSIPS-format token under one of
 * `legacySecrets`; `invalid` otherwise.
 */
export function classifyGruu(uri: string, sealer: TokenSealer, legacySecrets: readonly string[]): GruuUri | undefined {
  if (!mayHaveGr(uri)) return undefined;
  const parsed = parseUri(uri);
  if (parsed === undefined || parsed.scheme === 'tel') return undefined;
  const gr = parsed.params.gr;
  if (gr === undefined) return undefined;
  const user = parsed.user;
  if (user === undefined || user === '') return INVALID;
  if (gr !== null) {
    const instanceId = instanceOfGr(gr);
    return instanceId === undefined ? INVALID : { kind: 'public', aorUri: `${parsed.scheme}:${user}@${parsed.host}`, instanceId };
  }
  const plain = percentDecoded(user);
  if (plain === undefined || !plain.startsWith(TEMP_GRUU_PREFIX)) return INVALID;
  const token = plain.slice(TEMP_GRUU_PREFIX.length);
  const fields = openTempGruu(sealer, token) ?? decodeOpenSipsTempGruu(token, legacySecrets);
  return fields === undefined ? INVALID : { kind: 'temporary', ...fields };
}
