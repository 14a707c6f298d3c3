/**
 * The ten states of an outbound registration, named and numbered as OpenSIPS uac_registrant
 * names them (`reg_list` prints the name; the number is the module's state code).
 *
 * ```text
 *                      start, enable, reload, tag active
 *                                    │
 *                                    ▼
 *                          ┌──────────────────┐  tag inactive / disabled: from any settled state,
 *         ┌───────────────►│  NOT_REGISTERED  │◄─ and from (AUTHENTICATING) REGISTERING when a
 *         │                └────────┬─────────┘   challenge or 423 comes after the disable
 *         │ 2xx to a                │ REGISTER sent
 *         │ removal                 ▼
 *         │                ┌──────────────────┐ 401/407 answered ┌──────────────────┐
 *         │      ┌────────►│   REGISTERING    ├─────────────────►│  AUTHENTICATING  │◄┐ stale=true
 *         │      │ 423,    └────────┬─────────┘                  └──┬───────┬───────┴─┘ re-answered
 *         │      │ refresh,         │ 2xx                       2xx  │       │ 401/407 again
 *         │      │ retry            ▼                                │       ▼
 *         │      │         ┌──────────────────┐◄───────────────────┘  WRONG_CREDENTIALS
 *         │      └─────────┤    REGISTERED    │
 *         │                └────────┬─────────┘   no reply: REGISTER_TIMEOUT
 *         │  disable, close,        │             3xx, send failure: INTERNAL_ERROR
 *         │  removed, 2xx listing   │             other 4xx-6xx: REGISTRAR_ERROR
 *         │  our binding twice      ▼                 (from REGISTERING / AUTHENTICATING /
 *         │                ┌──────────────────┐        UNREGISTERING / AUTHENTICATING_UNREGISTER;
 *         └────────────────┤  UNREGISTERING   │        each retries to REGISTERING when due)
 *                          └────────┬─────────┘
 *                                   │ 401/407 answered (or sent at once with
 *                                   ▼ the last nonce, pre-emptive authentication)
 *                     ┌───────────────────────────┐
 *                     │ AUTHENTICATING_UNREGISTER │ ── 2xx ──► NOT_REGISTERED (or REGISTERING
 *                     └───────────────────────────┘            after removing duplicate bindings)
 * ```
 */
export type RegistrantState =
  | 'NOT_REGISTERED'
  | 'REGISTERING'
  | 'AUTHENTICATING'
  | 'REGISTERED'
  | 'REGISTER_TIMEOUT'
  | 'INTERNAL_ERROR'
  | 'WRONG_CREDENTIALS'
  | 'REGISTRAR_ERROR'
  | 'UNREGISTERING'
  | 'AUTHENTICATING_UNREGISTER';

/** The OpenSIPS state code of each {@link RegistrantState} (0 … 9). */
export const REGISTRANT_STATE_CODES: Readonly<Record<RegistrantState, number>> = Object.freeze({
  NOT_REGISTERED: 0,
  REGISTERING: 1,
  AUTHENTICATING: 2,
  REGISTERED: 3,
  REGISTER_TIMEOUT: 4,
  INTERNAL_ERROR: 5,
  WRONG_CREDENTIALS: 6,
  REGISTRAR_ERROR: 7,
  UNREGISTERING: 8,
  AUTHENTICATING_UNREGISTER: 9,
});

/** States in which a REGISTER or unREGISTER of the registrant is outstanding. */
export type PendingRegistrantState = 'REGISTERING' | 'AUTHENTICATING' | 'UNREGISTERING' | 'AUTHENTICATING_UNREGISTER';

/** The failure states: the scheduler retries from them (new Call-ID) when the retry falls due. */
export type FailedRegistrantState = 'REGISTER_TIMEOUT' | 'INTERNAL_ERROR' | 'WRONG_CREDENTIALS' | 'REGISTRAR_ERROR';

const FAILED: readonly RegistrantState[] = ['REGISTER_TIMEOUT', 'INTERNAL_ERROR', 'WRONG_CREDENTIALS', 'REGISTRAR_ERROR'];
const PENDING: readonly RegistrantState[] = ['REGISTERING', 'AUTHENTICATING', 'UNREGISTERING', 'AUTHENTICATING_UNREGISTER'];
const AFTER_REGISTER: readonly RegistrantState[] = [...FAILED, 'REGISTERED', 'REGISTERING', 'AUTHENTICATING', 'UNREGISTERING', 'AUTHENTICATING_UNREGISTER', 'NOT_REGISTERED'];
const AFTER_UNREGISTER: readonly RegistrantState[] = [...FAILED, 'NOT_REGISTERED', 'REGISTERING', 'AUTHENTICATING_UNREGISTER'];
const SETTLED: readonly RegistrantState[] = ['REGISTERING', 'AUTHENTICATING', 'UNREGISTERING', 'AUTHENTICATING_UNREGISTER', 'NOT_REGISTERED', 'INTERNAL_ERROR'];

/**
 * Every transition the scheduler may make, by state: the edges of the diagram on
 * {@link RegistrantState}. A transition outside this table is a bug and throws.
 * - After a REGISTER: registered, challenged (answered), 423 (re-sent), duplicate bindings or a
 *   disable while it was outstanding (removal), one of the four failures, or not registered when
 *   it was disabled before a challenge or 423 could be answered.
 * - After an unREGISTER: not registered, registering again (duplicate bindings removed),
 *   challenged (answered), or a failure.
 * - From a settled state: a refresh or retry, a removal (each pre-authenticated with the last
 *   nonce or not), a disable or lost sharing tag (not registered), or a request that could not
 *   be sent.
 */
export const REGISTRANT_TRANSITIONS: Readonly<Record<RegistrantState, readonly RegistrantState[]>> = Object.freeze({
  NOT_REGISTERED: ['REGISTERING', 'AUTHENTICATING', 'INTERNAL_ERROR'],
  REGISTERING: AFTER_REGISTER,
  AUTHENTICATING: AFTER_REGISTER,
  REGISTERED: SETTLED,
  REGISTER_TIMEOUT: SETTLED,
  INTERNAL_ERROR: SETTLED,
  WRONG_CREDENTIALS: SETTLED,
  REGISTRAR_ERROR: SETTLED,
  UNREGISTERING: AFTER_UNREGISTER,
  AUTHENTICATING_UNREGISTER: AFTER_UNREGISTER,
});

/** True while a request of the registrant is outstanding (one at a time). */
export const isPendingState = (state: RegistrantState): state is PendingRegistrantState => PENDING.includes(state);

/** True for the four failure states. */
export const isFailedState = (state: RegistrantState): state is FailedRegistrantState => FAILED.includes(state);
