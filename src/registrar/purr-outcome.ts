import type { Binding } from '../ports/binding';
import type { LookupTarget } from './select-targets';

/**
 * The outcome of {@link Registrar.processPurr} (OpenSIPS `pn_process_purr()` return codes in
 * `code`, RFC 8599 long-lived dialogs):
 * - `1` the push was launched: `refreshed` when the device re-registered within
 *   `pn_refresh_timeout` (route the mid-dialog request to `target`), `timed-out` otherwise (route
 *   it anyway, as OpenSIPS resumes the script);
 * - `2` no push launched: no `pn-purr` in the Request-URI or top Route (`no-purr`), a PURR this
 *   registrar did not issue (`foreign-purr`), its registration gone (`offline`), or the device
 *   counts as awake (`reachable`: registered within `pn_skip_pn_interval`, or pushed upstream);
 * - `-1` an internal error (the location store failed).
 */
export type PurrOutcome =
  | { readonly code: 1; readonly kind: 'refreshed'; readonly aor: string; readonly target: LookupTarget }
  | { readonly code: 1; readonly kind: 'timed-out'; readonly aor: string; readonly binding: Binding }
  | { readonly code: 2; readonly kind: 'not-launched'; readonly reason: 'no-purr' | 'foreign-purr' | 'offline' | 'reachable' }
  | { readonly code: -1; readonly kind: 'error'; readonly error: unknown };
