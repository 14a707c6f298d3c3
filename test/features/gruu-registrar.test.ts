import { createRegistrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import type { LookupResult } from '../../src/registrar/select-targets';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import type { Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { register, replyContacts, req, res } from '../registrar/sip-text';

/** GRUUs (RFC 5627) through the registrar: 200 Contact parameters and lookups of GRUU Request-URIs. */

const T0 = 1_700_000_000_000;
const UUID_A = 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6';
const UUID_B = 'urn:uuid:00000000-0000-1000-8000-aabbccddeeff';
const CONTACT_A = 'sip:alice@192.0.2.10:5060';
const CONTACT_B = 'sip:alice@192.0.2.20:5060';
const PLAIN = 'sip:alice@192.0.2.30:5060';
const tcpSource: Source = {
  protocol: 'tcp', address: '203.0.113.7', port: 40000, connectionId: 'tcp#17',
  local: { protocol: 'tcp', address: '127.0.0.1', port: 5060 },
};

/** A Contact value with `+sip.instance` (and a `reg-id` for an outbound flow). */
const withInstance = (uri: string, uuid: string, regId?: number): string =>
  `<${uri}>;+sip.instance="<${uuid}>"${regId === undefined ? '' : `;reg-id=${regId}`}`;

function setup(options: RegistrarOptions = { gruu: { enabled: true } }) {
  const clock = new ManualClock(T0);
  const registrar = createRegistrar({ clock, purgeIntervalMs: 0, ...options });
  return { clock, registrar };
}

type Registrar = ReturnType<typeof createRegistrar>;

const unquote = (v: string | null | undefined): string | undefined => (typeof v === 'string' ? v.replace(/^"|"$/g, '') : undefined);

/** Save; the 200's Contact parameters by Contact URI (pub-gruu and temp-gruu unquoted). */
async function save(registrar: Registrar, request: SipRequest) {
  const r = await registrar.save(request, { source: tcpSource });
  expect(r.status).toBe(200);
  const contacts = replyContacts(res(r.response));
  const gruus = (uri: string) => {
    const c = contacts.find((x) => x.uri === uri);
    if (c === undefined) throw new Error(`${uri} not in the 200`);
    return { pub: unquote(c.params['pub-gruu']), temp: unquote(c.params['temp-gruu']) };
  };
  return { contacts, gruus };
}

/** Register `CONTACT_A` as instance A with `Supported: gruu`; its GRUUs. */
async function registerA(registrar: Registrar, o: { callId?: string; cseq?: number; expires?: number } = {}) {
  const { gruus } = await save(registrar, register({ ...o, contacts: [withInstance(CONTACT_A, UUID_A)], extra: ['Supported: gruu'] }));
  const g = gruus(CONTACT_A);
  if (g.pub === undefined || g.temp === undefined) throw new Error('no GRUUs in the 200');
  return { pub: g.pub, temp: g.temp };
}

/** An INVITE to `uri` (a GRUU handed to a peer, RFC 5627 §3). */
const invite = (uri: string): SipRequest => req(`
INVITE ${uri} SIP/2.0
Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-inv
Max-Forwards: 70
From: <sip:bob@example.org>;tag=b1
To: <${uri}>
Call-ID: inv-1
CSeq: 1 INVITE
Contact: <sip:bob@198.51.100.1:5060>
Content-Length: 0

`);

/** The target URIs of a found lookup. */
function uris(found: LookupResult): string[] {
  if (found.kind !== 'found') throw new Error(`expected found, got ${found.kind}`);
  return found.targets.map((t) => t.uri);
}

/** OpenSIPS `build_temp_gruu` + `base64encode`, written out here independently of src. */
function opensipsTempGruu(text: string, secret: string): string {
  const bytes = Buffer.from(text, 'latin1');
  const key = Buffer.from(secret, 'latin1');
  for (let i = 0; i < bytes.length; i++) bytes[i] ^= key[i % key.length];
  return `sip:tgruu.${bytes.toString('base64')}@example.com;gr`;
}

describe('GRUU (RFC 5627) through the registrar', () => {
  it('is disabled by default: no pub-gruu or temp-gruu, and a gr URI is looked up as its AOR', async () => {
    const { registrar } = setup({});
    const { contacts } = await save(registrar, register({ contacts: [withInstance(CONTACT_A, UUID_A)], extra: ['Supported: gruu'] }));
    expect(contacts[0].params['pub-gruu']).toBeUndefined();
    expect(contacts[0].params['temp-gruu']).toBeUndefined();
    expect(contacts[0].params['+sip.instance']).toBe(`"<${UUID_A}>"`);
    expect(uris(await registrar.lookup(`sip:alice@example.com;gr=${UUID_B}`))).toEqual([CONTACT_A]);
  });

  it('hands out pub-gruu and temp-gruu to a Contact with +sip.instance when the UA says Supported: gruu (RFC 5627 §5.2)', async () => {
    const { registrar } = setup();
    const first = await registerA(registrar);
    expect(first.pub).toBe(`sip:alice@example.com;gr=${UUID_A}`);
    expect(first.temp).toMatch(/^sip:tgruu\.[A-Za-z0-9_-]+@example\.com;gr$/);
    const again = await registerA(registrar, { cseq: 2 });
    expect(again.pub).toBe(first.pub);
    expect(again.temp).not.toBe(first.temp);
  });

  it('gives no GRUU without Supported: gruu, nor to a Contact without +sip.instance', async () => {
    const { registrar } = setup();
    const without = await save(registrar, register({ contacts: [withInstance(CONTACT_A, UUID_A)] }));
    expect(without.gruus(CONTACT_A)).toEqual({ pub: undefined, temp: undefined });
    const mixed = await save(registrar, register({ cseq: 2, contacts: [`<${PLAIN}>`], extra: ['Supported: gruu'] }));
    expect(mixed.gruus(PLAIN)).toEqual({ pub: undefined, temp: undefined });
    // The same 200 lists the instance's binding, which gets its GRUUs now that the UA asked.
    expect(mixed.gruus(CONTACT_A).pub).toBe(`sip:alice@example.com;gr=${UUID_A}`);
  });

  it('a public GRUU reaches only the bindings of its instance, at their Contact (no gr forwarded)', async () => {
    const { registrar } = setup();
    const { pub } = await registerA(registrar);
    await save(registrar, register({ cseq: 2, contacts: [withInstance(CONTACT_B, UUID_B), `<${PLAIN}>`], extra: ['Supported: gruu'] }));
    expect(await registrar.bindings('alice@example.com')).toHaveLength(3);
    const found = await registrar.lookup(pub);
    expect(uris(found)).toEqual([CONTACT_A]);
    if (found.kind === 'found') expect(found.ruri?.binding.instanceId).toBe(`<${UUID_A}>`);
    expect(uris(await registrar.lookup(`sip:alice@example.com;gr=${UUID_B}`))).toEqual([CONTACT_B]);
    expect(uris(await registrar.lookup(invite(pub)))).toEqual([CONTACT_A]);
  });

  it('a public GRUU of an instance with two outbound flows reaches both', async () => {
    const { registrar } = setup();
    await save(registrar, register({ contacts: [withInstance(`${CONTACT_A};transport=tcp`, UUID_A, 1)], extra: ['Supported: gruu, outbound'] }));
    await save(registrar, register({ cseq: 2, contacts: [withInstance(`${CONTACT_B};transport=tcp`, UUID_A, 2)], extra: ['Supported: gruu, outbound'] }));
    await save(registrar, register({ cseq: 3, contacts: [`<${PLAIN}>`] }));
    expect(uris(await registrar.lookup(`sip:alice@example.com;gr=${UUID_A}`, { toBranchesOnly: true })).sort())
      .toEqual([`${CONTACT_A};transport=tcp`, `${CONTACT_B};transport=tcp`]);
  });

  it('a temporary GRUU works while the Call-ID stays; a REGISTER with a new Call-ID invalidates the earlier ones (404)', async () => {
    const { registrar } = setup();
    const first = await registerA(registrar, { callId: 'c1', cseq: 1 });
    const refresh = await registerA(registrar, { callId: 'c1', cseq: 2 });
    expect(uris(await registrar.lookup(first.temp))).toEqual([CONTACT_A]);
    expect(uris(await registrar.lookup(refresh.temp))).toEqual([CONTACT_A]);
    const rebooted = await registerA(registrar, { callId: 'c2', cseq: 1 });
    for (const old of [first.temp, refresh.temp]) {
      expect(await registrar.lookup(old)).toEqual({ kind: 'not-found', code: -1, aor: 'alice@example.com', status: 404 });
    }
    expect(uris(await registrar.lookup(rebooted.temp))).toEqual([CONTACT_A]);
    expect(uris(await registrar.lookup(rebooted.pub))).toEqual([CONTACT_A]);
  });

  it('480 for GRUUs of an instance not registered any more (RFC 5627 §6.1)', async () => {
    const { registrar, clock } = setup();
    const { pub, temp } = await registerA(registrar, { expires: 600 });
    await save(registrar, register({ cseq: 2, contacts: [`<${PLAIN}>`], expires: 3600 }));
    await save(registrar, register({ cseq: 3, contacts: [withInstance(CONTACT_A, UUID_A)], expires: 0 }));
    const unavailable = { kind: 'not-found', code: -1, aor: 'alice@example.com', status: 480 };
    expect(await registrar.lookup(pub)).toEqual(unavailable);
    expect(await registrar.lookup(temp)).toEqual(unavailable);
    // Expiry instead of de-registration: same answer.
    const again = await registerA(registrar, { cseq: 4, expires: 600 });
    expect(uris(await registrar.lookup(again.temp))).toEqual([CONTACT_A]);
    clock.advance(600_000);
    expect(await registrar.lookup(again.pub)).toEqual(unavailable);
    expect(await registrar.lookup(again.temp)).toEqual(unavailable);
  });

  it('404 for a gr URI that names nothing this registrar handed out', async () => {
    const { registrar } = setup();
    await registerA(registrar);
    const notFound = { kind: 'not-found', code: -1, aor: 'sip:tgruu.xxx@example.com;gr', status: 404 };
    expect(await registrar.lookup('sip:tgruu.xxx@example.com;gr')).toEqual(notFound);
    expect(await registrar.lookup('sip:someone@example.com;gr')).toMatchObject({ kind: 'not-found', status: 404 });
    // A public GRUU of an AOR without live bindings: anyone can write one, so 404 rather than 480.
    expect(await registrar.lookup(`sip:bob@example.com;gr=${UUID_A}`)).toMatchObject({ kind: 'not-found', status: 404 });
  });

  it('resolves an OpenSIPS-format temporary GRUU (migration), and respects its Call-ID', async () => {
    const { registrar } = setup();
    await registerA(registrar, { callId: 'a84b4c76e66710-pc33.atlanta.com' });
    const legacy = opensipsTempGruu(`1699999000 alice@example.com ${UUID_A} a84b4c76e66710-pc33.atlanta.com`, '0p3nS1pS');
    expect(uris(await registrar.lookup(legacy))).toEqual([CONTACT_A]);
    const otherCall = opensipsTempGruu(`1699999000 alice@example.com ${UUID_A} older-call-pc33`, '0p3nS1pS');
    expect(await registrar.lookup(otherCall)).toMatchObject({ kind: 'not-found', status: 404 });
    const { registrar: strict } = setup({ gruu: { enabled: true, legacySecrets: [] } });
    await registerA(strict, { callId: 'a84b4c76e66710-pc33.atlanta.com' });
    expect(await strict.lookup(legacy)).toMatchObject({ kind: 'not-found', status: 404 });
  });

  it('keeps temporary GRUUs sealed under a rotated-out secret valid while it stays listed', async () => {
    const store = new MemoryLocationStore();
    const clock = new ManualClock(T0);
    const before = createRegistrar({ clock, store, purgeIntervalMs: 0, gruu: { enabled: true, secret: 'old' } });
    const { temp } = await registerA(before);
    const rotated = createRegistrar({ clock, store, purgeIntervalMs: 0, gruu: { enabled: true, secret: ['new', 'old'] } });
    expect(uris(await rotated.lookup(temp))).toEqual([CONTACT_A]);
    const fresh = await registerA(rotated, { cseq: 2 });
    expect(uris(await rotated.lookup(fresh.temp))).toEqual([CONTACT_A]);
    // Sealed under 'new': the old-only registrar cannot open it; dropping 'old' ends the old GRUUs.
    expect(await before.lookup(fresh.temp)).toMatchObject({ kind: 'not-found', status: 404 });
    const dropped = createRegistrar({ clock, store, purgeIntervalMs: 0, gruu: { enabled: true, secret: 'new' } });
    expect(await dropped.lookup(temp)).toMatchObject({ kind: 'not-found', status: 404 });
    expect(uris(await dropped.lookup(fresh.temp))).toEqual([CONTACT_A]);
  });
  it('warns when GRUUs are enabled with the public default secret', () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''), error() {} };
    createRegistrar({ gruu: { enabled: true }, logger, purgeIntervalMs: 0 });
    createRegistrar({ gruu: { enabled: true, secret: 'mine' }, logger, purgeIntervalMs: 0 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/public default secret/);
  });
});
