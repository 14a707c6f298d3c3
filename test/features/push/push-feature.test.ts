import { createPushFeature } from '../../../src/features/push/push-feature';
import type { PushFeature } from '../../../src/features/push/push-feature';
import type { SaveHookContext } from '../../../src/features/registrar-feature';
import { BindingFlags } from '../../../src/ports/binding';
import type { NameAddrValue, SipRequest } from '../../../src/sip/message';
import type { BindingChange } from '../../../src/registrar/binding-change';
import { REG_ERRORS } from '../../../src/errors/reg-error';
import { ConfigError } from '../../../src/errors/sdk-error';
import { buildBinding } from '../../../src/testing';
import { register, req } from '../../registrar/sip-text';

const APNS = 'sip:alice@192.0.2.10:5060;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip';

const ctx = (request: SipRequest, save: SaveHookContext['save'] = {}): SaveHookContext => ({ request, save, aor: 'alice@example.com', nowMs: 1_700_000_000_000 });
/** A mid-dialog BYE to `ruri`, with extra header lines. */
const bye = (ruri: string, ...extra: string[]): SipRequest => req([
  `BYE ${ruri} SIP/2.0`,
  'Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK-1',
  'Max-Forwards: 70',
  ...extra,
  'From: <sip:bob@example.com>;tag=b1',
  'To: <sip:alice@example.com>;tag=a1',
  'Call-ID: d1',
  'CSeq: 2 BYE',
  'Content-Length: 0',
  '',
  '',
].join('\n'));
const contactsOf = (r: SipRequest): readonly NameAddrValue[] => (r.contacts === '*' ? [] : r.contacts);

describe('push feature (RFC 8599 registrar side)', () => {
  const feature: PushFeature = createPushFeature({ enabled: true, providers: 'apns, fcm' });

  describe('checkRegister', () => {
    it('answers 555 to a pn-provider it does not serve', () => {
      const r = register({ contacts: ['<sip:alice@192.0.2.10;pn-provider=webpush;pn-prid=https%3A%2F%2Fpush.example%2Fx;pn-param=k>'] });
      const e = feature.checkRegister!(ctx(r));
      expect(e?.code).toBe('pns-unsupported');
      expect(REG_ERRORS[e!.code]).toMatchObject({ status: 555, reason: 'Push Notification Service Not Supported' });
      expect(e?.detail).toMatch(/webpush/);
    });

    it('answers 555 to a push Contact missing a match parameter', () => {
      const r = register({ contacts: ['<sip:alice@192.0.2.10;pn-provider=apns;pn-prid=00fc13>'] });
      expect(feature.checkRegister!(ctx(r))).toMatchObject({ code: 'pns-unsupported', detail: 'push Contact without pn-param (RFC 8599)' });
    });

    it('accepts served providers, capability queries, plain Contacts and providers handled upstream', () => {
      for (const contact of [`<${APNS}>`, '<sip:alice@192.0.2.10;pn-provider>', '<sip:alice@192.0.2.10;pn-provider=fcm>', '<sip:alice@192.0.2.10>']) {
        expect(feature.checkRegister!(ctx(register({ contacts: [contact] })))).toBeUndefined();
      }
      const upstream = register({ contacts: ['<sip:alice@192.0.2.10;pn-provider=webpush;pn-prid=x;pn-param=k>'], extra: ['Feature-Caps: *;+sip.pns="webpush"'] });
      expect(feature.checkRegister!(ctx(upstream))).toBeUndefined();
      expect(feature.checkRegister!(ctx(register({ contacts: ['*'], expires: 0 })))).toBeUndefined();
    });
  });

  describe('capability query', () => {
    it('pn-provider without value lists every provider not handled upstream, and the binding is ordinary', () => {
      const r = register({ contacts: ['<sip:alice@192.0.2.10;pn-provider>'], extra: ['Feature-Caps: *;+sip.pns="fcm"'] });
      expect(feature.capabilityQuery(ctx(r))).toEqual(['apns']);
      expect(feature.replyHeaders!([buildBinding('sip:alice@192.0.2.10;pn-provider')], ctx(r))).toEqual([['Feature-Caps', '*;+sip.pns="apns"']]);
      expect(feature.bindingExtras!(contactsOf(r)[0], ctx(r))).toBeUndefined();
      expect(feature.matchBinding!(contactsOf(r)[0], [], ctx(r))).toBeUndefined();
    });

    it('a served pn-provider without pn-prid or pn-param asks about that provider only', () => {
      const r = register({ contacts: ['<sip:alice@192.0.2.10;pn-provider=fcm>'] });
      expect(feature.capabilityQuery(ctx(r))).toEqual(['fcm']);
      expect(feature.replyHeaders!([], ctx(r))).toEqual([['Feature-Caps', '*;+sip.pns="fcm"']]);
      expect(feature.bindingExtras!(contactsOf(r)[0], ctx(r))).toBeUndefined();
    });

    it('is undefined for a REGISTER without query', () => {
      expect(feature.capabilityQuery(ctx(register({ contacts: [`<${APNS}>`] })))).toBeUndefined();
    });
  });

  describe('matchBinding (pn_ct_match_params)', () => {
    const stored = [
      buildBinding('sip:alice@198.51.100.7:5062'),
      buildBinding('sip:alice@203.0.113.5:40123;transport=tcp;pn-param=ABCD1234.com.example.voip;pn-prid=00fc13adff78512;pn-provider=apns;x=1'),
    ];

    it('finds the stored binding with the same pn values whatever the rest of the URI', () => {
      const r = register({ contacts: [`<${APNS}>`] });
      expect(feature.matchBinding!(contactsOf(r)[0], stored, ctx(r))).toBe(1);
    });

    it('answers "new binding" for an unknown device and leaves plain Contacts to the matching mode', () => {
      const other = register({ contacts: [`<${APNS.replace('00fc13adff78512', '99')}>`] });
      expect(feature.matchBinding!(contactsOf(other)[0], stored, ctx(other))).toBe(-1);
      const plain = register({ contacts: ['<sip:alice@198.51.100.7:5062>'] });
      expect(feature.matchBinding!(contactsOf(plain)[0], stored, ctx(plain))).toBeUndefined();
    });

    it('defers to a matching mode forced by the save call, as OpenSIPS does', () => {
      const r = register({ contacts: [`<${APNS}>`] });
      expect(feature.matchBinding!(contactsOf(r)[0], stored, ctx(r, { matchingMode: 1 }))).toBeUndefined();
    });

    it('matches provider-upstream Contacts by their parameters too', () => {
      const r = register({ contacts: ['<sip:alice@192.0.2.99;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip>'], extra: ['Feature-Caps: *;+sip.pns="apns"'] });
      expect(feature.matchBinding!(contactsOf(r)[0], stored, ctx(r))).toBe(1);
    });
  });

  describe('bindingExtras', () => {
    it('flags a push binding, and a provider handled upstream as push + pushUpstream', () => {
      const r = register({ contacts: [`<${APNS}>`] });
      expect(feature.bindingExtras!(contactsOf(r)[0], ctx(r))).toEqual({ flags: BindingFlags.push });
      const up = register({ contacts: [`<${APNS}>`], extra: ['Feature-Caps: *;+sip.pns="apns"'] });
      expect(feature.bindingExtras!(contactsOf(up)[0], ctx(up))).toEqual({ flags: BindingFlags.push | BindingFlags.pushUpstream });
      const plain = register();
      expect(feature.bindingExtras!(contactsOf(plain)[0], ctx(plain))).toBeUndefined();
    });
  });

  describe('replyHeaders', () => {
    it('announces the provider, and +sip.pnsreg only to a Contact that carried it', () => {
      const r = register({ contacts: [`<${APNS}>;+sip.pnsreg`] });
      expect(feature.replyHeaders!([buildBinding(APNS)], ctx(r))).toEqual([['Feature-Caps', '*;+sip.pns="apns";+sip.pnsreg="130"']]);
      const plain = register({ contacts: [`<${APNS}>`] });
      expect(feature.replyHeaders!([buildBinding(APNS)], ctx(plain))).toEqual([['Feature-Caps', '*;+sip.pns="apns"']]);
    });

    it('says nothing for a removed push Contact, a provider handled upstream or a plain REGISTER', () => {
      expect(feature.replyHeaders!([], ctx(register({ contacts: [`<${APNS}>;expires=0`] })))).toEqual([]);
      expect(feature.replyHeaders!([buildBinding(APNS)], ctx(register({ contacts: [`<${APNS}>`], extra: ['Feature-Caps: *;+sip.pns="apns"'] })))).toEqual([]);
      expect(feature.replyHeaders!([buildBinding('sip:alice@192.0.2.10:5060')], ctx(register()))).toEqual([]);
    });
  });

  describe('PURR', () => {
    const purrFeature = createPushFeature({ enabled: true, providers: ['apns'], enablePurr: true, purrSecret: 'purr-secret', pnsregIntervalSec: 140 });

    it('hands out a stable +sip.pnspurr naming the registration', () => {
      const r = register({ contacts: [`<${APNS}>;+sip.pnsreg`] });
      const [[name, value]] = purrFeature.replyHeaders!([buildBinding(APNS)], ctx(r));
      expect(name).toBe('Feature-Caps');
      const purr = /;\+sip\.pnspurr="([A-Za-z0-9_-]+)"$/.exec(value)?.[1];
      expect(value.startsWith('*;+sip.pns="apns";+sip.pnsreg="140";+sip.pnspurr="')).toBe(true);
      expect(purr).toBe(purrFeature.purrFor('alice@example.com', APNS));
      expect(purr!.includes('alice')).toBe(false);
    });

    it('finds pn-purr in the Request-URI, else in the top Route, and ignores foreign ones', () => {
      const purr = purrFeature.purrFor('alice@example.com', APNS);
      const inRuri = bye(`sip:alice@192.0.2.10:5060;transport=tcp;pn-purr=${purr}`);
      expect(purrFeature.purrOf(inRuri)).toEqual({ aor: 'alice@example.com', contact: APNS });
      const inRoute = bye('sip:alice@192.0.2.10:5060', `Route: <sip:proxy.example.com;lr;pn-purr=${purr}>, <sip:edge.example.com;lr>`);
      expect(purrFeature.purrOf(inRoute)).toEqual({ aor: 'alice@example.com', contact: APNS });
      expect(purrFeature.purrOf(bye('sip:alice@192.0.2.10:5060'))).toBeUndefined();
      const foreign = bye('sip:alice@192.0.2.10;pn-purr=001.a0b1c.0000002d', `Route: <sip:proxy.example.com;lr;pn-purr=${purr}>`);
      expect(purrFeature.purrOf(foreign)).toBeUndefined();
      expect(createPushFeature({ enabled: true, providers: ['apns'], enablePurr: true, purrSecret: 'other' }).purrOf(inRuri)).toBeUndefined();
      expect(feature.purrOf(inRuri)).toBeUndefined();
    });

    it('refuses purrFor when PURRs are off', () => {
      expect(() => feature.purrFor('alice@example.com', APNS)).toThrow(ConfigError);
    });
  });

  it('hands committed changes to its host and gives device keys', () => {
    const seen: [string, readonly BindingChange[]][] = [];
    const f = createPushFeature({ enabled: true, providers: ['apns'] }, { bindingsSaved: (aor, changes) => seen.push([aor, changes]) });
    const change: BindingChange = { kind: 'inserted', aor: 'alice@example.com', binding: buildBinding(APNS) };
    f.afterCommit!('alice@example.com', [change]);
    f.afterCommit!('alice@example.com', []);
    expect(seen).toEqual([['alice@example.com', [change]]]);
    expect(f.deviceKeyOf(APNS)).toBe('apns\n00fc13adff78512\nABCD1234.com.example.voip');
    expect(f.deviceKeyOf('sip:alice@192.0.2.10')).toBeUndefined();
  });
});
