import type { SourceBan, UnbanReason } from './ban-list';

/** A source that turned hot: over the `pike` density (RFC 3261 §26.1.5 denial of service). */
export interface RateLimitedEvent {
  readonly address: string;
  /** Its requests per sampling unit (sliding estimate, rounded up) when it turned hot. */
  readonly rate: number;
}

/** A ban that ended. */
export interface UnbannedEvent {
  readonly address: string;
  readonly reason: UnbanReason;
}

/**
 * Typed events of a {@link SourceGuard}; listeners run synchronously inside `admit`,
 * `authFailed`, `unban` or `bans`.
 */
export interface SourceGuardEvents {
  /** A source was banned after failed authentications (RFC 7616 §5); once per ban. */
  banned: (ban: SourceBan) => void;
  /** A ban ended: ran out (seen lazily), lifted by `unban`, or evicted from a full ban table. */
  unbanned: (event: UnbannedEvent) => void;
  /** A source went over the rate limit; once each time it turns hot, not per refused request. */
  'rate-limited': (event: RateLimitedEvent) => void;
}
