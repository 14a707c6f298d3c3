import type { Binding } from '../ports/binding';
import { BindingFlags } from '../ports/binding';
import type { NameAddrValue, SipRequest } from '../sip/message';
import { parseUri } from '../sip/uri';
import type { Result } from '../errors/result';
import { err, ok } from '../errors/result';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import type { BindingChange } from './binding-change';
import { parseDeltaSeconds } from '../sip/headers/delta-seconds';
import { parseQValue, unquote } from './contact-values';
import type { MatchingMode, SaveOptions } from './save-options';
import { bracketHost, formatEndpoint, unbracket } from '../sip/socket-address';
import { contactTarget } from './contact-target';
import { localSocketNamed } from './local-socket-named';
import { sameList } from './same-list';
import { grantedLifetime } from './granted-lifetime';
import type { BindingExtras, SaveHookContext } from '../features/registrar-feature';
import type { Interner } from './interner';
import type { SaveHooks, SavePolicy } from './save-policy';

/** The decision of {@link planSave}: the AOR's new binding list and what changed. */
export interface SavePlan {
  /** Every binding the AOR has after the save (expired ones dropped). */
  readonly bindings: readonly Binding[];
  /** Inserted/refreshed/updated/deleted bindings, in request order, then evictions. */
  readonly changes: readonly BindingChange[];
  /** Bindings of this request's Contacts that are alive after the save (for `onlyRequestContacts`). */
  readonly requestBindings: readonly Binding[];
  /** Bindings whose lifetime had run out and that this save drops. */
  readonly expired: readonly Binding[];
  /** True when nothing needs committing (a query, or a pure retransmission). */
  readonly unchanged: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const IGNORED_ECHO_PARAMS = new Set(['expires', 'q', '+sip.instance', 'reg-id', 'methods', 'received']);

function matches(b: Binding, uri: string, callId: string, mode: MatchingMode, paramValue: string | undefined): boolean {
  if (mode === 0) return b.contact === uri;
  if (mode === 1) return b.contact === uri && b.callId === callId;
  return paramValue !== undefined && uriParam(b.contact, mode.param) === paramValue;
}

function uriParam(uri: string, name: string): string | undefined {
  const v = parseUri(uri)?.params[name.toLowerCase()];
  return v === null ? '' : v;
}

/**
 * The `received` of a Contact (`policy.receivedMode`): the explicit one, else under `nat` the
 * source unless the Contact's target ({@link contactTarget}: its `maddr`, else its host, and
 * port) is the source, else under `always` the source.
 */
function receivedFor(uri: string, save: SaveOptions, policy: SavePolicy): string | undefined {
  if (save.received !== undefined) return save.received;
  const source = save.source;
  const mode = policy.receivedMode;
  if (source === undefined || mode === 'explicit') return undefined;
  if (mode === 'nat') {
    const u = contactTarget(uri);
    const host = u === undefined ? undefined : unbracket(u.host);
    const defaultPort = u?.scheme === 'sips' || source.protocol === 'tls' ? 5061 : 5060;
    if (u !== undefined && host === source.address && (u.port ?? defaultPort) === source.port) return undefined;
  }
  return `sip:${bracketHost(source.address)}:${source.port}${source.protocol === 'udp' ? '' : `;transport=${source.protocol}`}`;
}

/**
 * The socket a binding is stored with: the one the REGISTER was received on, or with the
 * `socketHeader` flag the one its `sockHdrName` header names — when that is a local socket
 * ({@link localSocketNamed}; as given when the policy cannot tell its sockets).
 */
function socketFor(request: SipRequest, save: SaveOptions, policy: SavePolicy): string | undefined {
  let local = save.source?.local;
  if (save.socketHeader && policy.sockHdrName !== undefined) {
    const v = request.header(policy.sockHdrName);
    if (v !== undefined) {
      if (policy.localSockets === undefined) return v;
      local = localSocketNamed(v, policy.localSockets()) ?? local;
    }
  }
  if (local === undefined) return undefined;
  return policy.intern === undefined ? formatEndpoint(local) : policy.intern.socket(local);
}

function echoParams(params: Readonly<Record<string, string | null>>): string | undefined {
  let out = '';
  for (const name in params) {
    if (IGNORED_ECHO_PARAMS.has(name)) continue;
    const v = params[name];
    out += v === null ? `;${name}` : `;${name}=${v}`;
  }
  return out === '' ? undefined : out;
}

/** The rules {@link lifetimeOf} applies. */
export type LifetimePolicy = Pick<SavePolicy, 'defaultExpires' | 'minExpires' | 'maxExpires' | 'minExpiresMode'>;

/**
 * The lifetime granted to one Contact (s; 0 removes it), or why the request is refused: RFC 3261
 * §10.3 step 6 (the Contact's `expires`, else the `Expires` header, else the default), clamped
 * to the minimum and maximum as OpenSIPS does (or 423 with `minExpiresMode: 'reject'`).
 */
export function lifetimeOf(c: NameAddrValue, request: SipRequest, save: SaveOptions, policy: LifetimePolicy): number | RegError {
  let expires: number | undefined;
  const upstream = save.upstreamReply;
  if (upstream !== undefined) {
    expires = grantedLifetime(upstream.response, (uri) => uri === upstream.mcontact) ?? upstream.response.expires;
    if (expires === undefined) return policy.defaultExpires;
    return expires;
  }
  const confirmed = save.confirmedLifetime;
  if (confirmed !== undefined) {
    const lifetime = confirmed(c);
    if (lifetime === undefined) return 0;
    if (lifetime !== 'requested') return lifetime;
  }
  const p = c.params.expires;
  if (p !== undefined) {
    expires = p === null ? undefined : parseDeltaSeconds(p);
    if (expires === undefined) {
      // Digits beyond 2^32-1 count as absent (RFC 4475 §3.1.2.4); anything else is malformed.
      if (p === null || !/^\d+$/.test(p)) return regError('invalid-expires');
      expires = request.expires ?? policy.defaultExpires;
    }
  } else if (request.expires !== undefined) {
    expires = request.expires;
  } else if (request.header('expires') !== undefined) {
    return regError('expires-parse');
  } else {
    expires = policy.defaultExpires;
  }
  if (expires === 0) return 0;
  const min = save.minExpires ?? policy.minExpires;
  const max = save.maxExpires ?? policy.maxExpires;
  if (min > 0 && expires < min) {
    if (policy.minExpiresMode === 'reject') return regError('interval-too-brief', [['Min-Expires', String(min)]]);
    expires = min;
  }
  if (max > 0 && expires > max) expires = max;
  return expires;
}

/** RFC 3261 §10.3 step 7: the same Call-ID needs a higher CSeq; an equal one is a retransmission. */
function cseqCheck(b: Binding, callId: string, cseq: number, cseqDelay: number, nowMs: number): 'apply' | 'skip' | RegError {
  if (b.callId !== callId || cseq > b.cseq) return 'apply';
  if (cseq === b.cseq && b.updatedAt + cseqDelay * 1000 > nowMs) return 'skip';
  return regError('invalid-cseq');
}

/**
 * The update time of a REGISTER replacing a binding learned from a reg-event NOTIFY, which carries
 * the notifier's clock: later than that one even when the clocks differ or did not move, so that
 * every node orders the two registrations alike (a Lamport clock).
 */
const laterThan = (learned: Binding, nowMs: number): number => Math.max(nowMs, learned.updatedAt + 1);

function sameRegistration(a: Binding, b: Binding): boolean {
  return a.contact === b.contact && a.callId === b.callId && a.q === b.q && a.received === b.received && a.socket === b.socket
    && a.userAgent === b.userAgent && a.attr === b.attr && a.flags === b.flags && a.params === b.params
    && a.instanceId === b.instanceId && a.regId === b.regId && a.flow === b.flow && a.ownershipTag === b.ownershipTag && a.upstream === b.upstream
    && sameList(a.methods, b.methods) && sameList(a.path, b.path);
}

const NONE: readonly Binding[] = Object.freeze([]);
const NO_FEATURES: SaveHooks = Object.freeze({ checkRegister: [], matchBinding: [], bindingExtras: [] });

/** The first feature's own match of an uploaded Contact (index, -1 = new), or undefined. */
function featureMatch(features: SaveHooks, c: NameAddrValue, stored: readonly Binding[], hook: SaveHookContext): number | undefined {
  const matchers = features.matchBinding;
  for (let i = 0; i < matchers.length; i++) {
    const index = matchers[i].matchBinding?.(c, stored, hook);
    if (index !== undefined) return index;
  }
  return undefined;
}

/**
 * `fresh`, or the equal string a stored binding already holds: a refresh (RFC 3261 §10.3 step 7)
 * keeps alive the copy the store has, and the request's copy dies young, which the garbage
 * collector reclaims for free instead of promoting it.
 */
function storedCopy(stored: string | undefined, fresh: string): string {
  return stored === fresh ? stored : fresh;
}

/**
 * Merge a feature's {@link BindingExtras} into a binding being built (flags are OR-ed); values
 * equal to those of the `stored` binding it refreshes are taken from it (see {@link storedCopy}).
 */
function applyExtras(binding: Mutable<Binding>, extras: BindingExtras, stored: Binding | undefined): void {
  const path = extras.path;
  if (path !== undefined) binding.path = stored?.path !== undefined && sameList(stored.path, path) ? stored.path : path;
  if (extras.received !== undefined) binding.received = storedCopy(stored?.received, extras.received);
  if (extras.flow !== undefined) binding.flow = storedCopy(stored?.flow, extras.flow);
  if (extras.regId !== undefined) binding.regId = extras.regId;
  if (extras.flags !== undefined) binding.flags |= extras.flags;
}

/**
 * The methods of a Contact's `methods` parameter (RFC 3840 §9), upper-cased, shared through the
 * interner like `Allow` lists, since a fleet of phones repeats the same list.
 */
function contactMethods(param: string, intern: Interner | undefined): readonly string[] {
  const methods = unquote(param).split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== '');
  return intern === undefined ? methods : intern.methods(methods);
}

/** Live and expired bindings; the stored list itself when nothing expired (the common case). */
function splitExpired(bindings: readonly Binding[], nowMs: number): { current: readonly Binding[]; expired: readonly Binding[] } {
  let i = 0;
  while (i < bindings.length && bindings[i].expiresAt > nowMs) i++;
  if (i === bindings.length) return { current: bindings, expired: NONE };
  const current: Binding[] = [];
  const expired: Binding[] = [];
  for (let k = 0; k < bindings.length; k++) (bindings[k].expiresAt > nowMs ? current : expired).push(bindings[k]);
  return { current, expired };
}

/** The refusal over `max_contacts`: 503, which the reply gives `Retry-After` when `retryAfter` is set (see `buildErrorReply`). */
const TOO_MANY: RegError = regError('too-many-contacts');

/**
 * Decide what a REGISTER does to an AOR's bindings: RFC 3261 §10.3 steps 6-8 with the OpenSIPS
 * registrar's rules (lifetime clamping, max_contacts, force-registration, matching modes,
 * retransmission detection). Pure: `call` is the REGISTER with its AOR, per-call options and the
 * time (`call.nowMs`), also what the extensions' hooks see; `stored` the AOR's bindings as loaded
 * (expired ones included); `policy` holds no port, so nothing here does I/O.
 */
export function planSave(call: SaveHookContext, stored: readonly Binding[], policy: SavePolicy): Result<SavePlan, RegError> {
  const { request, save, nowMs, aor } = call;
  const cseqDelay = policy.cseqDelay;
  const callId = request.callId;
  const cseq = request.cseq.seq;
  const { current, expired } = splitExpired(stored, nowMs);
  const changes: BindingChange[] = [];

  const features = policy.features ?? NO_FEATURES;
  const hook = call;
  const checks = features.checkRegister;
  for (let i = 0; i < checks.length; i++) {
    const refused = checks[i].checkRegister?.(hook);
    if (refused !== undefined) return err(refused);
  }

  if (request.contacts === '*') {
    if (request.headerAll('contact').length > 1) return err(regError('star-contact'));
    if (request.expires !== 0) return err(regError('star-expires'));
    for (const b of current) {
      const check = cseqCheck(b, callId, cseq, cseqDelay, nowMs);
      if (check === 'skip') return ok({ bindings: current, changes: [], requestBindings: [], expired, unchanged: true });
      if (check !== 'apply') return err(check);
    }
    const removedBy = { callId, cseq, at: nowMs };
    for (const b of current) changes.push({ kind: 'deleted', aor, binding: b, removedBy });
    return ok({ bindings: [], changes, requestBindings: [], expired, unchanged: current.length === 0 && expired.length === 0 });
  }

  const contacts = request.contacts;
  if (contacts.length === 0) {
    return ok({ bindings: current, changes, requestBindings: [], expired, unchanged: true });
  }

  const mode = save.matchingMode ?? 0;
  // Copied by hand: slice() of a frozen array (what stores return) takes V8's slow path.
  const next: Binding[] = [];
  for (let k = 0; k < current.length; k++) next.push(current[k]);
  const requestBindings: Binding[] = [];
  const intern = policy.intern;
  const userAgent = request.userAgent === undefined || intern === undefined ? request.userAgent : intern.userAgent(request.userAgent);
  const allow = request.allow === undefined || intern === undefined ? request.allow : intern.methods(request.allow);
  const socket = socketFor(request, save, policy);
  let flagsBase = save.memoryOnly ? BindingFlags.memoryOnly : 0;
  if (save.upstreamReply !== undefined) flagsBase |= BindingFlags.cached;

  const extending = features.bindingExtras;
  for (let ci = 0; ci < contacts.length; ci++) {
    const c = contacts[ci];
    const uri = c.uri;
    if (uri.length > policy.maxContactLen) return err(regError('contact-too-long'));
    if (uri === '*') return err(regError('star-contact'));
    const expires = lifetimeOf(c, request, save, policy);
    if (typeof expires !== 'number') return err(expires);
    const paramValue = typeof mode === 'object' ? uriParam(uri, mode.param) : undefined;
    let index = featureMatch(features, c, next, hook);
    if (index === undefined) {
      index = -1;
      for (let k = 0; k < next.length; k++) {
        if (matches(next[k], uri, callId, mode, paramValue)) { index = k; break; }
      }
    }
    const found = index >= 0 ? next[index] : undefined;
    if (found !== undefined) {
      const check = cseqCheck(found, callId, cseq, cseqDelay, nowMs);
      if (check === 'skip') {
        requestBindings.push(found);
        continue;
      }
      if (check !== 'apply') return err(check);
    }
    if (expires === 0) {
      if (found !== undefined) {
        next.splice(index, 1);
        changes.push({ kind: 'deleted', aor, binding: found, removedBy: { callId, cseq, at: nowMs } });
      }
      continue;
    }
    let q = policy.defaultQ;
    const qParam = c.params.q;
    if (qParam !== undefined) {
      const parsed = qParam === null ? undefined : parseQValue(qParam);
      if (parsed === undefined) return err(regError('invalid-q'));
      q = parsed;
    }
    const received = receivedFor(uri, save, policy);
    const instance = c.params['+sip.instance'];
    const methodsParam = c.params.methods;
    const methods = methodsParam !== undefined && methodsParam !== null
      ? contactMethods(methodsParam, intern)
      : allow;
    // Fields most bindings have go in the literal (one hidden class, in-object slots); rare ones
    // are added after, which costs a property array only for the bindings that have them.
    const binding: Mutable<Binding> = {
      contact: storedCopy(found?.contact, uri),
      callId: storedCopy(found?.callId, callId),
      cseq,
      expiresAt: nowMs + expires * 1000,
      q,
      updatedAt: found === undefined || (found.flags & BindingFlags.reginfo) === 0 ? nowMs : laterThan(found, nowMs),
      flags: flagsBase | (received !== undefined ? BindingFlags.nat : 0),
      socket,
      userAgent,
      methods,
    };
    if (received !== undefined) binding.received = storedCopy(found?.received, received);
    if (typeof instance === 'string') binding.instanceId = storedCopy(found?.instanceId, unquote(instance));
    if (save.attr !== undefined) binding.attr = save.attr;
    if (save.ownershipTag !== undefined) binding.ownershipTag = save.ownershipTag;
    const params = echoParams(c.params);
    if (params !== undefined) binding.params = storedCopy(found?.params, params);
    for (let i = 0; i < extending.length; i++) {
      const extras = extending[i].bindingExtras?.(c, hook);
      if (extras !== undefined) applyExtras(binding, extras, found);
    }
    const upstream = save.upstreamRegistration?.(c) ?? found?.upstream;
    if (upstream !== undefined) binding.upstream = upstream;
    if (found !== undefined) {
      next[index] = binding;
      changes.push({ kind: sameRegistration(found, binding) ? 'refreshed' : 'updated', aor, binding, previous: found });
    } else {
      next.push(binding);
      changes.push({ kind: 'inserted', aor, binding });
    }
    requestBindings.push(binding);
  }

  const max = save.maxContacts ?? policy.maxContacts;
  if (max > 0 && next.length > max) {
    const inserted = changes.filter((ch) => ch.kind === 'inserted').length;
    if (!save.forceRegistration || inserted === 0) return err(TOO_MANY);
    const fresh = new Set(requestBindings);
    const evictable = next.filter((b) => !fresh.has(b)).sort((a, b) => a.updatedAt - b.updatedAt);
    while (next.length > max) {
      const victim = evictable.shift();
      if (victim === undefined) return err(TOO_MANY);
      next.splice(next.indexOf(victim), 1);
      changes.push({ kind: 'deleted', aor, binding: victim });
    }
  }

  return ok({ bindings: next, changes, requestBindings, expired, unchanged: changes.length === 0 });
}
