import { LRUCache } from 'lru-cache';
import { ConfigError } from '../../errors/sdk-error';
import { pageAors } from '../../management/page-aors';
import type { Binding } from '../../ports/binding';
import { BindingFlags } from '../../ports/binding';
import type { Clock, TimerHandle } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type { Transport } from '../../ports/transport';
import type { BindingChange } from '../../registrar/binding-change';
import type { Registrar } from '../../registrar/registrar';
import { targetOf } from '../../registrar/select-targets';
import { BranchIds } from '../../sip/branch-ids';
import { randomToken } from '../../sip/random-token';
import type { SipResolver } from '../../sip/request-destination';
import { bracketHost } from '../../sip/socket-address';
import { sendRequest, type SendRequestContext } from '../../transactions/send-request';
import { pingSlot } from './ping-slot';
import { pingDestination } from './ping-destination';
import { resolvePingSettings, type ContactPingerOptions, type ResolvedPingSettings } from './ping-options';

/** Counters of a {@link ContactPinger} since it started. */
export interface PingerStats {
  /** Pings sent (client transactions started). */
  readonly sent: number;
  /** Pings that got a final response, whatever its status. */
  readonly answered: number;
  /** Pings that got none: Timer F, or the transport failed (a closed flow). */
  readonly lost: number;
  /** Bindings removed after `maxPingsLost` lost pings in a row (`removeOnTimeout`). */
  readonly removed: number;
}

/** A running pinger (see {@link createContactPinger}). */
export interface ContactPinger {
  /** The counters so far, a snapshot. */
  readonly stats: PingerStats;
  /** Stop pinging; pings in flight finish, their outcomes are dropped. Idempotent. */
  close(): void;
}

/** AORs read from the store per page while a partition is walked. */
const PAGE_AORS = 500;
/** Bindings whose lost pings are counted at most (the ones not answering since their last REGISTER). */
const MAX_COUNTED = 100_000;
/** The changes after which a binding's lost pings no longer count: it registered again, or is gone. */
const CHANGE_KINDS = ['inserted', 'refreshed', 'updated', 'deleted', 'expired'] as const;

type Resolved = ResolvedPingSettings & {
  readonly from: string;
  readonly registrar: Registrar;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly resolver: SipResolver;
};

const keyOf = (aor: string, contact: string): string => `${aor}\n${contact}`;

/**
 * Pings the registered contacts as the `nathelper` module's SIP pinging does (`natping_interval`
 * with `sipping_from`/`sipping_method`): every `intervalMs` each live binding gets a request of
 * `method` (OPTIONS by default, RFC 3261 §11), the AORs split into `partitions` pinged one after
 * the other across the interval. A ping goes where a request routed to the binding would go
 * (its flow, Path, `received` address or Contact, from the socket it registered through) as a
 * non-INVITE client transaction through `sendRequest` (retransmissions, Timer F). The time from
 * the request to its final response, any status (a 404 or 405 still comes from a live device),
 * is recorded with `registrar.recordLatency` in µs for the lookup flags `y` and `Y`
 * (`maxPingLatencyUs`, `sortByLatency`). After `maxPingsLost` pings in a row without one, with
 * `removeOnTimeout` (`remove_on_timeout_bflag`), the binding is removed through
 * `registrar.remove`. Connection-oriented bindings are pinged only with `pingTcp` (`natping_tcp`);
 * push-notification devices (RFC 8599) are never pinged: a sleeping phone does not answer and
 * must not be removed for it.
 * @throws {@link ConfigError} for bad options (each {@link ContactPingerOptions} field says its range), or without a registrar or transport.
 */
export function createContactPinger(options: ContactPingerOptions): ContactPinger {
  if (options?.registrar === undefined) throw new ConfigError('createContactPinger needs options.registrar (the registrar whose contacts it pings)');
  if (options.transport === undefined) throw new ConfigError('createContactPinger needs options.transport (the pings are sent through it)');
  const settings = resolvePingSettings(options);
  const { registrar, transport } = options;
  const first = transport.endpoints()[0];
  const from = settings.from ?? (first === undefined ? undefined : `sip:pinger@${bracketHost(first.address)}`);
  if (from === undefined) throw new ConfigError('createContactPinger: the transport has no socket to name in the From of the pings; set options.from (sipping_from)');
  return new NatPinger(Object.freeze({
    ...settings,
    from,
    registrar,
    transport,
    clock: options.clock ?? registrar.options.clock,
    logger: options.logger ?? registrar.options.logger,
    resolver: registrar.options.resolver,
  }));
}

/** The pinger of {@link createContactPinger}. */
class NatPinger implements ContactPinger {
  readonly #o: Resolved;
  readonly #send: SendRequestContext;
  /** Bindings (`aor\ncontact`) with a ping in flight: an interval shorter than Timer F does not stack pings. */
  readonly #inFlight = new Set<string>();
  /** Lost pings in a row by binding, forgotten when it answers, registers again or goes. */
  readonly #lostInRow = new LRUCache<string, number>({ max: MAX_COUNTED });
  readonly #forget = (change: BindingChange): void => {
    this.#lostInRow.delete(keyOf(change.aor, change.binding.contact));
  };
  #timer: TimerHandle | undefined;
  #tick = 0;
  #walking = false;
  #closed = false;
  #sent = 0;
  #answered = 0;
  #lost = 0;
  #removed = 0;

  constructor(o: Resolved) {
    this.#o = o;
    this.#send = { transport: o.transport, resolver: o.resolver, branches: new BranchIds() };
    for (const kind of CHANGE_KINDS) o.registrar.on(kind, this.#forget);
    this.#schedule();
  }

  get stats(): PingerStats {
    return Object.freeze({ sent: this.#sent, answered: this.#answered, lost: this.#lost, removed: this.#removed });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    for (const kind of CHANGE_KINDS) this.#o.registrar.off(kind, this.#forget);
    this.#lostInRow.clear();
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimer(this.#o.intervalMs / this.#o.partitions, () => this.#onTick());
  }

  /** One partition's turn; skipped while the previous walk still reads the store. */
  #onTick(): void {
    const partition = this.#tick++ % this.#o.partitions;
    this.#schedule();
    if (this.#walking) {
      this.#o.logger.debug({ partition }, 'contact pinging: the previous partition is still being read; this one waits for its next turn');
      return;
    }
    this.#walking = true;
    this.#walk(partition)
      .catch((error: unknown) => this.#o.logger.warn({ err: error, partition }, 'contact pinging: reading the location failed'))
      .finally(() => {
        this.#walking = false;
      });
  }

  /** Ping every live binding of the AORs of `partition`, one page of AORs at a time. */
  async #walk(partition: number): Promise<void> {
    const { registrar, partitions, share } = this.#o;
    let cursor: string | undefined;
    do {
      const page = await pageAors(registrar.options.store, cursor, PAGE_AORS);
      for (const aor of page.aors) {
        if (this.#closed) return;
        const slot = pingSlot(aor, partitions, share.processes);
        if (slot % share.processes !== share.index || Math.floor(slot / share.processes) !== partition) continue;
        for (const binding of await registrar.bindings(aor)) void this.#ping(aor, binding);
      }
      cursor = page.next;
    } while (cursor !== undefined && !this.#closed);
  }

  /** Ping one binding and record what came of it. Never rejects. */
  async #ping(aor: string, binding: Binding): Promise<void> {
    const key = keyOf(aor, binding.contact);
    if (this.#closed || (binding.flags & BindingFlags.push) !== 0 || this.#inFlight.has(key)) return;
    this.#inFlight.add(key);
    try {
      const o = this.#o;
      const target = targetOf(aor, binding);
      const to = await pingDestination(target, o.transport.endpoints(), o.resolver);
      if (to === undefined || (to.destination.protocol !== 'udp' && !o.pingTcp) || this.#closed) return;
      const random = o.resolver.random;
      const started = o.clock.now();
      this.#sent++;
      const result = await sendRequest(this.#send, {
        method: o.method,
        requestUri: binding.contact,
        routes: target.route,
        from: `<${o.from}>;tag=${randomToken(random).slice(0, 10)}`,
        to: `<${binding.contact}>`,
        callId: randomToken(random),
        cseq: 1,
      }, 'png', to);
      if (this.#closed) return;
      if (result.kind === 'response') {
        this.#answered++;
        this.#lostInRow.delete(key);
        o.registrar.recordLatency(aor, binding.contact, (o.clock.now() - started) * 1000);
      } else {
        this.#lost++;
        await this.#pingLost(aor, binding, key);
      }
    } catch (error) {
      this.#o.logger.warn({ err: error, aor, contact: binding.contact }, 'contact pinging failed');
    } finally {
      this.#inFlight.delete(key);
    }
  }

  /** A ping of `binding` got no final response: count it, and remove the binding at `maxPingsLost` with `removeOnTimeout`. */
  async #pingLost(aor: string, binding: Binding, key: string): Promise<void> {
    const { maxPingsLost, removeOnTimeout, registrar, logger } = this.#o;
    const lost = Math.min((this.#lostInRow.get(key) ?? 0) + 1, maxPingsLost);
    this.#lostInRow.set(key, lost);
    if (lost < maxPingsLost || !removeOnTimeout) return;
    this.#lostInRow.delete(key);
    const removed = await registrar.remove({ aor, contact: binding.contact });
    this.#removed += removed;
    if (removed > 0) logger.info({ aor, contact: binding.contact, lost }, 'contact removed: its pings went unanswered');
  }
}
