import type { Binding } from '../ports/binding';

/** Base time of {@link buildBinding}'s defaults (epoch ms): 2023-11-14T22:13:20Z. */
export const BINDING_T0 = 1_700_000_000_000;

/**
 * A valid {@link Binding} for store and registrar tests: the mandatory fields with defaults
 * (Call-ID derived from the contact, CSeq 1, updated at {@link BINDING_T0}, expiring an hour
 * later, q unspecified, no flags), then `overrides`.
 */
export function buildBinding(contact: string, overrides: Partial<Binding> = {}): Binding {
  return {
    contact,
    callId: `call-${contact}`,
    cseq: 1,
    expiresAt: BINDING_T0 + 3_600_000,
    q: -1,
    updatedAt: BINDING_T0,
    flags: 0,
    ...overrides,
  };
}
