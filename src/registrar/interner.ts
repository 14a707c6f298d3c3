import type { Endpoint } from '../ports/transport';

/**
 * Shares equal values between bindings: returns a shared copy of a value many bindings repeat
 * (User-Agent, RFC 3261 §20.41; Allow method lists, §20.5), so a million bindings hold one copy
 * each. Semantically the identity: {@link planSave} stays pure with or without one.
 */
export interface Interner {
  userAgent(value: string): string;
  methods(value: readonly string[]): readonly string[];
  /** The socket description of a local endpoint, formatted once per endpoint. */
  socket(local: Endpoint): string;
}
