import { planSave } from '../../src/registrar/plan-save';
import type { SavePlan } from '../../src/registrar/plan-save';
import type { SavePolicy } from '../../src/registrar/save-policy';
import type { SaveOptions } from '../../src/registrar/save-options';
import type { Binding } from '../../src/ports/binding';
import type { Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import type { RegError } from '../../src/errors/reg-error';
import type { Result } from '../../src/errors/result';
import { register } from './sip-text';

/** planSave alone (RFC 3261 §10.3 steps 6-8): literal REGISTERs, literal bindings, a literal policy; no registrar, no store. */

const NOW = 1_700_000_000_000;
const AOR = 'alice@example.com';

const policy: SavePolicy = {
  defaultExpires: 3600,
  minExpires: 60,
  maxExpires: 7200,
  minExpiresMode: 'clamp',
  defaultQ: -1,
  maxContacts: 0,
  maxContactLen: 255,
  cseqDelay: 20,
  receivedMode: 'explicit',
  sockHdrName: undefined,
  localSockets: undefined,
};

function plan(request: SipRequest, stored: readonly Binding[] = [], rules: Partial<SavePolicy> = {}, save: SaveOptions = {}, nowMs = NOW): Result<SavePlan, RegError> {
  return planSave({ request, save, aor: AOR, nowMs }, stored, { ...policy, ...rules });
}

function planned(r: Result<SavePlan, RegError>): SavePlan {
  if (!r.ok) throw new Error(`refused: ${r.error.code}`);
  return r.value;
}

function refused(r: Result<SavePlan, RegError>): RegError {
  if (r.ok) throw new Error('accepted');
  return r.error;
}

function binding(contact: string, fields: Partial<Binding> = {}): Binding {
  return { contact, callId: 'c1', cseq: 1, expiresAt: NOW + 3_600_000, q: -1, updatedAt: NOW - 60_000, flags: 0, ...fields };
}

describe('planSave: lifetimes (RFC 3261 §10.3 step 6)', () => {
  it('grants the default without Expires, the header value, and a Contact expires over the header', () => {
    expect(planned(plan(register())).bindings[0].expiresAt).toBe(NOW + 3600_000);
    expect(planned(plan(register({ expires: 300 }))).bindings[0].expiresAt).toBe(NOW + 300_000);
    expect(planned(plan(register({ expires: 300, contacts: ['<sip:alice@192.0.2.10>;expires=900'] }))).bindings[0].expiresAt).toBe(NOW + 900_000);
  });

  it('clamps to minExpires and maxExpires', () => {
    expect(planned(plan(register({ expires: 10 }))).bindings[0].expiresAt).toBe(NOW + 60_000);
    expect(planned(plan(register({ expires: 100_000 }))).bindings[0].expiresAt).toBe(NOW + 7200_000);
  });

  it("refuses a lifetime below minExpires with 423 and Min-Expires under 'reject'", () => {
    const e = refused(plan(register({ expires: 10 }), [], { minExpiresMode: 'reject' }));
    expect(e).toEqual({ code: 'interval-too-brief', headers: [['Min-Expires', '60']], detail: undefined });
  });

  it('takes per-call bounds over the policy', () => {
    expect(planned(plan(register({ expires: 10 }), [], {}, { minExpires: 30 })).bindings[0].expiresAt).toBe(NOW + 30_000);
  });

  it('refuses a malformed Contact expires with 400', () => {
    expect(refused(plan(register({ contacts: ['<sip:alice@192.0.2.10>;expires=soon'] }))).code).toBe('invalid-expires');
  });

  it('expires=0 removes the stored binding', () => {
    const stored = [binding('sip:alice@192.0.2.10:5060')];
    const p = planned(plan(register({ expires: 0, cseq: 2 }), stored));
    expect(p.bindings).toEqual([]);
    expect(p.changes.map((c) => c.kind)).toEqual(['deleted']);
  });
});

describe('planSave: Call-ID and CSeq order (RFC 3261 §10.3 step 7)', () => {
  const stored = [binding('sip:alice@192.0.2.10:5060', { cseq: 5, updatedAt: NOW - 1000 })];

  it('applies a higher CSeq of the same Call-ID as a refresh', () => {
    const p = planned(plan(register({ cseq: 6 }), stored));
    expect(p.changes.map((c) => c.kind)).toEqual(['refreshed']);
    expect(p.bindings[0].cseq).toBe(6);
  });

  it('refuses a lower CSeq of the same Call-ID with 400', () => {
    expect(refused(plan(register({ cseq: 4 }), stored)).code).toBe('invalid-cseq');
  });

  it('takes an equal CSeq within cseqDelay as a retransmission: nothing changes', () => {
    const p = planned(plan(register({ cseq: 5 }), stored));
    expect(p.unchanged).toBe(true);
    expect(p.requestBindings).toEqual(stored);
  });

  it('refuses an equal CSeq after cseqDelay with 400', () => {
    expect(refused(plan(register({ cseq: 5 }), stored, { cseqDelay: 0 })).code).toBe('invalid-cseq');
  });

  it('accepts any CSeq from another Call-ID', () => {
    const p = planned(plan(register({ callId: 'c2', cseq: 1 }), stored));
    expect(p.bindings[0].callId).toBe('c2');
  });
});

describe('planSave: Contact: * (RFC 3261 §10.3 step 6)', () => {
  const stored = [binding('sip:alice@192.0.2.10:5060'), binding('sip:alice@192.0.2.11:5060', { callId: 'other' })];

  it('removes every binding with Expires: 0', () => {
    const p = planned(plan(register({ contacts: ['*'], expires: 0, cseq: 2 }), stored));
    expect(p.bindings).toEqual([]);
    expect(p.changes.map((c) => c.kind)).toEqual(['deleted', 'deleted']);
  });

  it('refuses * with a non-zero Expires with 400', () => {
    expect(refused(plan(register({ contacts: ['*'], expires: 60 }), stored)).code).toBe('star-expires');
  });
});

describe('planSave: max contacts (OpenSIPS max_contacts)', () => {
  const stored = [binding('sip:alice@192.0.2.1', { updatedAt: NOW - 2000 }), binding('sip:alice@192.0.2.2', { updatedAt: NOW - 1000 })];

  it('refuses a Contact beyond the limit with 503 (its Retry-After is the reply\'s: test/registrar/retry-after.test.ts)', () => {
    expect(refused(plan(register({ callId: 'c9' }), stored, { maxContacts: 2 }))).toEqual({ code: 'too-many-contacts' });
  });

  it('takes the per-call limit over the policy', () => {
    expect(planned(plan(register({ callId: 'c9' }), stored, { maxContacts: 2 }, { maxContacts: 3 })).bindings).toHaveLength(3);
  });

  it('evicts the least recently updated with forceRegistration', () => {
    const p = planned(plan(register({ callId: 'c9' }), stored, { maxContacts: 2 }, { forceRegistration: true }));
    expect(p.bindings.map((b) => b.contact)).toEqual(['sip:alice@192.0.2.2', 'sip:alice@192.0.2.10:5060']);
    expect(p.changes.map((c) => [c.kind, c.binding.contact])).toEqual([['inserted', 'sip:alice@192.0.2.10:5060'], ['deleted', 'sip:alice@192.0.2.1']]);
  });
});

describe('planSave: stored bindings and Contact values', () => {
  it('drops expired bindings and reports them apart', () => {
    const gone = binding('sip:alice@192.0.2.99', { expiresAt: NOW });
    const p = planned(plan(register(), [gone]));
    expect(p.expired).toEqual([gone]);
    expect(p.bindings.map((b) => b.contact)).toEqual(['sip:alice@192.0.2.10:5060']);
  });

  it('takes q from the Contact, else the default, and refuses a bad one with 400', () => {
    expect(planned(plan(register({ contacts: ['<sip:alice@192.0.2.10>;q=0.5'] }))).bindings[0].q).toBe(500);
    expect(planned(plan(register(), [], { defaultQ: 1000 })).bindings[0].q).toBe(1000);
    expect(refused(plan(register({ contacts: ['<sip:alice@192.0.2.10>;q=2'] }))).code).toBe('invalid-q');
  });

  it('refuses a Contact URI longer than maxContactLen with 400', () => {
    expect(refused(plan(register(), [], { maxContactLen: 10 })).code).toBe('contact-too-long');
  });

  it("sets received from the source under 'always', none under 'explicit'", () => {
    const source: Source = { protocol: 'udp', address: '203.0.113.7', port: 40000, local: { protocol: 'udp', address: '127.0.0.1', port: 5060 } };
    expect(planned(plan(register(), [], { receivedMode: 'always' }, { source })).bindings[0].received).toBe('sip:203.0.113.7:40000');
    expect(planned(plan(register(), [], {}, { source })).bindings[0].received).toBeUndefined();
  });

  it('uses the interner of the policy for User-Agent and Allow', () => {
    const seen: string[] = [];
    const intern = {
      userAgent: (v: string) => (seen.push(v), v),
      methods: (v: readonly string[]) => v,
      socket: () => 'udp:127.0.0.1:5060',
    };
    planned(plan(register({ extra: ['User-Agent: Phone/1.0'] }), [], { intern }));
    expect(seen).toEqual(['Phone/1.0']);
  });
});
