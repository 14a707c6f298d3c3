import type { Binding } from '../ports/binding';
import { unbracket } from '../sip/socket-address';
import { uriHost } from './uri-host';

/** The bindings still alive at `nowMs` (RFC 3261 §10.3: an expired binding is no registration). */
export function liveAt(bindings: readonly Binding[], nowMs: number): readonly Binding[] {
  return bindings.filter((b) => b.expiresAt > nowMs);
}

/** Whether one of `live` has this Contact URI and/or Call-ID (OpenSIPS `is_contact_registered`). */
export function contactRegistered(live: readonly Binding[], contact: string | undefined, callId: string | undefined): boolean {
  return live.some((b) => (contact === undefined || b.contact === contact) && (callId === undefined || b.callId === callId));
}

/**
 * Whether one of `live` was registered from one of `ips`: the `received` host when set, else the
 * Contact host (OpenSIPS `is_ip_registered`).
 */
export function ipRegistered(live: readonly Binding[], ips: string | readonly string[]): boolean {
  const wanted = (typeof ips === 'string' ? [ips] : ips).map((ip) => unbracket(ip).toLowerCase());
  return live.some((b) => {
    const h = uriHost(b.received ?? b.contact);
    return h !== undefined && wanted.includes(h);
  });
}
