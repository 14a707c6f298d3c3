import { ConfigError } from '../../errors/sdk-error';
import { regError } from '../../errors/reg-error';
import type { Binding } from '../../ports/binding';
import { BindingFlags } from '../../ports/binding';
import type { BindingChange } from '../../registrar/binding-change';
import type { NameAddrValue, SipRequest } from '../../sip/message';
import { parseUri } from '../../sip/uri';
import type { RegistrarFeature, ReplyHeader, SaveHookContext } from '../registrar-feature';
import type { PnAction } from './pn-action';
import { pnActionOf } from './pn-action';
import { pnDeviceKey } from './pn-device-key';
import type { PnParams } from './pn-params';
import { readPnParams } from './pn-params';
import type { PushOptions, ResolvedPushOptions } from './push-options';
import { resolvePushOptions } from './push-options';
import type { PurrTarget } from './purr-codec';
import { PurrCodec } from './purr-codec';
import { upstreamPns } from './upstream-pns';

/** Who hears about committed changes (the push coordinator: refreshes settle pending pushes). */
export interface PushFeatureHost {
  bindingsSaved(aor: string, changes: readonly BindingChange[]): void;
}

/** The RFC 8599 extension: the {@link RegistrarFeature} hooks plus what lookups and PURRs need. */
export interface PushFeature extends RegistrarFeature {
  readonly options: ResolvedPushOptions;
  /**
   * The providers the 200 of this REGISTER announces because a Contact asked for them (a
   * capability query, RFC 8599 §5 / §6), or `undefined` when no Contact is a query. The binding
   * of a query Contact is an ordinary one; {@link RegistrarFeature.replyHeaders} already adds the
   * Feature-Caps, this is for logs and tests.
   */
  capabilityQuery(ctx: SaveHookContext): readonly string[] | undefined;
  /** The device identity of a Contact URI under `ctMatchParams`, or `undefined` (see {@link pnDeviceKey}). */
  deviceKeyOf(uri: string): string | undefined;
  /** The PURR of a registration (`+sip.pnspurr`); throws ConfigError when PURRs are off. */
  purrFor(aor: string, contact: string): string;
  /**
   * The registration named by the `pn-purr` of a mid-dialog request's Request-URI, else of its top
   * Route URI (OpenSIPS `pn_process_purr`), or `undefined` when there is none or it is not ours.
   */
  purrOf(request: SipRequest): PurrTarget | undefined;
  /** True when the Request-URI or top Route carries a `pn-purr`, ours or not. */
  carriesPurr(request: SipRequest): boolean;
}

function quoted(v: string): string {
  return `"${v}"`;
}

/** The `pn-purr` URI parameter of `uri`, if any. */
function purrParam(uri: string | undefined): string | undefined {
  if (uri === undefined || !/;pn-purr=/i.test(uri)) return undefined;
  const v = parseUri(uri)?.params['pn-purr'];
  return v === null ? undefined : v;
}

/**
 * RFC 8599 push notifications for the registrar (OpenSIPS `pn_*`):
 * - {@link RegistrarFeature.checkRegister}: a `pn-provider` not in `providers` (and not handled
 *   upstream), or a push Contact missing a `ctMatchParams` parameter → 555 Push Notification Service
 *   Not Supported (RFC 8599 §6);
 * - {@link RegistrarFeature.matchBinding}: a Contact with every `ctMatchParams` refreshes the stored
 *   binding with the same values, whatever the rest of the URI; deferred to the matching mode when
 *   the save call forces one (as OpenSIPS skips PN matching then);
 * - {@link RegistrarFeature.bindingExtras}: `BindingFlags.push`, plus `pushUpstream` when a proxy
 *   upstream announced that provider in the REGISTER's Feature-Caps;
 * - {@link RegistrarFeature.replyHeaders}: `Feature-Caps: *;+sip.pns="<provider>"` per provider
 *   (RFC 6809 syntax, RFC 8599 grammar), with `;+sip.pnsreg="<pnsregIntervalSec>"` when the Contact
 *   had `+sip.pnsreg` and `;+sip.pnspurr="<PURR>"` when `enablePurr`; a query lists providers only;
 * - {@link RegistrarFeature.afterCommit}: hands the changes to `host` (the push coordinator).
 * The registrar installs it only when `options.enabled`.
 */
export function createPushFeature(options: PushOptions = {}, host?: PushFeatureHost): PushFeature {
  const opts = resolvePushOptions(options);
  const purr = opts.enablePurr ? new PurrCodec(opts.purrSecret) : undefined;
  // Hooks of one save look at the same push Contact several times: parse it once. Plain Contacts
  // are rejected by a quick scan and cost no cache entry.
  const pnCache = new WeakMap<NameAddrValue, PnParams>();
  const pnOf = (c: NameAddrValue): PnParams | undefined => {
    const hit = pnCache.get(c);
    if (hit !== undefined) return hit;
    const pn = readPnParams(c);
    if (pn !== undefined) pnCache.set(c, pn);
    return pn;
  };
  const actionOf = (c: NameAddrValue, request: SipRequest): PnAction => pnActionOf(pnOf(c), upstreamPns(request.featureCaps), opts);
  const contactsOf = (request: SipRequest): readonly NameAddrValue[] => (request.contacts === '*' ? [] : request.contacts);
  const keyOfUri = (uri: string): string | undefined => {
    const pn = readPnParams(uri);
    return pn === undefined ? undefined : pnDeviceKey(pn.uriParams, opts.ctMatchParams);
  };
  const keyCache = new WeakMap<Binding, string | null>();
  const storedKey = (b: Binding): string | undefined => {
    let key = keyCache.get(b);
    if (key === undefined) {
      key = keyOfUri(b.contact) ?? null;
      keyCache.set(b, key);
    }
    return key ?? undefined;
  };
  /** Providers a capability query of this REGISTER asks about (RFC 8599 §5, §6). */
  const queried = (request: SipRequest, upstream: ReadonlySet<string>): Set<string> => {
    const asked = new Set<string>();
    for (const c of contactsOf(request)) {
      const action = pnActionOf(pnOf(c), upstream, opts);
      if (action.kind === 'query-all') for (const p of opts.providers) if (!upstream.has(p)) asked.add(p);
      if (action.kind === 'query-one') asked.add(action.provider);
    }
    return asked;
  };
  const purrFor = (aor: string, contact: string): string => {
    if (purr === undefined) throw new ConfigError('purrFor needs PushOptions.enablePurr');
    return purr.seal(aor, contact);
  };

  return {
    name: 'push',
    options: opts,
    checkRegister(ctx) {
      for (const c of contactsOf(ctx.request)) {
        const action = actionOf(c, ctx.request);
        if (action.kind !== 'unsupported') continue;
        return regError('pns-unsupported', undefined, action.missing === undefined
          ? `pn-provider ${action.provider} not supported (RFC 8599)`
          : `push Contact without ${action.missing} (RFC 8599)`);
      }
      return undefined;
    },
    matchBinding(contact, stored, ctx) {
      if (ctx.save.matchingMode !== undefined) return undefined;
      const action = actionOf(contact, ctx.request);
      if (action.kind !== 'push' && action.kind !== 'upstream') return undefined;
      for (let i = 0; i < stored.length; i++) if (storedKey(stored[i]) === action.key) return i;
      return -1;
    },
    bindingExtras(contact, ctx) {
      const kind = actionOf(contact, ctx.request).kind;
      if (kind === 'push') return { flags: BindingFlags.push };
      if (kind === 'upstream') return { flags: BindingFlags.push | BindingFlags.pushUpstream };
      return undefined;
    },
    afterCommit(aor, changes) {
      if (host !== undefined && changes.length > 0) host.bindingsSaved(aor, changes);
    },
    replyHeaders(listed, ctx) {
      const upstream = upstreamPns(ctx.request.featureCaps);
      const values = new Set<string>();
      for (const p of queried(ctx.request, upstream)) values.add(`*;+sip.pns=${quoted(p)}`);
      for (const c of contactsOf(ctx.request)) {
        const action = pnActionOf(pnOf(c), upstream, opts);
        if (action.kind !== 'push' || !listed.some((b) => b.contact === c.uri)) continue;
        let v = `*;+sip.pns=${quoted(action.provider)}`;
        if (pnOf(c)?.pnsreg === true) v += `;+sip.pnsreg=${quoted(String(opts.pnsregIntervalSec))}`;
        if (purr !== undefined) v += `;+sip.pnspurr=${quoted(purr.seal(ctx.aor, c.uri))}`;
        values.add(v);
      }
      const headers: ReplyHeader[] = [];
      for (const v of values) headers.push(['Feature-Caps', v]);
      return headers;
    },
    capabilityQuery(ctx) {
      const asked = queried(ctx.request, upstreamPns(ctx.request.featureCaps));
      return asked.size === 0 ? undefined : [...asked];
    },
    deviceKeyOf: keyOfUri,
    purrFor,
    carriesPurr(request) {
      return purrParam(request.uri) !== undefined || purrParam(request.route[0]?.uri) !== undefined;
    },
    purrOf(request) {
      if (purr === undefined) return undefined;
      const token = purrParam(request.uri) ?? purrParam(request.route[0]?.uri);
      return token === undefined ? undefined : purr.open(token);
    },
  };
}
