import type { StoredCredentials } from '../ports/credential-store';

/**
 * The order of `CredentialAdmin.list`: by realm compared case-insensitively, then by username
 * compared exactly (UTF-16 code units), the way realms and usernames match in a lookup.
 */
export function compareCredentials(a: StoredCredentials, b: StoredCredentials): number {
  const realmA = a.realm.toLowerCase();
  const realmB = b.realm.toLowerCase();
  if (realmA !== realmB) return realmA < realmB ? -1 : 1;
  return a.username < b.username ? -1 : a.username > b.username ? 1 : 0;
}
