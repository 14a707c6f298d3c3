import type { Binding } from '../ports/binding';
import { BindingFlags } from '../ports/binding';
import type { BindingChange } from '../registrar/binding-change';
import type { BindingsEdit } from '../registrar/registrar';
import { unquote } from '../registrar/contact-values';
import { uriEquals } from '../sip/uri';
import type { ReginfoContact, ReginfoRegistration } from './reginfo-document';
import { isTerminating } from './registration-from-bindings';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Parameters a binding keeps in fields of their own instead of in `params`. */
const OWN_FIELDS = new Set(['+sip.instance', 'reg-id', 'methods', 'expires', 'q']);

/**
 * The binding a `<contact>` element describes (RFC 3680 §5.4), as OpenSIPS pua_reginfo stores
 * it: the lifetime from `expires`, Call-ID and CSeq from `callid`/`cseq` (the contact id and 0
 * when absent), `received`, `path` and `user_agent` when sent, the `<unknown-param>`s back as
 * Contact parameters (`+sip.instance`, `reg-id` and `methods` into their fields).
 */
export function bindingOf(c: ReginfoContact, nowMs: number): Binding {
  const binding: Mutable<Binding> = {
    contact: c.uri,
    callId: c.callId ?? c.id,
    cseq: c.cseq ?? 0,
    expiresAt: nowMs + (c.expiresSec ?? 0) * 1000,
    q: c.q ?? -1,
    updatedAt: c.updatedAt ?? nowMs,
    flags: BindingFlags.reginfo | (c.received ? BindingFlags.nat : 0),
  };
  // Kamailio writes received="" and path="" for none: empty means absent.
  if (c.received) binding.received = c.received;
  if (c.path !== undefined && c.path.length > 0) binding.path = c.path;
  if (c.userAgent) binding.userAgent = c.userAgent;
  let params = '';
  for (const p of c.unknownParams ?? []) {
    if (p.name === '+sip.instance') binding.instanceId = unquote(p.value);
    else if (p.name === 'reg-id' && /^\d+$/.test(p.value)) binding.regId = Number(p.value);
    else if (p.name === 'methods') binding.methods = unquote(p.value).split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
    if (!OWN_FIELDS.has(p.name)) params += p.value === '' ? `;${p.name}` : `;${p.name}=${p.value}`;
  }
  if (params !== '') binding.params = params;
  return binding;
}

/** Whether `b` was learned from a NOTIFY rather than registered here. */
const learned = (b: Binding): boolean => (b.flags & BindingFlags.reginfo) !== 0;

/**
 * Whether a NOTIFY's `incoming` registration of a Contact replaces the `current` one:
 * - the same Call-ID: when its CSeq is higher (RFC 3261 §10.3 step 7 ordering), or, without a
 *   CSeq, when the expiry moved;
 * - another Call-ID, without `last_modified_ms` (another implementation's NOTIFY): always, as
 *   OpenSIPS does;
 * - another Call-ID over a binding learned from a NOTIFY: always (a watcher follows its notifier);
 * - another Call-ID over this node's own registration: when it was registered later, the greater
 *   Call-ID breaking a tie, so two nodes that both registered the Contact at once keep the same one.
 * Nothing else changes anything, so two nodes that notify each other stop after one round.
 */
function supersedes(current: Binding, incoming: Binding, c: ReginfoContact): boolean {
  if (current.callId === incoming.callId) {
    return c.cseq !== undefined ? incoming.cseq > current.cseq : Math.abs(current.expiresAt - incoming.expiresAt) > 1000;
  }
  if (c.updatedAt === undefined || learned(current)) return true;
  return incoming.updatedAt > current.updatedAt || (incoming.updatedAt === current.updatedAt && incoming.callId > current.callId);
}

/** What a node remembers of a Contact it removed: when (its clock), and the Call-ID and CSeq that removed it. */
export interface Removal {
  readonly at: number;
  readonly callId: string;
  readonly cseq: number;
}

/**
 * Whether a registration is news from before a removal that crossed it on the way: registered
 * before the removal (`last_modified_ms` against the removal's time), or, in the removing
 * Call-ID, with a CSeq no higher than the removing one (RFC 3261 §10.3 step 7 order). Two
 * registrations in one millisecond have no order to agree on; with clocks apart, a registration
 * a little after a removal on the faster node's clock waits for its next refresh to come across.
 */
function predates(c: ReginfoContact, removal: Removal | undefined): boolean {
  if (removal === undefined || c.updatedAt === undefined) return false;
  return c.updatedAt < removal.at || (c.callId === removal.callId && c.cseq !== undefined && c.cseq <= removal.cseq);
}

/**
 * Whether an ended contact removes `current`: one learned from a NOTIFY, the same registration
 * (no newer CSeq), or one registered no later than the removal (`last_modified_ms` of an ended
 * contact is when it ended). Without a Call-ID to compare, always (OpenSIPS).
 */
const endedBy = (current: Binding, c: ReginfoContact): boolean =>
  learned(current) || c.callId === undefined
  || (current.callId === c.callId && (c.cseq === undefined || current.cseq <= c.cseq))
  || (c.updatedAt !== undefined && current.updatedAt <= c.updatedAt);

/**
 * The edit a NOTIFY's `<registration>` makes to the AOR's stored bindings (RFC 3680 §5.4;
 * OpenSIPS `reginfo_handle_notify`): an active contact is inserted, or updated when it
 * supersedes the stored registration (a later one) (flagged {@link BindingFlags.reginfo}); a terminated one is
 * removed (`expired` when its event says so, else `deleted`) unless this node holds another
 * registration of that Contact. A registration that is not active, and in full state every binding the
 * document does not list, remove the bindings learned from NOTIFYs; the ones this node's own UAs
 * registered stay (OpenSIPS deletes them too, which makes two nodes that notify each other delete
 * each other's fresh registrations). Bindings whose lifetime already ran out leave as `expired`.
 * Every change carries `origin: 'reginfo'` and `originUri`. Undefined when nothing changes.
 * @param originUri - the notifier's Contact, see {@link BindingChange.originUri}.
 * @param removalOf - what this node remembers of its last removal of a Contact of the AOR: a
 *   registration from before it (see {@link Removal}) is not brought back.
 */
export function applyRegistration(
  aor: string,
  stored: readonly Binding[],
  registration: ReginfoRegistration,
  full: boolean,
  nowMs: number,
  originUri?: string,
  removalOf: (contact: string) => Removal | undefined = () => undefined,
): BindingsEdit | undefined {
  const origin = { origin: 'reginfo', ...(originUri === undefined ? {} : { originUri }) } as const;
  const changes: BindingChange[] = [];
  const next: Binding[] = [];
  for (const b of stored) {
    if (b.expiresAt > nowMs) next.push(b);
    else changes.push({ kind: 'expired', aor, binding: b, ...origin });
  }
  const removeAt = (i: number, kind: 'deleted' | 'expired', c?: ReginfoContact): void => {
    const b = next[i];
    const removedBy = c === undefined ? undefined : { callId: c.callId ?? b.callId, cseq: c.cseq ?? b.cseq, at: c.updatedAt ?? nowMs };
    changes.push({ kind, aor, binding: b, ...origin, ...(removedBy === undefined ? {} : { removedBy }) });
    next.splice(i, 1);
  };
  const listed = new Set<Binding>();
  const active = registration.state === 'active';
  for (const c of registration.contacts) {
    const i = next.findIndex((b) => b.contact === c.uri || uriEquals(b.contact, c.uri));
    if (isTerminating(c.event) || c.state === 'terminated' || c.expiresSec === 0 || !active) {
      if (i >= 0 && endedBy(next[i], c)) removeAt(i, c.event === 'expired' ? 'expired' : 'deleted', c);
      continue;
    }
    const incoming = bindingOf(c, nowMs);
    if (i < 0 && predates(c, removalOf(c.uri))) continue;
    if (i < 0) {
      next.push(incoming);
      listed.add(incoming);
      changes.push({ kind: 'inserted', aor, binding: incoming, ...origin });
    } else if (!supersedes(next[i], incoming, c)) {
      listed.add(next[i]);
    } else {
      const previous = next[i];
      next[i] = incoming;
      listed.add(incoming);
      const kind = previous.callId === incoming.callId ? 'refreshed' : 'updated';
      changes.push({ kind, aor, binding: incoming, previous, ...origin });
    }
  }
  if (full || !active) {
    for (let i = next.length - 1; i >= 0; i--) if (!listed.has(next[i]) && learned(next[i])) removeAt(i, 'deleted');
  }
  return changes.length === 0 ? undefined : { bindings: next, changes };
}
