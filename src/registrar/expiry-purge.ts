import type { Binding } from '../ports/binding';
import type { TimerHandle } from '../ports/clock';
import type { BindingChange } from './binding-change';
import type { CasEdit, CasWrite } from './commit-with-retry';
import { commitWithRetry } from './commit-with-retry';
import type { ResolvedRegistrarOptions } from './registrar-options';

/** What {@link ExpiryPurge} needs of the registrar's options. */
export type PurgeOptions = Pick<ResolvedRegistrarOptions, 'store' | 'clock' | 'purgeBatch' | 'purgeIntervalMs' | 'maxCommitAttempts' | 'isTagActive'>;

/** The purge of one AOR: its key and the time its batch was asked for. */
interface PurgeCall {
  readonly aor: string;
  readonly now: number;
}

/**
 * The removal of expired bindings (RFC 3261 §10.3: a binding lives until its expiration; OpenSIPS
 * usrloc's timer): every `purgeIntervalMs`, or on demand, each AOR the store lists as holding
 * expired bindings is rewritten without them through the same compare-and-set as saves. A binding
 * with an ownership tag is left to the node holding the tag (`isTagActive`).
 */
export class ExpiryPurge {
  private timer: TimerHandle | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  private readonly edit: CasEdit<PurgeCall, CasWrite, number>;

  /** `committed` hears each purge commit (to emit `expired` and tell the extensions); `onError` a failed timed purge. */
  constructor(
    private readonly options: PurgeOptions,
    committed: (aor: string, changes: readonly BindingChange[]) => void,
    private readonly onError: (e: unknown) => void,
  ) {
    const { isTagActive } = options;
    this.edit = {
      store: options.store,
      maxAttempts: options.maxCommitAttempts,
      decide: ({ aor, now }, snapshot) => {
        const bindings: Binding[] = [];
        const changes: BindingChange[] = [];
        for (const b of snapshot.bindings) {
          if (b.expiresAt <= now && (b.ownershipTag === undefined || isTagActive(b.ownershipTag))) changes.push({ kind: 'expired', aor, binding: b });
          else bindings.push(b);
        }
        return { bindings, changes };
      },
      write: (_call, purge) => (purge.changes.length === 0 ? undefined : purge),
      settled: ({ aor }, _purge, written) => {
        if (written === undefined) return 0;
        committed(aor, written.changes);
        return written.changes.length;
      },
      conflicted: () => 0,
      failed: (_call, e) => {
        throw e;
      },
    };
  }

  /** Run a purge as of now, after any purge in flight; resolves to the number of bindings purged. */
  purgeNow(): Promise<number> {
    const run: Promise<number> = (this.running ?? Promise.resolve(0)).catch(() => 0).then(() => this.purgeAll());
    this.running = run;
    return run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
  }

  /** Purge every `purgeIntervalMs` from now on (not at all when it is 0). */
  schedule(): void {
    const every = this.options.purgeIntervalMs;
    if (every === 0 || this.stopped) return;
    this.timer = this.options.clock.setTimer(every, () => {
      if (this.stopped) return;
      this.purgeNow().catch(this.onError).finally(() => this.schedule());
    });
  }

  /** Stop the timer now; resolves once a purge in flight ended. */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    return (this.running ?? Promise.resolve(0)).then(() => undefined, () => undefined);
  }

  private async purgeAll(): Promise<number> {
    const { store, clock, purgeBatch } = this.options;
    let total = 0;
    for (;;) {
      const now = clock.now();
      const aors = await store.expiredAors(now, purgeBatch);
      let purged = 0;
      for (const aor of aors) purged += await commitWithRetry(this.edit, { aor, now });
      total += purged;
      // A full batch with nothing purged holds only other owners' AORs: asking again would return it again.
      if (aors.length < purgeBatch || purged === 0 || this.stopped) return total;
    }
  }
}
