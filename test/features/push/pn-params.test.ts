import fc from 'fast-check';
import { readPnParams } from '../../../src/features/push/pn-params';
import { pnDeviceKey } from '../../../src/features/push/pn-device-key';
import { stripPnParams } from '../../../src/features/push/strip-pn-params';
import { upstreamPns } from '../../../src/features/push/upstream-pns';
import { register } from '../../registrar/sip-text';

const MATCH = ['pn-provider', 'pn-prid', 'pn-param'];

describe('readPnParams', () => {
  it('reads the pn-* URI parameters and the +sip.pnsreg Contact parameter', () => {
    const r = register({ contacts: ['<sip:alice@192.0.2.10:5060;transport=tcp;PN-Provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip>;+sip.pnsreg;expires=600'] });
    const c = (r.contacts as readonly import('../../../src/sip/message').NameAddrValue[])[0];
    expect(readPnParams(c)).toMatchObject({ provider: 'apns', prid: '00fc13adff78512', param: 'ABCD1234.com.example.voip', pnsreg: true });
    expect(readPnParams(c)?.purr).toBeUndefined();
  });

  it('is undefined without pn-provider, null-valued for a capability query, and reads bare URIs', () => {
    expect(readPnParams('sip:alice@192.0.2.10;transport=tcp')).toBeUndefined();
    expect(readPnParams('sip:alice@192.0.2.10;pn-prid=x')).toBeUndefined();
    expect(readPnParams('sip:alice@192.0.2.10;pn-provider')).toMatchObject({ provider: null, pnsreg: false });
    expect(readPnParams('sip:bob@192.0.2.20;pn-provider=fcm;pn-prid=tok;pn-purr=abc')).toMatchObject({ provider: 'fcm', prid: 'tok', purr: 'abc' });
    expect(readPnParams('sip:bad uri;pn-provider=fcm')).toBeUndefined();
  });
});

describe('pnDeviceKey (pn_ct_match_params)', () => {
  const keyOf = (uri: string): string | undefined => {
    const pn = readPnParams(uri);
    return pn === undefined ? undefined : pnDeviceKey(pn.uriParams, MATCH);
  };

  it('needs every match parameter with a value', () => {
    expect(keyOf('sip:a@h;pn-provider=apns;pn-prid=p1;pn-param=t')).toBeDefined();
    expect(keyOf('sip:a@h;pn-provider=apns;pn-prid=p1')).toBeUndefined();
    expect(keyOf('sip:a@h;pn-provider;pn-prid=p1;pn-param=t')).toBeUndefined();
  });

  const token = fc.stringMatching(/^[a-zA-Z0-9._~-]{1,12}$/);
  // lr, ttl and maddr have their own value syntax (RFC 3261 §19.1.1): leave them out of random parameters.
  const otherParam = fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/).filter((n) => !n.startsWith('pn') && !['lr', 'ttl', 'maddr'].includes(n)), token).map(([n, v]) => `${n}=${v}`);

  it('is independent of parameter order and of the rest of the URI', () => {
    fc.assert(fc.property(
      fc.tuple(token, token, token),
      fc.array(otherParam, { maxLength: 3 }),
      fc.array(otherParam, { maxLength: 3 }),
      fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/),
      fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }),
      fc.nat(), fc.nat(),
      ([provider, prid, param], extraA, extraB, hostA, hostB, portA, portB, seedA, seedB) => {
        const pn = [`pn-provider=${provider}`, `pn-prid=${prid}`, `pn-param=${param}`];
        const shuffle = (xs: string[], seed: number): string[] => {
          const out = xs.slice();
          for (let i = out.length - 1; i > 0; i--) {
            const j = (seed + i * 7) % (i + 1);
            [out[i], out[j]] = [out[j], out[i]];
          }
          return out;
        };
        const a = `sip:u@${hostA}.example:${portA};${shuffle([...pn, ...extraA], seedA).join(';')}`;
        const b = `sips:v@${hostB}.example:${portB};${shuffle([...pn, ...extraB], seedB).join(';')}`;
        expect(keyOf(a)).toBeDefined();
        expect(keyOf(a)).toBe(keyOf(b));
        expect(keyOf(a)).not.toBe(keyOf(b.replace(`pn-prid=${prid}`, `pn-prid=${prid}x`)));
      },
    ));
  });
});

describe('stripPnParams', () => {
  it('removes every pn-* parameter and the listed custom ones, keeping the rest byte for byte', () => {
    expect(stripPnParams('sip:Alice@192.0.2.10:5060;Transport=TCP;pn-provider=apns;pn-prid=00fc13;pn-param=T.voip;ob'))
      .toBe('sip:Alice@192.0.2.10:5060;Transport=TCP;ob');
    expect(stripPnParams('sip:a@h;PN-PRID=x;pn-purr=y;app-id=7;lr?Subject=hi', ['app-id'])).toBe('sip:a@h;lr?Subject=hi');
    expect(stripPnParams('sip:a;pn-user=1@h;pn-provider=fcm')).toBe('sip:a;pn-user=1@h');
  });

  it('returns the same string when there is nothing to strip', () => {
    const uri = 'sip:alice@192.0.2.10:5060;transport=tcp';
    expect(stripPnParams(uri)).toBe(uri);
    expect(stripPnParams('sip:alice@[2001:db8::1]:5060')).toBe('sip:alice@[2001:db8::1]:5060');
  });
});

describe('upstreamPns', () => {
  it('reads +sip.pns from Feature-Caps values, with or without the leading *', () => {
    const r = register({ extra: ['Feature-Caps: *;+sip.pns="apns";+sip.pnsreg="121"', 'Feature-Caps: +sip.pns="fcm,webpush"'] });
    expect([...upstreamPns(r.featureCaps)].sort()).toEqual(['apns', 'fcm', 'webpush']);
    expect(upstreamPns([]).size).toBe(0);
    expect(upstreamPns(['*;+sip.pnsreg="121"']).size).toBe(0);
  });
});
