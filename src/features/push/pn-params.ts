import type { NameAddrValue } from '../../sip/message';
import { parseUri } from '../../sip/uri';

/**
 * The RFC 8599 data of one Contact: the `pn-*` SIP URI parameters (RFC 8599 §4 PRID, grammar
 * section) inside the Contact URI, and the `+sip.pnsreg` media feature tag among the Contact
 * header parameters (the UA refreshes its binding on its own, RFC 8599 §5).
 */
export interface PnParams {
  /** `pn-provider`: the Push Notification Service; `null` when given without value (capability query). */
  readonly provider: string | null;
  /** `pn-prid`: the Push Resource ID, as written. */
  readonly prid?: string;
  /** `pn-param`: provider-specific data (e.g. the APNs topic), as written. */
  readonly param?: string;
  /** `pn-purr`: a PURR the UA put in a dialog Contact (RFC 8599 long-lived dialogs). */
  readonly purr?: string;
  /** The Contact carried `+sip.pnsreg`. */
  readonly pnsreg: boolean;
  /** Every URI parameter (names lower-cased, values as written), for custom match parameters. */
  readonly uriParams: Readonly<Record<string, string | null>>;
}

/** True when some `;name` of `uri` starts with `pn-` (any case): the only URIs worth parsing. */
function mayHavePnParams(uri: string): boolean {
  for (let i = uri.indexOf(';'); i >= 0; i = uri.indexOf(';', i + 1)) {
    if ((uri.charCodeAt(i + 1) | 0x20) === 0x70 && (uri.charCodeAt(i + 2) | 0x20) === 0x6e && uri.charCodeAt(i + 3) === 0x2d) return true;
  }
  return false;
}

const value = (v: string | null | undefined): string | undefined => (v === null ? undefined : v);

/**
 * The push parameters of a Contact (a parsed Contact value, or a bare URI such as a stored
 * binding's), or `undefined` when its URI has no `pn-provider` (not a push Contact, RFC 8599 §6)
 * or does not parse. URIs without any `;pn-` are rejected without parsing.
 */
export function readPnParams(contact: NameAddrValue | string): PnParams | undefined {
  const uri = typeof contact === 'string' ? contact : contact.uri;
  if (!mayHavePnParams(uri)) return undefined;
  const params = parseUri(uri)?.params;
  if (params === undefined || !('pn-provider' in params)) return undefined;
  const pn: { -readonly [K in keyof PnParams]: PnParams[K] } = {
    provider: params['pn-provider'],
    pnsreg: typeof contact !== 'string' && contact.params['+sip.pnsreg'] !== undefined,
    uriParams: params,
  };
  const prid = value(params['pn-prid']);
  const param = value(params['pn-param']);
  const purr = value(params['pn-purr']);
  if (prid !== undefined) pn.prid = prid;
  if (param !== undefined) pn.param = param;
  if (purr !== undefined) pn.purr = purr;
  return pn;
}
