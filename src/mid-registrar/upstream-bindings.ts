/**
 * What the main registrar holds for one binding the mid-registrar forwarded: enough to refresh
 * it on time and to de-register it when the phone is gone (OpenSIPS mid_registrar keeps the same
 * per contact, or per AOR in AOR throttling).
 */
export interface UpstreamBinding {
  /** The Contact URI as the main registrar has it (rewritten to point here). */
  readonly contact: string;
  /** Call-ID, From and To of the last REGISTER forwarded for it, as sent. */
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  /** CSeq number of that REGISTER: a de-REGISTER uses the next one (RFC 3261 §10.2.4). */
  readonly cseq: number;
  /** When the main registrar's binding expires (epoch ms), from its 2xx. */
  readonly expiresAt: number;
}

/**
 * The main registrar's bindings as the mid-registrar knows them, per AOR and then per key (the
 * phone's Contact URI, or the AOR itself in AOR throttling). In memory: after a restart every
 * phone's next REGISTER is forwarded as new, which re-learns them.
 */
export class UpstreamBindings {
  readonly #aors = new Map<string, Map<string, UpstreamBinding>>();

  get(aor: string, key: string): UpstreamBinding | undefined {
    return this.#aors.get(aor)?.get(key);
  }

  set(aor: string, key: string, binding: UpstreamBinding): void {
    let keys = this.#aors.get(aor);
    if (keys === undefined) this.#aors.set(aor, (keys = new Map()));
    keys.set(key, binding);
  }

  /** Forget a binding; returns it when it was known. */
  take(aor: string, key: string): UpstreamBinding | undefined {
    const keys = this.#aors.get(aor);
    const binding = keys?.get(key);
    if (binding === undefined) return undefined;
    keys!.delete(key);
    if (keys!.size === 0) this.#aors.delete(aor);
    return binding;
  }

  /** Forget every binding of an AOR (a `Contact: *` was forwarded). */
  takeAll(aor: string): void {
    this.#aors.delete(aor);
  }

  /** Number of bindings the main registrar holds for the mid-registrar. */
  get size(): number {
    let n = 0;
    for (const keys of this.#aors.values()) n += keys.size;
    return n;
  }

  clear(): void {
    this.#aors.clear();
  }
}
