import { LRUCache } from 'lru-cache';
import { ConfigError } from '../errors/sdk-error';
import { parseUri } from '../sip/uri';
import { aorUri } from './aor-uri';

/** Most public identities one AOR may have: each is a `<registration>` of every PUBLISH of the AOR. */
export const MAX_IDENTITIES_PER_AOR = 32;

/**
 * Most AORs whose identities were set with {@link Reginfo.setIdentities} (the API, the MI) kept at
 * once; beyond it the least recently used are dropped first.
 */
export const MAX_SET_IDENTITY_AORS = 10_000;

/**
 * The public identities of `aor` as URIs: each trimmed, `<…>` removed, a SIP user without a
 * domain completed with `defaultDomain`, duplicates and empty entries dropped.
 * @throws {@link ConfigError} for an identity that is not a `sip:`, `sips:` or `tel:` URI, or more
 *   than {@link MAX_IDENTITIES_PER_AOR}.
 */
export function identityUris(aor: string, identities: readonly string[], defaultDomain: string | undefined): readonly string[] {
  const uris = new Set<string>();
  for (const identity of identities) {
    const bare = identity.trim().replace(/^<(.*)>$/, '$1');
    if (bare === '') continue;
    const uri = aorUri(bare, defaultDomain);
    if (parseUri(uri) === undefined) throw new ConfigError(`identity '${identity}' of '${aor}' is not a sip:, sips: or tel: URI such as 'sip:alias@example.com' or 'tel:+15551234'`);
    uris.add(uri);
  }
  if (uris.size > MAX_IDENTITIES_PER_AOR) throw new ConfigError(`'${aor}' has ${uris.size} identities; at most ${MAX_IDENTITIES_PER_AOR} are kept per AOR`);
  return Object.freeze([...uris]);
}

/**
 * The public identities of the AORs (OpenSIPS `ul_identities_key`), by canonical AOR, from two
 * sources: the configured ones ({@link Reginfo.loadIdentities}, e.g. a file), kept until replaced,
 * and the ones set one AOR at a time ({@link Reginfo.setIdentities}), which take precedence, go
 * with the AOR's last binding (as OpenSIPS usrloc keys go with the record) and are at most
 * {@link MAX_SET_IDENTITY_AORS} AORs. Every list holds 1 to {@link MAX_IDENTITIES_PER_AOR} URIs.
 */
export class IdentityTable {
  #configured: ReadonlyMap<string, readonly string[]> = new Map();
  readonly #set = new LRUCache<string, readonly string[]>({ max: MAX_SET_IDENTITY_AORS });

  /** The identities of `aor`: the ones set, else the configured ones, else undefined. */
  get(aor: string): readonly string[] | undefined {
    return this.#set.get(aor) ?? this.#configured.get(aor);
  }

  /** Set the identities of `aor` ({@link identityUris}); an empty list removes them (the configured ones apply again). */
  set(aor: string, uris: readonly string[]): void {
    if (uris.length === 0) this.#set.delete(aor);
    else this.#set.set(aor, uris);
  }

  /** Replace every configured identity with `table` (canonical AOR → {@link identityUris}; empty lists are left out). */
  configure(table: ReadonlyMap<string, readonly string[]>): void {
    this.#configured = new Map([...table].filter(([, uris]) => uris.length > 0));
  }

  /** The AOR's last binding is gone: the identities set for it go too; the configured ones stay. */
  released(aor: string): void {
    this.#set.delete(aor);
  }
}
