import type { Binding } from '../../ports/binding';
import type { GruuUri } from './gruu-uri';

/**
 * Where a request to a GRUU goes (RFC 5627 §6.1): the live bindings of its instance (several
 * with RFC 5626 outbound, one per flow), else `not-found` (404: no such GRUU, or a temporary
 * GRUU its device invalidated) or `unavailable` (480: a GRUU of this registrar whose instance is
 * not registered right now).
 */
export type GruuTargets =
  | { readonly kind: 'found'; readonly bindings: readonly Binding[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable' };

const NOT_FOUND: GruuTargets = Object.freeze({ kind: 'not-found' });
const UNAVAILABLE: GruuTargets = Object.freeze({ kind: 'unavailable' });

/** True when the stored instance (brackets as the UA sent them) is the GRUU's (always in brackets). */
function sameInstance(stored: string | undefined, id: string): boolean {
  if (stored === undefined) return false;
  return stored === id || (id.length === stored.length + 2 && id.startsWith(stored, 1));
}

/**
 * Select the targets of a GRUU among the bindings of its AOR (loaded by the registrar).
 * A public GRUU reaches every live binding of its instance; a temporary one only while that
 * binding still has the Call-ID the GRUU was handed out for: a REGISTER with a new Call-ID
 * invalidates the temporary GRUUs of earlier ones (RFC 5627 §3.2, OpenSIPS manual §1.1.2).
 * A public GRUU of an AOR without any live binding is `not-found`, since anyone can write one;
 * a temporary one is `unavailable`, since only this registrar can have made it.
 */
export function gruuTargets(gruu: GruuUri, bindings: readonly Binding[], nowMs: number): GruuTargets {
  if (gruu.kind === 'invalid') return NOT_FOUND;
  const found: Binding[] = [];
  let invalidated = false;
  let live = false;
  for (const b of bindings) {
    if (b.expiresAt <= nowMs) continue;
    live = true;
    if (!sameInstance(b.instanceId, gruu.instanceId)) continue;
    if (gruu.kind === 'temporary' && b.callId !== gruu.callId) invalidated = true;
    else found.push(b);
  }
  if (found.length > 0) return { kind: 'found', bindings: found };
  if (gruu.kind === 'temporary') return invalidated ? NOT_FOUND : UNAVAILABLE;
  return live ? UNAVAILABLE : NOT_FOUND;
}
