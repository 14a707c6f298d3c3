import type { AuthIdentity } from './authenticator';

/**
 * True when `identity` may register or subscribe to `aor` (`user@domain`, as the registrar keys
 * it): its own `username@realm`, or one of its aliases (OpenSIPS `db_check_to` with
 * `use_aliases`, Kamailio `auth_check` with `check_user` and `check_domain`). Users compare as
 * the registrar's `caseSensitive` says (RFC 3261 §19.1.4), domains case-insensitively.
 */
export function identityMayUse(identity: AuthIdentity, aor: string, caseSensitive: boolean): boolean {
  if (sameAor(`${identity.username}@${identity.realm}`, aor, caseSensitive)) return true;
  const aliases = identity.aliases;
  if (aliases === undefined) return false;
  for (let i = 0; i < aliases.length; i++) if (sameAor(aliases[i], aor, caseSensitive)) return true;
  return false;
}

function sameAor(a: string, b: string, caseSensitive: boolean): boolean {
  const at = a.lastIndexOf('@');
  const bt = b.lastIndexOf('@');
  if (at < 0 || bt < 0) return false;
  const userA = a.slice(0, at);
  const userB = b.slice(0, bt);
  if (caseSensitive ? userA !== userB : userA.toLowerCase() !== userB.toLowerCase()) return false;
  return a.slice(at + 1).toLowerCase() === b.slice(bt + 1).toLowerCase();
}
