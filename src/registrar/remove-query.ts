import { isIP } from 'node:net';
import type { Binding } from '../ports/binding';
import type { SipResolver } from '../sip/request-destination';
import { addrSpecOf } from '../sip/name-addr';
import { unbracket } from '../sip/socket-address';
import { contactTarget } from './contact-target';
import { uriHost } from './uri-host';

/** Filter of {@link Registrar.remove} (OpenSIPS `remove(domain, AOR, contact, next_hop, sip_instance)`). */
export interface RemoveQuery {
  /** The AOR (`sip:bob@example.com` or `bob@example.com`). */
  readonly aor: string;
  /** Only the binding with exactly this Contact URI. */
  readonly contact?: string;
  /** Only bindings whose next hop is this IP or host name (Path host, else received host, else Contact host). */
  readonly nextHop?: string;
  /** Only bindings of this `+sip.instance`. */
  readonly sipInstance?: string;
}

/**
 * The address a binding is reached through (OpenSIPS `remove()` rules a/b/c): first Path hop,
 * `received`, else the Contact's target (its `maddr` when it has one, RFC 3261 §19.1.1).
 */
function nextHopHost(b: Binding): string | undefined {
  const firstPath = b.path?.[0];
  if (firstPath !== undefined) return uriHost(addrSpecOf(firstPath));
  if (b.received !== undefined) return uriHost(b.received);
  const host = contactTarget(b.contact)?.host;
  return host === undefined ? undefined : unbracket(host).toLowerCase();
}

/**
 * The bindings {@link RemoveQuery} selects, as a predicate: host names (the query's next hop and
 * the bindings') are resolved through `resolver` (every A/AAAA record when it can list them, RFC
 * 3263 §4.2), each name once per query; two hosts match when they share an address; a name that
 * does not resolve is compared as written.
 */
export function removalFilter(query: RemoveQuery, resolver: SipResolver): (b: Binding) => boolean | Promise<boolean> {
  const instance = query.sipInstance?.replace(/^"|"$/g, '');
  const selected = (b: Binding): boolean => (query.contact === undefined || b.contact === query.contact)
    && (instance === undefined || b.instanceId === instance);
  if (query.nextHop === undefined) return selected;
  const resolved = new Map<string, Promise<readonly string[]>>();
  const addressesOf = (host: string): Promise<readonly string[]> => {
    if (isIP(host) !== 0) return Promise.resolve([host]);
    let addresses = resolved.get(host);
    if (addresses === undefined) {
      const lookup = resolver.resolveAddresses?.(host) ?? resolver.resolveHost(host).then((a) => [a]);
      resolved.set(host, (addresses = lookup.catch(() => [host])));
    }
    return addresses;
  };
  const hop = addressesOf(unbracket(query.nextHop).toLowerCase());
  return async (b) => {
    if (!selected(b)) return false;
    const host = nextHopHost(b);
    if (host === undefined) return false;
    const [mine, wanted] = await Promise.all([addressesOf(host), hop]);
    return mine.some((a) => wanted.includes(a));
  };
}
