import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import type { LookupResult, PushPendingTarget } from '../../src/registrar/select-targets';
import type { PushOptions } from '../../src/features/push/push-options';
import type { PushRequest } from '../../src/features/push/push-notifier';
import type { ContactRefreshEvent } from '../../src/features/push/contact-refresh-event';
import { BindingFlags } from '../../src/ports/binding';
import type { AorSnapshot } from '../../src/ports/binding';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import type { SipRequest } from '../../src/sip/message';
import { register, req, res } from '../registrar/sip-text';

/** Push notifications (RFC 8599) through the registrar: REGISTER handling, lookups and PURRs. */

const T0 = 1_700_000_000_000;
const AOR = 'alice@example.com';
const PN = 'pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip';
/** The iPhone as it registers from its first network, and after moving (same pn-* values, reordered). */
const APNS = `sip:alice@192.0.2.10:5060;transport=tcp;${PN}`;
const MOVED = 'sip:alice@203.0.113.9:41000;transport=tcp;pn-prid=00fc13adff78512;pn-provider=apns;pn-param=ABCD1234.com.example.voip';
const DESK = 'sip:alice@192.0.2.30:5060';
const COORDINATES = { provider: 'apns', prid: '00fc13adff78512', param: 'ABCD1234.com.example.voip' };

/** A store whose load can be made to fail. */
class FlakyStore extends MemoryLocationStore {
  failing = false;
  override load(aor: string): AorSnapshot {
    if (this.failing) throw new Error('store down');
    return super.load(aor);
  }
}

/**
 * A registrar on a manual clock with push enabled for apns and fcm (no retries, unless a test
 * asks), recording `contact-refresh` events, the notifier's pushes and background errors.
 */
function setup(push: PushOptions = {}, options: RegistrarOptions = {}) {
  const clock = new ManualClock(T0);
  const events: ContactRefreshEvent[] = [];
  const pushes: PushRequest[] = [];
  const errors: Error[] = [];
  const registrar = createRegistrar({
    clock,
    purgeIntervalMs: 0,
    push: { enabled: true, providers: ['apns', 'fcm'], maxPushAttempts: 1, ...push },
    pushNotifier: { notify: (r) => { pushes.push(r); } },
    ...options,
  });
  registrar.on('contact-refresh', (e) => events.push(e));
  registrar.on('error', (e) => errors.push(e));
  return { clock, registrar, events, pushes, errors };
}

type Registrar = ReturnType<typeof createRegistrar>;

async function save(registrar: Registrar, request: SipRequest) {
  const r = await registrar.save(request);
  return { r, reply: res(r.response) };
}

/** Register the iPhone (`contact` value as written in the Contact header). */
async function registerPhone(registrar: Registrar, o: { contact?: string; cseq?: number; expires?: number; extra?: string[] } = {}) {
  const { r, reply } = await save(registrar, register({ contacts: [o.contact ?? `<${APNS}>`], cseq: o.cseq, expires: o.expires, extra: o.extra }));
  expect(r.status).toBe(200);
  return reply;
}

/** Let settled promises run their callbacks (no timer involved). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The PURR of the `+sip.pnspurr` in a 200's Feature-Caps. */
function purrOf(featureCaps: readonly string[]): string {
  const m = /;\+sip\.pnspurr="([^"]+)"/.exec(featureCaps.join(','));
  if (m === null) throw new Error(`no +sip.pnspurr in ${featureCaps.join(' | ')}`);
  return m[1];
}

/** A mid-dialog BYE to the phone's dialog Contact (its Request-URI carries `pn-purr`), or via a top Route. */
function midDialog(purr: string | undefined, where: 'ruri' | 'route' = 'ruri'): SipRequest {
  const param = purr === undefined ? '' : `;pn-purr=${purr}`;
  const ruri = where === 'ruri' ? `${APNS}${param}` : APNS;
  const route = where === 'route' ? [`Route: <sip:proxy.example.com;lr${param}>`] : [];
  return req([
    `BYE ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-bye',
    'Max-Forwards: 70',
    ...route,
    'From: <sip:bob@example.org>;tag=b1',
    `To: <sip:${AOR}>;tag=a1`,
    'Call-ID: dialog-1',
    'CSeq: 2 BYE',
    'Content-Length: 0',
    '',
    '',
  ].join('\n'));
}

function pendingOf(found: LookupResult): readonly PushPendingTarget[] {
  if (found.kind === 'push-pending') return found.pending;
  if (found.kind === 'found' && found.pending !== undefined) return found.pending;
  throw new Error(`nothing pending in a ${found.kind} result`);
}

describe('push notifications (RFC 8599) through the registrar', () => {
  describe('REGISTER', () => {
    it('disabled: pn-* Contacts are plain bindings (no 555, no Feature-Caps, no push on lookup)', async () => {
      const registrar = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
      const events: ContactRefreshEvent[] = [];
      registrar.on('contact-refresh', (e) => events.push(e));
      const { r, reply } = await save(registrar, register({ contacts: [`<${APNS}>;+sip.pnsreg`, '<sip:alice@192.0.2.11;pn-provider=unknown;pn-prid=1;pn-param=2>'] }));
      expect(r.status).toBe(200);
      expect(reply.headerAll('feature-caps')).toEqual([]);
      const bindings = await registrar.bindings(AOR);
      expect(bindings.map((b) => b.flags & BindingFlags.push)).toEqual([0, 0]);
      const found = await registrar.lookup(`sip:${AOR}`);
      expect(found.kind).toBe('found');
      if (found.kind === 'found') expect(found.targets.map((t) => t.uri)).toContain(APNS);
      expect(events).toEqual([]);
    });

    it('555 Push Notification Service Not Supported for a provider not served; nothing saved', async () => {
      const { registrar } = setup();
      const { r, reply } = await save(registrar, register({ contacts: [`<sip:alice@192.0.2.10;pn-provider=webpush;pn-prid=x;pn-param=y>`] }));
      expect(r.status).toBe(555);
      expect(reply.status).toBe(555);
      expect(reply.reason).toBe('Push Notification Service Not Supported');
      expect(await registrar.bindings(AOR)).toEqual([]);
    });

    it('a capability query (pn-provider without value) gets a +sip.pns per provider; its binding is ordinary', async () => {
      const { registrar } = setup();
      const reply = await registerPhone(registrar, { contact: '<sip:alice@192.0.2.10:5060;pn-provider>' });
      expect(reply.headerAll('feature-caps')).toEqual(['*;+sip.pns="apns"', '*;+sip.pns="fcm"']);
      const one = await registerPhone(registrar, { contact: '<sip:alice@192.0.2.11:5060;pn-provider=fcm>', cseq: 2 });
      expect(one.headerAll('feature-caps')).toEqual(['*;+sip.pns="fcm"']);
      expect((await registrar.bindings(AOR)).map((b) => b.flags & BindingFlags.push)).toEqual([0, 0]);
    });

    it('a push Contact: Feature-Caps +sip.pns, +sip.pnsreg when the Contact had it, +sip.pnspurr with enablePurr', async () => {
      const plain = setup();
      expect((await registerPhone(plain.registrar)).headerAll('feature-caps')).toEqual(['*;+sip.pns="apns"']);
      expect((await plain.registrar.bindings(AOR))[0].flags & BindingFlags.push).toBe(BindingFlags.push);
      const pnsreg = await registerPhone(plain.registrar, { contact: `<${APNS}>;+sip.pnsreg`, cseq: 2 });
      expect(pnsreg.headerAll('feature-caps')).toEqual(['*;+sip.pns="apns";+sip.pnsreg="130"']);

      const withPurr = setup({ enablePurr: true, purrSecret: 'purr-k', pnsregIntervalSec: 300 });
      const reply = await registerPhone(withPurr.registrar, { contact: `<${APNS}>;+sip.pnsreg` });
      const [caps] = reply.headerAll('feature-caps');
      expect(caps).toMatch(/^\*;\+sip\.pns="apns";\+sip\.pnsreg="300";\+sip\.pnspurr="[A-Za-z0-9_-]+"$/);
      // Deterministic: the refresh of the same registration gets the same PURR.
      const again = await registerPhone(withPurr.registrar, { contact: `<${APNS}>;+sip.pnsreg`, cseq: 2 });
      expect(again.headerAll('feature-caps')).toEqual([caps]);
    });

    it('a re-REGISTER with the same pn-* values from another host:port refreshes the device (no second binding)', async () => {
      const { registrar } = setup();
      await registerPhone(registrar);
      const reply = await registerPhone(registrar, { contact: `<${MOVED}>`, cseq: 2 });
      const bindings = await registrar.bindings(AOR);
      expect(bindings.map((b) => b.contact)).toEqual([MOVED]);
      expect(reply.contacts === '*' ? [] : reply.contacts.map((c) => c.uri)).toEqual([MOVED]);
      // A different device (another pn-prid) is a second binding.
      await registerPhone(registrar, { contact: '<sip:alice@192.0.2.12:5060;pn-provider=apns;pn-prid=ffff;pn-param=ABCD1234.com.example.voip>', cseq: 3 });
      expect(await registrar.bindings(AOR)).toHaveLength(2);
    });

    it('a provider a proxy upstream handles (its +sip.pns in the Feature-Caps): stored push|pushUpstream, reachable on lookup', async () => {
      const { registrar, events, pushes } = setup();
      const reply = await registerPhone(registrar, { extra: ['Feature-Caps: *;+sip.pns="apns"'] });
      expect(reply.headerAll('feature-caps')).toEqual([]);
      const [b] = await registrar.bindings(AOR);
      expect(b.flags & (BindingFlags.push | BindingFlags.pushUpstream)).toBe(BindingFlags.push | BindingFlags.pushUpstream);
      const found = await registrar.lookup(`sip:${AOR}`);
      expect(found).toMatchObject({ kind: 'found', code: 1 });
      if (found.kind === 'found') {
        expect(found.pending).toBeUndefined();
        expect(found.ruri?.uri).toBe('sip:alice@192.0.2.10:5060;transport=tcp');
      }
      expect(events).toEqual([]);
      expect(pushes).toEqual([]);
    });
  });

  describe('lookup', () => {
    it('only a sleeping push binding: push-pending (code 2), contact-refresh reason lookup, the notifier called', async () => {
      const { registrar, events, pushes } = setup();
      await registerPhone(registrar);
      const found = await registrar.lookup(`sip:${AOR}`);
      expect(found).toMatchObject({ kind: 'push-pending', code: 2, aor: AOR });
      expect(pendingOf(found).map((p) => p.binding.contact)).toEqual([APNS]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ aor: AOR, reason: 'lookup', attempt: 1, pn: COORDINATES });
      expect(events[0].binding.contact).toBe(APNS);
      expect(pushes).toEqual([{ ...COORDINATES, aor: AOR, contact: APNS, reason: 'lookup', attempt: 1 }]);
    });

    it('the device re-registers within pn_refresh_timeout: refreshed gives its new target without pn-* parameters', async () => {
      const { clock, registrar } = setup({ refreshTimeoutSec: 6 });
      await registerPhone(registrar);
      const [pending] = pendingOf(await registrar.lookup(`sip:${AOR}`));
      clock.advance(2_500);
      await registerPhone(registrar, { contact: `<${MOVED}>`, cseq: 2 });
      const target = await pending.refreshed;
      expect(target?.uri).toBe('sip:alice@203.0.113.9:41000;transport=tcp');
      expect(target?.binding.contact).toBe(MOVED);
      expect(target?.aor).toBe(AOR);
      // Awake now: the next lookup is pushed again (pn_skip_pn_interval 0), the device is still one binding.
      expect(await registrar.bindings(AOR)).toHaveLength(1);
    });

    it('no re-REGISTER: refreshed settles with undefined once pn_refresh_timeout has passed', async () => {
      const { clock, registrar } = setup({ refreshTimeoutSec: 6 });
      await registerPhone(registrar);
      const [pending] = pendingOf(await registrar.lookup(`sip:${AOR}`));
      let settled = false;
      const outcome = pending.refreshed.then((t) => { settled = true; return t; });
      clock.advance(5_999);
      await flush();
      expect(settled).toBe(false);
      clock.advance(1);
      expect(await outcome).toBeUndefined();
    });

    it('the device de-registers instead: refreshed settles with undefined at once', async () => {
      const { registrar } = setup();
      await registerPhone(registrar);
      const [pending] = pendingOf(await registrar.lookup(`sip:${AOR}`));
      await save(registrar, register({ cseq: 2, contacts: [`<${MOVED}>`], expires: 0 }));
      expect(await registrar.bindings(AOR)).toEqual([]);
      expect(await pending.refreshed).toBeUndefined();
    });

    it('skipPnIntervalSec: a freshly registered push binding is reachable (found, code 1, pn-* stripped, no push)', async () => {
      const { clock, registrar, events } = setup({ skipPnIntervalSec: 30 });
      await registerPhone(registrar);
      clock.advance(29_000);
      const found = await registrar.lookup(`sip:${AOR}`);
      expect(found).toMatchObject({ kind: 'found', code: 1 });
      if (found.kind === 'found') {
        expect(found.ruri?.uri).toBe('sip:alice@192.0.2.10:5060;transport=tcp');
        expect(found.pending).toBeUndefined();
      }
      expect(events).toEqual([]);
      clock.advance(1_000);
      expect(await registrar.lookup(`sip:${AOR}`)).toMatchObject({ kind: 'push-pending', code: 2 });
    });

    it('a push and a plain binding: found with the plain target and the push pending alongside', async () => {
      const { registrar, events } = setup();
      await registerPhone(registrar);
      await registerPhone(registrar, { contact: `<${DESK}>`, cseq: 2 });
      const found = await registrar.lookup(`sip:${AOR}`);
      expect(found).toMatchObject({ kind: 'found', code: 1 });
      if (found.kind !== 'found') return;
      expect(found.targets.map((t) => t.uri)).toEqual([DESK]);
      expect(found.pending?.map((p) => p.binding.contact)).toEqual([APNS]);
      expect(events.map((e) => e.reason)).toEqual(['lookup']);
    });

    it('retries an unanswered lookup push per maxPushAttempts within pn_refresh_timeout', async () => {
      const { clock, registrar, pushes } = setup({ maxPushAttempts: 3, pushRetrySec: 1, pushRetryJitter: 0, refreshTimeoutSec: 6 });
      await registerPhone(registrar);
      const [pending] = pendingOf(await registrar.lookup(`sip:${AOR}`));
      clock.advance(1_000);
      clock.advance(2_000);
      clock.advance(2_999);
      expect(pushes.map((p) => [p.attempt, p.reason])).toEqual([[1, 'lookup'], [2, 'lookup'], [3, 'lookup']]);
      clock.advance(1);
      expect(await pending.refreshed).toBeUndefined();
    });
  });

  describe('expiry trigger (pn_trigger_interval)', () => {
    it('a push binding not refreshed triggerIntervalSec before expiry is pushed with reason expiring, retried per maxPushAttempts', async () => {
      const { clock, registrar, events, pushes } = setup({ triggerIntervalSec: 120, maxPushAttempts: 3, pushRetrySec: 10, pushRetryJitter: 0 });
      await registerPhone(registrar, { expires: 600 });
      clock.advance(479_999);
      expect(events).toEqual([]);
      clock.advance(1);
      expect(events.map((e) => [e.reason, e.attempt])).toEqual([['expiring', 1]]);
      expect(events[0].pn).toEqual(COORDINATES);
      clock.advance(10_000);
      clock.advance(20_000);
      expect(events.map((e) => [e.reason, e.attempt])).toEqual([['expiring', 1], ['expiring', 2], ['expiring', 3]]);
      expect(pushes.map((p) => p.reason)).toEqual(['expiring', 'expiring', 'expiring']);
      clock.advance(100_000);
      expect(events).toHaveLength(3);
    });

    it('the re-REGISTER the push asked for stops the retries', async () => {
      const { clock, registrar, events } = setup({ triggerIntervalSec: 120, maxPushAttempts: 3, pushRetrySec: 10, pushRetryJitter: 0 });
      await registerPhone(registrar, { expires: 600 });
      clock.advance(485_000);
      expect(events).toHaveLength(1);
      await registerPhone(registrar, { contact: `<${MOVED}>`, cseq: 2, expires: 600 });
      clock.advance(60_000);
      expect(events).toHaveLength(1);
    });

    it('a refresh before the trigger re-arms it; plain bindings are never pushed', async () => {
      const { clock, registrar, events } = setup({ triggerIntervalSec: 120 });
      await registerPhone(registrar, { expires: 600 });
      await registerPhone(registrar, { contact: `<${DESK}>`, cseq: 2, expires: 600 });
      clock.advance(400_000);
      await registerPhone(registrar, { contact: `<${MOVED}>`, cseq: 3, expires: 600 });
      clock.advance(479_999);
      expect(events).toEqual([]);
      clock.advance(1);
      expect(events.map((e) => [e.reason, e.binding.contact])).toEqual([['expiring', MOVED]]);
    });
  });

  describe('processPurr (pn_process_purr)', () => {
    const purrOptions: PushOptions = { enablePurr: true, purrSecret: 'purr-k', refreshTimeoutSec: 6 };

    async function registered(push: PushOptions = purrOptions, options: RegistrarOptions = {}) {
      const s = setup(push, options);
      const reply = await registerPhone(s.registrar);
      return { ...s, purr: purrOf(reply.headerAll('feature-caps')) };
    }

    it('refreshed (1): the device is pushed with reason purr and re-registers; the target is its new Contact', async () => {
      const { clock, registrar, events, purr } = await registered();
      const outcome = registrar.processPurr(midDialog(purr));
      await flush();
      expect(events.map((e) => [e.reason, e.binding.contact])).toEqual([['purr', APNS]]);
      clock.advance(1_000);
      await registerPhone(registrar, { contact: `<${MOVED}>`, cseq: 2 });
      const settled = await outcome;
      expect(settled).toMatchObject({ code: 1, kind: 'refreshed', aor: AOR });
      if (settled.kind === 'refreshed') expect(settled.target.uri).toBe('sip:alice@203.0.113.9:41000;transport=tcp');
      // The PURR names the device, not the Contact it had: after the move it still reaches it.
      const later = registrar.processPurr(midDialog(purr));
      await flush();
      expect(events.map((e) => [e.reason, e.binding.contact])).toEqual([['purr', APNS], ['purr', MOVED]]);
      clock.advance(6_000);
      expect(await later).toMatchObject({ code: 1, kind: 'timed-out' });
    });

    it('timed-out (1): no re-REGISTER within pn_refresh_timeout; the PURR in the top Route works too', async () => {
      const { clock, registrar, events, purr } = await registered();
      const outcome = registrar.processPurr(midDialog(purr, 'route'));
      await flush();
      expect(events.map((e) => e.reason)).toEqual(['purr']);
      clock.advance(6_000);
      const settled = await outcome;
      expect(settled).toMatchObject({ code: 1, kind: 'timed-out', aor: AOR });
      if (settled.kind === 'timed-out') expect(settled.binding.contact).toBe(APNS);
    });

    it('no-purr (2): no pn-purr in the Request-URI or top Route, or push notifications off', async () => {
      const { registrar } = await registered();
      expect(await registrar.processPurr(midDialog(undefined))).toEqual({ code: 2, kind: 'not-launched', reason: 'no-purr' });
      const off = createRegistrar({ clock: new ManualClock(T0), purgeIntervalMs: 0 });
      expect(await off.processPurr(midDialog('AAAA'))).toEqual({ code: 2, kind: 'not-launched', reason: 'no-purr' });
    });

    it('foreign-purr (2): a PURR this registrar did not issue (or any PURR while it issues none)', async () => {
      const { registrar, events } = await registered();
      const other = await registered({ ...purrOptions, purrSecret: 'someone-else' });
      const foreign = { code: 2, kind: 'not-launched', reason: 'foreign-purr' };
      expect(await registrar.processPurr(midDialog(other.purr))).toEqual(foreign);
      expect(await registrar.processPurr(midDialog('not-a-purr'))).toEqual(foreign);
      expect(events).toEqual([]);
      const noPurrs = setup();
      await registerPhone(noPurrs.registrar);
      expect(await noPurrs.registrar.processPurr(midDialog(other.purr))).toEqual(foreign);
      expect(noPurrs.events).toEqual([]);
    });

    it('offline (2): the registration of the PURR is gone', async () => {
      const { registrar, purr } = await registered();
      await save(registrar, register({ cseq: 2, contacts: [`<${APNS}>`], expires: 0 }));
      expect(await registrar.bindings(AOR)).toEqual([]);
      expect(await registrar.processPurr(midDialog(purr))).toEqual({ code: 2, kind: 'not-launched', reason: 'offline' });
    });

    it('reachable (2): registered within pn_skip_pn_interval', async () => {
      const { registrar, events, purr } = await registered({ ...purrOptions, skipPnIntervalSec: 30 });
      expect(await registrar.processPurr(midDialog(purr))).toEqual({ code: 2, kind: 'not-launched', reason: 'reachable' });
      expect(events).toEqual([]);
    });

    it('error (-1): the location store fails', async () => {
      const store = new FlakyStore();
      const { registrar, events, purr } = await registered(purrOptions, { store });
      store.failing = true;
      const outcome = await registrar.processPurr(midDialog(purr));
      expect(outcome).toMatchObject({ code: -1, kind: 'error' });
      if (outcome.kind === 'error') expect(String(outcome.error)).toMatch(/store down/);
      expect(events).toEqual([]);
    });
  });
});
