import type { PushWait } from '../features/push/push-coordinator';
import type { MiCommand } from './mi-command';
import { miTime } from './mi-time';

/** What knows the pushes waiting for a re-REGISTER: a registrar with push notifications enabled. */
export interface PendingPushSource {
  /** The devices pushed and not re-registered yet (none without push notifications). */
  pendingPushes(): readonly PushWait[];
}

/** One binding waiting on a push, with the RFC 8599 §4.1 `pn-*` names. */
const pushView = (p: PushWait): Record<string, unknown> => ({
  aor: p.aor,
  contact: p.contact,
  reason: p.reason,
  pn_provider: p.provider,
  ...(p.prid === undefined ? {} : { pn_prid: p.prid }),
  attempts: p.attempts,
  started_at: miTime(p.startedAt),
  retry_until: miTime(p.until),
  waiting_requests: p.waiting,
});

/**
 * The push notification command (RFC 8599): `push_pending` lists the bindings waiting on a push,
 * each with why it was pushed (`lookup`, `purr`, `expiring`), how many pushes went, until when
 * they are retried and how many requests wait for the device to re-register. OpenSIPS has no such
 * command: it raises `E_UL_CONTACT_REFRESH` and forgets.
 */
export function pushCommands(source: PendingPushSource): MiCommand[] {
  return [
    {
      name: 'push_pending',
      help: 'the bindings waiting on a push notification to re-register (RFC 8599)',
      params: [],
      run: () => ({ Bindings: source.pendingPushes().map(pushView) }),
    },
  ];
}
