import { createHash } from 'node:crypto';
import type { Binding } from '../ports/binding';
import type { BindingChange } from '../registrar/binding-change';
import { parseParams } from '../sip/headers/params';
import type { Removal } from './apply-registration';
import type { ContactEvent, ReginfoContact, ReginfoRegistration, ReginfoUnknownParam } from './reginfo-document';

/** What happened to one contact since the last document: its binding and the RFC 3680 event. */
export interface ContactChange {
  readonly binding: Binding;
  readonly event: ContactEvent;
}

/** The events that leave a contact terminated (RFC 3680 §5.2). */
const TERMINATING: ReadonlySet<ContactEvent> = new Set(['expired', 'deactivated', 'probation', 'unregistered', 'rejected']);

/** True when `event` terminates a contact (RFC 3680 §5.2). */
export const isTerminating = (event: ContactEvent): boolean => TERMINATING.has(event);

/**
 * The RFC 3680 §5.2 event of a registrar change, as OpenSIPS pua_reginfo reports its usrloc
 * callbacks: a new contact is `registered`, a refreshed or updated one `refreshed`, a removed one
 * `unregistered`, one whose lifetime ran out `expired`.
 */
export function contactEventOf(change: BindingChange): ContactEvent {
  switch (change.kind) {
    case 'inserted': return 'registered';
    case 'refreshed':
    case 'updated': return 'refreshed';
    case 'deleted': return 'unregistered';
    case 'expired': return 'expired';
  }
}

/**
 * The removal a `deleted` or `expired` change reports (see {@link Removal}): when it happened (the
 * de-REGISTER's time, else `nowMs`; for an expiry, the registration's last update), and the binding's Call-ID with the CSeq of the
 * de-REGISTER when it was sent in that Call-ID (RFC 3261 §10.3 step 7 order).
 */
export function removalOf(change: BindingChange, nowMs: number): Removal {
  const { binding, removedBy } = change;
  // An expiry ends the registration as last updated: anything newer is news (copies expire a little apart).
  if (change.kind === 'expired') return { at: binding.updatedAt, callId: binding.callId, cseq: binding.cseq };
  const cseq = removedBy?.callId === binding.callId ? Math.max(removedBy.cseq, binding.cseq) : binding.cseq;
  return { at: removedBy?.at ?? nowMs, callId: binding.callId, cseq };
}

/**
 * What a registrar change tells watchers, by Contact URI: the binding with its
 * {@link contactEventOf} event (an ended one with its {@link removalOf} CSeq, and its time as
 * `updatedAt`); an update that moved the binding to another Contact URI (an RFC 5626 flow
 * re-registered from a new address) also ends the old URI (`unregistered`).
 */
export function contactChangesOf(change: BindingChange, nowMs: number): [string, ContactChange][] {
  const { binding, previous } = change;
  let reported = binding;
  if (change.kind === 'deleted' || change.kind === 'expired') {
    const removal = removalOf(change, nowMs);
    reported = { ...binding, cseq: removal.cseq, updatedAt: removal.at };
  }
  const out: [string, ContactChange][] = [[binding.contact, { binding: reported, event: contactEventOf(change) }]];
  if (previous !== undefined && previous.contact !== binding.contact) out.push([previous.contact, { binding: previous, event: 'unregistered' }]);
  return out;
}

/**
 * A stable id for an AOR or a Contact (RFC 3680 §5.4: the same registration and contact keep
 * their id across documents): 16 hex digits of its SHA-256.
 */
export function reginfoId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * A binding's Contact parameters as `<unknown-param>` elements (RFC 3680 §5.4): the ones it echoes,
 * then `+sip.instance`, `reg-id` and `methods`, which it keeps in fields of their own.
 */
function unknownParams(b: Binding): ReginfoUnknownParam[] | undefined {
  const out: ReginfoUnknownParam[] = [];
  const echoed = b.params === undefined ? undefined : parseParams(b.params, 0, b.params.length);
  for (const name in echoed) out.push({ name, value: echoed[name] ?? '' });
  if (b.instanceId !== undefined) out.push({ name: '+sip.instance', value: `"${b.instanceId}"` });
  if (b.regId !== undefined) out.push({ name: 'reg-id', value: String(b.regId) });
  if (b.methods !== undefined) out.push({ name: 'methods', value: `"${b.methods.join(',')}"` });
  return out.length === 0 ? undefined : out;
}

/** The `<contact>` element of a binding (RFC 3680 §5.4), with what OpenSIPS adds (received, path, user agent). */
export function contactOf(b: Binding, event: ContactEvent, nowMs: number): ReginfoContact {
  const terminated = isTerminating(event);
  const params = unknownParams(b);
  return {
    id: reginfoId(b.contact),
    state: terminated ? 'terminated' : 'active',
    event,
    uri: b.contact,
    expiresSec: terminated ? 0 : Math.max(0, Math.ceil((b.expiresAt - nowMs) / 1000)),
    ...(b.q >= 0 ? { q: b.q } : {}),
    callId: b.callId,
    cseq: b.cseq,
    ...(b.received === undefined ? {} : { received: b.received }),
    ...(b.path === undefined || b.path.length === 0 ? {} : { path: b.path }),
    ...(b.userAgent === undefined ? {} : { userAgent: b.userAgent }),
    updatedAt: b.updatedAt,
    ...(params === undefined ? {} : { unknownParams: params }),
  };
}

/**
 * The `<registration>` element of an AOR (RFC 3680 §5.4). `live` are its bindings now; `changed`
 * what happened since the last document, by Contact URI. Full state lists every live contact
 * (`registered` unless it changed) and the ones that just ended; partial state only the changed
 * ones. The registration is `active` while a contact is, `init` when it never had one in this
 * document, `terminated` otherwise (RFC 3680 §5.1).
 */
export function registrationOf(
  aorUri: string,
  live: readonly Binding[],
  changed: ReadonlyMap<string, ContactChange>,
  nowMs: number,
  full: boolean,
): ReginfoRegistration {
  const contacts: ReginfoContact[] = [];
  if (full) {
    for (const b of live) contacts.push(contactOf(b, changed.get(b.contact)?.event ?? 'registered', nowMs));
    for (const c of changed.values()) {
      if (isTerminating(c.event) && !live.some((b) => b.contact === c.binding.contact)) contacts.push(contactOf(c.binding, c.event, nowMs));
    }
  } else {
    for (const c of changed.values()) contacts.push(contactOf(c.binding, c.event, nowMs));
  }
  const state = live.length > 0 ? 'active' : full && contacts.length === 0 ? 'init' : 'terminated';
  return { aor: aorUri, id: reginfoId(aorUri), state, contacts };
}
