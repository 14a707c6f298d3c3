const NONE: ReadonlySet<string> = new Set();

/**
 * The push services a proxy on the REGISTER's path already handles: the values of every
 * `+sip.pns` feature-capability indicator in the request's Feature-Caps (RFC 6809 `fc-value`,
 * `*;+sip.pns="apns"`; RFC 8599 §6: such a proxy sends the pushes, so this registrar stores the
 * binding and never pushes it). A quoted value may list several services separated by commas.
 * The leading `*` is optional here, as OpenSIPS omits it.
 */
export function upstreamPns(featureCaps: readonly string[]): ReadonlySet<string> {
  if (featureCaps.length === 0) return NONE;
  let found: Set<string> | undefined;
  for (const fcValue of featureCaps) {
    for (const part of fcValue.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== '+sip.pns') continue;
      const raw = part.slice(eq + 1).trim();
      const unquoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
      for (const pns of unquoted.split(',')) {
        const name = pns.trim();
        if (name !== '') (found ??= new Set()).add(name);
      }
    }
  }
  return found ?? NONE;
}
