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
    updatedAt: nowMs,
    flags: BindingFlags.reginfo | (c.received === undefined ? 0 : BindingFlags.nat),
  };
  if (c.received !== undefined) binding.received = c.received;
  if (c.path !== undefined) binding.path = c.path;
  if (c.userAgent !== undefined) binding.userAgent = c.userAgent;
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

/**
 * True when `incoming` reports the registration `current` already holds: the same Call-ID with a
 * CSeq no higher (RFC 3261 §10.3 step 7 ordering), or, without a CSeq to compare, an expiry
 * within a second. Applying it would change nothing, so two nodes that notify each other stop
 * after one round.
 */
function alreadyHeld(current: Binding, incoming: Binding, hasCseq: boolean): boolean {
  if (hasCseq) return current.callId === incoming.callId && incoming.cseq <= current.cseq;
  return current.callId === incoming.callId && Math.abs(current.expiresAt - incoming.expiresAt) <= 1000;
}

const learned = (b: Binding): boolean => (b.flags & BindingFlags.reginfo) !== 0;

/**
 * The edit a NOTIFY's `<registration>` makes to the AOR's stored bindings (RFC 3680 §5.4;
 * OpenSIPS `reginfo_handle_notify`): an active contact is inserted or updated (flagged
 * {@link BindingFlags.reginfo}), a terminated one removed (`expired` when its event says so,
 * else `deleted`). A registration that is not active, and in full state every binding the
 * document does not list, remove the bindings learned from NOTIFYs; the ones this node's own UAs
 * registered stay (OpenSIPS deletes them too, which makes two nodes that notify each other delete
 * each other's fresh registrations). Bindings whose lifetime already ran out leave as `expired`.
 * Every change carries `origin: 'reginfo'` and `originUri`. Undefined when nothing changes.
 * @param originUri - the notifier's Contact, see {@link BindingChange.originUri}.
 */
export function applyRegistration(
  aor: string,
  stored: readonly Binding[],
  registration: ReginfoRegistration,
  full: boolean,
  nowMs: number,
  originUri?: string,
): BindingsEdit | undefined {
  const origin = { origin: 'reginfo', ...(originUri === undefined ? {} : { originUri }) } as const;
  const changes: BindingChange[] = [];
  const next: Binding[] = [];
  for (const b of stored) {
    if (b.expiresAt > nowMs) next.push(b);
    else changes.push({ kind: 'expired', aor, binding: b, ...origin });
  }
  const removeAt = (i: number, kind: 'deleted' | 'expired'): void => {
    changes.push({ kind, aor, binding: next[i], ...origin });
    next.splice(i, 1);
  };
  const listed = new Set<Binding>();
  const active = registration.state === 'active';
  for (const c of active ? registration.contacts : []) {
    const i = next.findIndex((b) => b.contact === c.uri || uriEquals(b.contact, c.uri));
    if (isTerminating(c.event) || c.state === 'terminated' || c.expiresSec === 0) {
      if (i >= 0) removeAt(i, c.event === 'expired' ? 'expired' : 'deleted');
      continue;
    }
    const incoming = bindingOf(c, nowMs);
    if (i < 0) {
      next.push(incoming);
      listed.add(incoming);
      changes.push({ kind: 'inserted', aor, binding: incoming, ...origin });
    } else if (alreadyHeld(next[i], incoming, c.cseq !== undefined)) {
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
