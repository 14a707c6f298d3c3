/**
 * Public identities of reg-event (OpenSIPS pua_reginfo `ul_identities_key`): configured ones
 * ({@link Reginfo.loadIdentities}) next to the ones set per AOR, and the bounds on both.
 */
import { ConfigError } from '../../src/errors/sdk-error';
import { MAX_IDENTITIES_PER_AOR, MAX_SET_IDENTITY_AORS } from '../../src/reginfo/identity-table';
import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import type { SipRequest } from '../../src/sip/message';
import { network, type Network } from './reginfo-harness';

const PROXY = 'sip:127.0.0.1:5999';

/** The presentity and the `<registration>` AORs of a PUBLISH. */
function published(r: SipRequest): [string, string[]] {
  const d = parseReginfo(r.body);
  if (!d.ok) throw new Error(d.error.reason);
  return [r.uri, d.value.registrations.map((x) => x.aor)];
}

describe('reg-event identities: configured and set, bounded', () => {
  let net: Network;
  beforeEach(() => {
    net = network([{ name: 'A', reginfo: { publish: true, outboundProxy: PROXY, useIdentities: true, defaultDomain: 'ims.test' } }]);
  });
  afterEach(async () => net.close());

  it('configured identities are published on every registration of the AOR, and outlive its bindings', async () => {
    const a = net.nodes[0];
    a.reginfo.loadIdentities(new Map([['sip:alice@IMS.test', ['sip:alias@ims.test', 'tel:+15551234']]]));
    expect(a.reginfo.identities('alice@ims.test')).toEqual(['sip:alias@ims.test', 'tel:+15551234']);
    await net.register(a, 'sip:alice@ims.test', 'sip:alice@192.0.2.1:5060', 300);
    await net.register(a, 'sip:alice@ims.test', 'sip:alice@192.0.2.1:5060', 0);
    await net.register(a, 'sip:alice@ims.test', 'sip:alice@192.0.2.1:5060', 300);
    expect(net.strays.map(published)).toEqual(Array(3).fill(['sip:alias@ims.test', ['sip:alias@ims.test', 'tel:+15551234']]));
  });

  it('set identities take precedence over the configured ones; an empty list brings the configured ones back; a reload replaces them all', async () => {
    const a = net.nodes[0];
    a.reginfo.loadIdentities(new Map([['alice', ['alias']], ['bob', ['sip:bob2@ims.test']]]));
    a.reginfo.setIdentities('alice@ims.test', ['<sip:mi@ims.test>']);
    expect(a.reginfo.identities('alice')).toEqual(['sip:mi@ims.test']);
    a.reginfo.setIdentities('alice@ims.test', []);
    expect(a.reginfo.identities('alice')).toEqual(['sip:alias@ims.test']);
    a.reginfo.loadIdentities(new Map([['alice', ['other']]]));
    expect([a.reginfo.identities('alice'), a.reginfo.identities('bob')]).toEqual([['sip:other@ims.test'], []]);
  });

  it('refuses more than 32 identities, one that is not a URI, and an AOR given twice, changing nothing', () => {
    const a = net.nodes[0];
    a.reginfo.loadIdentities(new Map([['alice', ['alias']]]));
    const many = Array.from({ length: MAX_IDENTITIES_PER_AOR + 1 }, (_, i) => `sip:a${i}@ims.test`);
    expect(() => a.reginfo.setIdentities('alice', many)).toThrow(new ConfigError("'alice' has 33 identities; at most 32 are kept per AOR"));
    expect(() => a.reginfo.setIdentities('alice', ['sip:a b@ims.test'])).toThrow(/identity 'sip:a b@ims.test' of 'alice' is not a sip:, sips: or tel: URI/);
    expect(() => a.reginfo.setIdentities('tel:+1555', ['sip:x@ims.test'])).toThrow(ConfigError);
    expect(() => a.reginfo.loadIdentities(new Map([['alice', ['x']], ['sip:alice@IMS.TEST', ['y']]]))).toThrow("'sip:alice@IMS.TEST' is given twice (both are the AOR alice@ims.test)");
    expect(() => a.reginfo.loadIdentities(new Map([['bob', many]]))).toThrow(/at most 32/);
    expect(a.reginfo.identities('alice')).toEqual(['sip:alias@ims.test']);
    // Duplicates count once.
    a.reginfo.setIdentities('alice', [...Array(40).fill('sip:same@ims.test')]);
    expect(a.reginfo.identities('alice')).toEqual(['sip:same@ims.test']);
  });

  it('keeps the identities set for at most 10,000 AORs, dropping the least recently used first', () => {
    const a = net.nodes[0];
    a.reginfo.setIdentities('u0', ['sip:first@ims.test']);
    for (let i = 1; i <= MAX_SET_IDENTITY_AORS; i++) a.reginfo.setIdentities(`u${i}`, [`sip:id${i}@ims.test`]);
    expect(a.reginfo.identities('u0')).toEqual([]);
    expect(a.reginfo.identities(`u${MAX_SET_IDENTITY_AORS}`)).toEqual([`sip:id${MAX_SET_IDENTITY_AORS}@ims.test`]);
  });
});
