import type { NameAddrValue, SipMessage } from '../../src/sip/message';
import type { ParseResult } from '../../src/sip/sip-parser';

function nameAddr(v: NameAddrValue): unknown {
  return { raw: v.raw, uri: v.uri, displayName: v.displayName, params: { ...v.params } };
}

/**
 * Every field the registrar reads, as plain data, so two parses can be compared with toEqual.
 * The credentials lines are read by name first, before `headers` builds the line list, as an
 * authenticator reads them.
 */
export function extractFields(m: SipMessage): unknown {
  return {
    credentials: [m.header('Authorization'), m.headerAll('authorization'), m.header('proxy-authorization'), m.headerAll('Proxy-Authorization')],
    start: m.kind === 'request' ? { method: m.method, uri: m.uri } : { status: m.status, reason: m.reason },
    headers: m.headers.map((h) => [h.name, h.value]),
    via: m.via.map((v) => ({ ...v })),
    from: nameAddr(m.from),
    to: nameAddr(m.to),
    fromTag: m.from.params.tag,
    toTag: m.to.params.tag,
    callId: m.callId,
    cseq: { ...m.cseq },
    contacts: m.contacts === '*' ? '*' : m.contacts.map(nameAddr),
    expires: m.expires,
    path: m.path.map(nameAddr),
    route: m.route.map(nameAddr),
    recordRoute: m.recordRoute.map(nameAddr),
    supported: m.supported,
    require: m.require,
    proxyRequire: m.proxyRequire,
    allow: m.allow,
    userAgent: m.userAgent,
    featureCaps: m.featureCaps,
    maxForwards: m.maxForwards,
    bodyLength: m.body.length,
    body: Buffer.from(m.body).toString('latin1'),
  };
}

/** Accept/reject plus the fields, for comparing the two tiers. */
export function verdict(r: ParseResult): unknown {
  return r.ok ? { ok: true, fields: extractFields(r.message) } : { ok: false };
}
