import type { AuthIdentity } from './authenticator';

/**
 * True when `identity` may register or subscribe to `aor` (`user@domain`, as the registrar keys
 * it): its own `username@realm`, or one of its aliases (OpenSIPS `db_check_to` with
 * `use_aliases`, Kamailio `auth_check` with `check_user` and `check_domain`). Users compare as
 * the registrar's `caseSensitive` says (RFC 3261 §19.1.4), domains case-insensitively.
 */
export function identityMayUse(identity: AuthIdentity, aor: string, caseSensitive: boolean): boolean {
  const at = aor.lastIndexOf('@');
  if (at < 0) return false;
  const { username, realm } = identity;
  if (at === username.length && aor.length - at - 1 === realm.length
    && sameText(username, 0, aor, 0, at, !caseSensitive) && sameText(realm, 0, aor, at + 1, realm.length, true)) return true;
  const aliases = identity.aliases;
  if (aliases === undefined) return false;
  for (let i = 0; i < aliases.length; i++) if (sameAor(aliases[i], aor, at, caseSensitive)) return true;
  return false;
}

/** True when the `user@domain` `alias` is `aor`, whose `@` is at `at`. */
function sameAor(alias: string, aor: string, at: number, caseSensitive: boolean): boolean {
  const aliasAt = alias.lastIndexOf('@');
  return aliasAt === at && alias.length === aor.length
    && sameText(alias, 0, aor, 0, at, !caseSensitive) && sameText(alias, at + 1, aor, at + 1, aor.length - at - 1, true);
}

/** True when `a[aStart, aStart + n)` is `b[bStart, bStart + n)`, ASCII letters in any case when `anyCase`; no string is built. */
function sameText(a: string, aStart: number, b: string, bStart: number, n: number, anyCase: boolean): boolean {
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(aStart + i);
    let y = b.charCodeAt(bStart + i);
    if (x === y) continue;
    if (!anyCase) return false;
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}
