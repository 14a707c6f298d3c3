/**
 * The identity of a push device under `pn_ct_match_params`: the values of `names` in `uriParams`
 * joined in `names` order, or `undefined` when one is missing or has no value (then the Contact
 * is matched the usual way). Two Contacts with the same key are the same device, whatever the
 * rest of their URIs (host, port, other parameters, parameter order): RFC 8599 §4 (the PRID
 * identifies the device to the PNS).
 */
export function pnDeviceKey(uriParams: Readonly<Record<string, string | null>>, names: readonly string[]): string | undefined {
  let key = '';
  for (let i = 0; i < names.length; i++) {
    const v = uriParams[names[i]];
    if (v === undefined || v === null) return undefined;
    // '\n' never occurs in a URI, so distinct value lists give distinct keys.
    key += i === 0 ? v : '\n' + v;
  }
  return key;
}
