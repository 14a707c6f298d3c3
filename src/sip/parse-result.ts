import type { SipMessage } from './message';

/** Options of {@link parseSipMessage}. */
export interface ParseOptions {
  /**
   * Parse with the SIP.js grammar tier only (the reference, about 1.5 ms per message).
   * @defaultValue false
   */
  readonly strict?: boolean;
  /**
   * Most `Contact` values accepted in one message; more fail with reason `too-many-contacts`.
   * @defaultValue 64
   */
  readonly maxContacts?: number;
}

/** {@link ParseOptions} with every default applied. */
export interface ResolvedParseOptions {
  readonly strict: boolean;
  readonly maxContacts: number;
}

/** The raw values a parser could still read from a rejected message, enough to build a 400 (RFC 3261 §8.2.6). */
export interface PartialMessage {
  /** Every Via value found, top first, as received. */
  readonly via: string[];
  readonly from?: string;
  readonly to?: string;
  readonly callId?: string;
  readonly cseq?: string;
}

/** Why a message was rejected. */
export interface SipParseError {
  /** Short machine-readable reason, e.g. `missing-call-id`, `bad-via`, `content-length-exceeds-body`. */
  readonly reason: string;
  /** Best-effort raw values so that a 400 can still be built; absent when the start line was unreadable. */
  readonly partial?: PartialMessage;
  /** True when the only problem is the number of Contact values (see {@link ParseOptions.maxContacts}). */
  readonly tooManyContacts?: boolean;
}

/** Result of {@link parseSipMessage}: the message and the tier that parsed it, or the error. */
export type ParseResult =
  | { readonly ok: true; readonly message: SipMessage; readonly tier: 'scanner' | 'grammar' }
  | { readonly ok: false; readonly error: SipParseError };

/** Which tier produced a message. */
export type ParseTier = 'scanner' | 'grammar';

const DEFAULT_OPTIONS: ResolvedParseOptions = Object.freeze({ strict: false, maxContacts: 64 });

/** Applies the defaults of {@link ParseOptions} (returns one shared frozen object when none are given). */
export function resolveParseOptions(options?: ParseOptions): ResolvedParseOptions {
  if (options === undefined || (options.strict === undefined && options.maxContacts === undefined)) return DEFAULT_OPTIONS;
  return Object.freeze({
    strict: options.strict ?? DEFAULT_OPTIONS.strict,
    maxContacts: options.maxContacts ?? DEFAULT_OPTIONS.maxContacts,
  });
}
