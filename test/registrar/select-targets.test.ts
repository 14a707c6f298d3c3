import { selectTargets } from '../../src/registrar/select-targets';
import type { LookupResult } from '../../src/registrar/select-targets';
import type { Binding } from '../../src/ports/binding';

/** selectTargets alone (OpenSIPS lookup(), RFC 3261 §16.5-16.6): literal bindings, no registrar, no store. */

const NOW = 1_700_000_000_000;
const AOR = 'alice@example.com';

function binding(contact: string, fields: Partial<Binding> = {}): Binding {
  return { contact, callId: 'c1', cseq: 1, expiresAt: NOW + 60_000, q: -1, updatedAt: NOW - 1000, flags: 0, ...fields };
}

function uris(r: LookupResult): string[] {
  if (r.kind !== 'found') throw new Error(`not found: ${r.kind}`);
  return r.targets.map((t) => t.uri);
}

describe('selectTargets', () => {
  it('orders by q, highest first, then the most recently updated', () => {
    const bindings = [
      binding('sip:a@192.0.2.1', { q: 500, updatedAt: NOW - 3000 }),
      binding('sip:b@192.0.2.2', { q: 1000 }),
      binding('sip:c@192.0.2.3', { q: 500, updatedAt: NOW - 1000 }),
      binding('sip:d@192.0.2.4', { q: -1 }),
    ];
    const r = selectTargets([{ aor: AOR, bindings }], 'INVITE', {}, NOW);
    expect(uris(r)).toEqual(['sip:b@192.0.2.2', 'sip:c@192.0.2.3', 'sip:a@192.0.2.1', 'sip:d@192.0.2.4']);
    expect(r.kind === 'found' && [r.ruri?.uri, r.branches.length]).toEqual(['sip:b@192.0.2.2', 3]);
  });

  it('skips expired bindings; none alive is not-found', () => {
    const bindings = [binding('sip:old@192.0.2.1', { expiresAt: NOW }), binding('sip:new@192.0.2.2')];
    expect(uris(selectTargets([{ aor: AOR, bindings }], 'INVITE', {}, NOW))).toEqual(['sip:new@192.0.2.2']);
    expect(selectTargets([{ aor: AOR, bindings: bindings.slice(0, 1) }], 'INVITE', {}, NOW)).toEqual({ kind: 'not-found', code: -1, aor: AOR });
  });

  it('with methodFiltering keeps the bindings whose Allow has the method (no Allow: every method)', () => {
    const bindings = [
      binding('sip:msg@192.0.2.1', { methods: ['MESSAGE'] }),
      binding('sip:any@192.0.2.2'),
      binding('sip:inv@192.0.2.3', { methods: ['INVITE', 'ACK'] }),
    ];
    expect(uris(selectTargets([{ aor: AOR, bindings }], 'INVITE', { methodFiltering: true }, NOW))).toEqual(['sip:any@192.0.2.2', 'sip:inv@192.0.2.3']);
    expect(uris(selectTargets([{ aor: AOR, bindings }], 'INVITE', {}, NOW))).toHaveLength(3);
    expect(selectTargets([{ aor: AOR, bindings: bindings.slice(0, 1) }], 'INVITE', { methodFiltering: true }, NOW))
      .toEqual({ kind: 'method-not-supported', code: -2, aor: AOR });
  });

  it('filters by User-Agent and by recorded ping latency', () => {
    const bindings = [binding('sip:a@192.0.2.1', { userAgent: 'Deskphone/2' }), binding('sip:b@192.0.2.2', { userAgent: 'Softphone/1' })];
    expect(uris(selectTargets([{ aor: AOR, bindings }], 'INVITE', { uaFilter: /^Soft/ }, NOW))).toEqual(['sip:b@192.0.2.2']);
    const latency = (_aor: string, contact: string): number | undefined => (contact === 'sip:a@192.0.2.1' ? 90_000 : 1_000);
    expect(uris(selectTargets([{ aor: AOR, bindings }], 'INVITE', { maxPingLatencyUs: 50_000 }, NOW, latency))).toEqual(['sip:b@192.0.2.2']);
  });

  it('cuts the targets per noBranches and toBranchesOnly', () => {
    const bindings = [binding('sip:a@192.0.2.1', { q: 1000 }), binding('sip:b@192.0.2.2', { q: 500 })];
    const only = selectTargets([{ aor: AOR, bindings }], 'INVITE', { noBranches: true }, NOW);
    expect(only.kind === 'found' && [only.ruri?.uri, only.branches, uris(only)]).toEqual(['sip:a@192.0.2.1', [], ['sip:a@192.0.2.1']]);
    const branches = selectTargets([{ aor: AOR, bindings }], 'INVITE', { toBranchesOnly: true }, NOW);
    expect(branches.kind === 'found' && [branches.ruri, branches.branches.length]).toEqual([undefined, 2]);
  });

  it('routes through the stored Path, else to the NAT received address (RFC 3327 §5.3)', () => {
    const bindings = [
      binding('sip:a@10.0.0.1', { q: 1000, path: ['<sip:edge.example.com;lr>'], received: 'sip:203.0.113.7:4000' }),
      binding('sip:b@10.0.0.2', { received: 'sip:203.0.113.8:4000' }),
    ];
    const r = selectTargets([{ aor: AOR, bindings }], 'INVITE', {}, NOW);
    if (r.kind !== 'found') throw new Error(r.kind);
    expect(r.targets.map((t) => [t.destination, t.route])).toEqual([
      ['sip:edge.example.com;lr', ['<sip:edge.example.com;lr>']],
      ['sip:203.0.113.8:4000', []],
    ]);
  });

  it('merges the bindings of several AORs (branch AORs), answering for the first', () => {
    const r = selectTargets([{ aor: AOR, bindings: [binding('sip:a@192.0.2.1')] }, { aor: 'bob@example.com', bindings: [binding('sip:b@192.0.2.2', { q: 1000 })] }], 'INVITE', {}, NOW);
    expect(r.kind === 'found' && [r.aor, r.targets.map((t) => t.aor)]).toEqual([AOR, ['bob@example.com', AOR]]);
  });
});
