import { ConfigError } from '../../errors/sdk-error';

/** RFC 5626 (SIP Outbound) support of the registrar. */
export interface OutboundOptions {
  /**
   * Treat a Contact with `+sip.instance` and `reg-id` as a flow (RFC 5626 §6). When false, `reg-id`
   * is ignored and such Contacts are plain bindings, as in OpenSIPS. @defaultValue true
   */
  readonly enabled?: boolean;
  /**
   * Seconds announced in a `Flow-Timer` header of the 200 (RFC 5626 §4.4.1: how often the UA sends
   * keep-alives); 0 sends none. @defaultValue 0
   */
  readonly flowTimer?: number;
}

/** {@link OutboundOptions} with defaults applied. */
export type ResolvedOutboundOptions = Readonly<Required<OutboundOptions>>;

/** Apply defaults and validate; throws {@link ConfigError} naming the bad option. */
export function resolveOutboundOptions(options: OutboundOptions = {}): ResolvedOutboundOptions {
  const resolved = { enabled: options.enabled ?? true, flowTimer: options.flowTimer ?? 0 };
  if (!Number.isInteger(resolved.flowTimer) || resolved.flowTimer < 0) {
    throw new ConfigError(`OutboundOptions.flowTimer must be a non-negative integer of seconds, got ${String(resolved.flowTimer)}`);
  }
  return Object.freeze(resolved);
}
