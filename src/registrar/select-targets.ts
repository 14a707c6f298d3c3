import type { Binding } from '../ports/binding';
import { isDatagramFlow } from '../features/outbound/flow-token';
import type { LookupOptions } from './lookup-options';
import { StoreError } from '../errors/sdk-error';

/** Where a request for an AOR goes: one per selected binding (RFC 3261 §16.5). */
export interface LookupTarget {
  readonly aor: string;
  /** The new Request-URI: the registered Contact URI. */
  readonly uri: string;
  /** Where to send it when not to `uri` itself: the NAT `received` address (a SIP URI). */
  readonly destination?: string;
  /** Route set to push in front of the request (the stored Path, RFC 3327 §5.3). */
  readonly route: readonly string[];
  /** Local socket the binding was registered through (`proto:ip:port`). */
  readonly socket?: string;
  /**
   * The connection to send over instead (RFC 5626 §5.3, RFC 7118 §5): the flow token of a binding
   * registered directly over TCP/TLS/WS with outbound or with a `.invalid` Contact host. A flow
   * that has closed is answered `430 Flow Failed`, never reached some other way.
   */
  readonly flow?: string;
  /** q in thousandths, -1 when unspecified. */
  readonly q: number;
  /** Host attributes saved with the binding (OpenSIPS `attr_avp`). */
  readonly attr?: string;
  readonly binding: Binding;
}

/**
 * A push-notification device a lookup had to wake before a request can reach it (RFC 8599 §6):
 * the push is sent (`contact-refresh` event and the `PushNotifier`); `refreshed` settles with the
 * device's new target when it re-registers within `pn_refresh_timeout`, else with `undefined`.
 */
export interface PushPendingTarget {
  readonly aor: string;
  /** The binding pushed (its Contact still carries the `pn-*` parameters). */
  readonly binding: Binding;
  /** The target to fork the waiting request to (its `pn-*` parameters stripped), or undefined. */
  readonly refreshed: Promise<LookupTarget | undefined>;
}

/**
 * The answer of a lookup (OpenSIPS `lookup()` return codes in `code`):
 * `found` (1) with targets ordered by q, then most recent first, plus any push started for
 * sleeping devices; `push-pending` (2): only sleeping push devices, every one pushed — wait for
 * their `refreshed` targets instead of forwarding now; `not-found` (-1), with `status` 480 when
 * a GRUU names an instance not registered right now (RFC 5627 §6.1), else 404;
 * `method-not-supported` (-2): bindings exist but none allows the method; `error` (-3, OpenSIPS's
 * internal error): the location store failed, so nothing is known about the AOR — answer 503
 * with `Retry-After` when `transient` (RFC 3261 §21.5.4, as a REGISTER is told), else 500.
 */
export type LookupResult =
  | {
      readonly kind: 'found';
      readonly code: 1;
      readonly aor: string;
      /** The target that replaces the Request-URI (absent with `toBranchesOnly`). */
      readonly ruri?: LookupTarget;
      /** Additional branches to fork to (empty with `noBranches`). */
      readonly branches: readonly LookupTarget[];
      /** Every selected target in order (`ruri` first, then `branches`). */
      readonly targets: readonly LookupTarget[];
      /** Push devices woken alongside (RFC 8599): fork to them too once they re-register. */
      readonly pending?: readonly PushPendingTarget[];
    }
  | { readonly kind: 'push-pending'; readonly code: 2; readonly aor: string; readonly pending: readonly PushPendingTarget[] }
  | { readonly kind: 'not-found'; readonly code: -1; readonly aor: string; readonly status?: 404 | 480 }
  | { readonly kind: 'method-not-supported'; readonly code: -2; readonly aor: string }
  | {
      readonly kind: 'error';
      readonly code: -3;
      readonly aor: string;
      /** What the store threw or rejected with. */
      readonly error: unknown;
      /** True when `error` is a {@link StoreError} marked transient: the store is away for now, a retry may succeed. */
      readonly transient: boolean;
    };

/** The `found` variant of {@link LookupResult}. */
export type LookupFound = Extract<LookupResult, { kind: 'found' }>;

/** The `error` variant of {@link LookupResult}: the location store failed. */
export type LookupError = Extract<LookupResult, { kind: 'error' }>;

/** The {@link LookupError} of `aor` for what the store threw or rejected with. */
export function lookupError(aor: string, error: unknown): LookupError {
  return { kind: 'error', code: -3, aor, error, transient: error instanceof StoreError && error.transient };
}

/** The bindings of one AOR, as input to {@link selectTargets}. */
export interface AorBindings {
  readonly aor: string;
  readonly bindings: readonly Binding[];
}

/** Recorded ping latency of a binding in µs, or undefined when never measured: a read of measurements, no I/O. */
export type LatencyOf = (aor: string, contact: string) => number | undefined;

const NOT_MEASURED: LatencyOf = () => undefined;

function byQThenRecency(a: LookupTarget, b: LookupTarget): number {
  return b.q - a.q || b.binding.updatedAt - a.binding.updatedAt;
}

/** Shared empty lists of results (read-only, so one frozen instance serves every lookup). */
const NO_ROUTE: readonly string[] = Object.freeze([]);
const NO_TARGETS: readonly LookupTarget[] = Object.freeze([]);

/** The URI inside a Path value (`<sip:edge;lr>` → `sip:edge;lr`). */
function pathUri(value: string): string {
  const open = value.indexOf('<');
  if (open < 0) return value.trim();
  const close = value.indexOf('>', open);
  return value.slice(open + 1, close < 0 ? value.length : close);
}

/**
 * The lookup target of a binding: its Contact as the new Request-URI; with a stored Path, the
 * Path as the route set and the first Path URI as the destination (RFC 3327 §5.3: NAT is the edge
 * proxy's business), else the NAT `received` address as the destination, and the connection it
 * registered on when it has a flow over one (RFC 5626 §5.3; a datagram flow is its `received`).
 */
export function targetOf(aor: string, b: Binding): LookupTarget {
  const path = b.path;
  const routed = path !== undefined && path.length > 0;
  const flow = b.flow;
  return {
    aor,
    uri: b.contact,
    destination: routed ? pathUri(path[0]) : b.received,
    route: path ?? NO_ROUTE,
    socket: b.socket,
    flow: routed || flow === undefined || isDatagramFlow(flow) ? undefined : flow,
    q: b.q,
    attr: b.attr,
    binding: b,
  };
}

/**
 * Choose the targets of a request among AORs' bindings (OpenSIPS `lookup()`): expired
 * bindings are skipped; `methodFiltering` keeps bindings whose REGISTER allowed the method
 * (no `Allow` = every method); `uaFilter` matches the User-Agent; `maxPingLatencyUs` drops slow
 * contacts and `sortByLatency` orders by latency, else by q then recency (RFC 3261 §16.6: q
 * orders the targets). Pure: `options` are values, `latencyOf` reads the recorded ping times
 * (none without it), and time comes from `nowMs`.
 */
export function selectTargets(
  sets: readonly AorBindings[],
  method: string,
  options: LookupOptions,
  nowMs: number,
  latencyOf: LatencyOf = NOT_MEASURED,
): LookupResult {
  const first = sets[0]?.aor ?? '';
  // Created with its first target: an empty array would grow to 17 slots on the first push.
  let targets: LookupTarget[] | undefined;
  let alive = 0;
  let methodRejected = 0;
  for (const { aor, bindings } of sets) {
    for (const b of bindings) {
      if (b.expiresAt <= nowMs) continue;
      alive++;
      if (options.methodFiltering && b.methods !== undefined && !b.methods.includes(method)) {
        methodRejected++;
        continue;
      }
      if (options.uaFilter !== undefined && !options.uaFilter.test(b.userAgent ?? '')) continue;
      if (options.maxPingLatencyUs !== undefined) {
        const l = latencyOf(aor, b.contact);
        if (l !== undefined && l > options.maxPingLatencyUs) continue;
      }
      const target = targetOf(aor, b);
      if (targets === undefined) targets = [target];
      else targets.push(target);
    }
  }
  if (targets === undefined) {
    return alive > 0 && methodRejected === alive
      ? { kind: 'method-not-supported', code: -2, aor: first }
      : { kind: 'not-found', code: -1, aor: first };
  }
  if (options.sortByLatency && targets.length > 1) {
    const key = (t: LookupTarget): number => latencyOf(t.aor, t.uri) ?? Number.MAX_SAFE_INTEGER;
    targets.sort((a, b) => key(a) - key(b) || byQThenRecency(a, b));
  } else if (targets.length > 1) {
    targets.sort(byQThenRecency);
  }
  return shapeTargets(first, targets, options);
}

/**
 * A `found` result from ordered targets, cut per the options (OpenSIPS `b` and `B` lookup flags):
 * every target as a branch with `toBranchesOnly`, only the first with `noBranches`.
 */
export function shapeTargets(first: string, targets: readonly LookupTarget[], options: LookupOptions): LookupFound {
  if (options.toBranchesOnly) return { kind: 'found', code: 1, aor: first, branches: targets, targets };
  const ruri = targets[0];
  if (targets.length === 1) return { kind: 'found', code: 1, aor: first, ruri, branches: NO_TARGETS, targets };
  if (options.noBranches) return { kind: 'found', code: 1, aor: first, ruri, branches: NO_TARGETS, targets: [ruri] };
  return { kind: 'found', code: 1, aor: first, ruri, branches: targets.slice(1), targets };
}
