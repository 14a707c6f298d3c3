import { classifyGruu } from '../../../src/features/gruu/gruu-uri';
import { tempGruu, tempGruuSealer } from '../../../src/features/gruu/temp-gruu';

const sealer = tempGruuSealer('s3cret');
const LEGACY = ['0p3nS1pS', 'OpenSIPS'];
const INSTANCE = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';
/** OpenSIPS temp GRUU for alice@example.com / INSTANCE / a84b4c76e66710@pc33.atlanta.com, secret 0p3nS1pS. */
const LEGACY_USER = 'tgruu.AUcDXmMBQGMAQBMPP1gTNnAVSw8+QRw2HhNcA3NEAj0KBUYHNwsWawEUBwgyVF1kVBVQQ2IAFGMdEQRYZhxAY1FAUFdiVEYxVkYTD2sFEmdTRwULZQdHYgAwQw1gAl4yRBxSACdQXjBfHQ==';

const classify = (uri: string) => classifyGruu(uri, sealer, LEGACY);

describe('classifyGruu (RFC 5627 §6.1)', () => {
  it('is undefined for URIs without a gr parameter', () => {
    expect(classify('sip:alice@example.com')).toBeUndefined();
    expect(classify('sip:alice@example.com;transport=tcp;grx=1')).toBeUndefined();
    expect(classify('sip:alice;gr@example.com')).toBeUndefined();
    expect(classify('sip:alice@example.com?X-gr=1')).toBeUndefined();
    expect(classify('tel:+15551234;gr')).toBeUndefined();
    expect(classify('not a uri;gr')).toBeUndefined();
  });

  it('reads a public GRUU: the AOR URI and the instance in angle brackets', () => {
    expect(classify('sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'))
      .toEqual({ kind: 'public', aorUri: 'sip:alice@example.com', instanceId: INSTANCE });
    expect(classify('sips:Al%20ice@EXAMPLE.com:5061;transport=tls;GR=urn:a%20b'))
      .toEqual({ kind: 'public', aorUri: 'sips:Al%20ice@example.com', instanceId: '<urn:a b>' });
  });

  it('reads a sipreg temporary GRUU, whatever host it was sent to', () => {
    const gruu = tempGruu(sealer, 'alice@example.com', INSTANCE, 'c1@h');
    const expected = { kind: 'temporary', aor: 'alice@example.com', instanceId: INSTANCE, callId: 'c1@h' };
    expect(classify(gruu)).toEqual(expected);
    expect(classify(gruu.replace('example.com', 'proxy.example.net:5080;transport=tcp'))).toEqual(expected);
  });

  it('reads an OpenSIPS-format temporary GRUU, escaped or not', () => {
    const expected = { kind: 'temporary', aor: 'alice@example.com', instanceId: INSTANCE, callId: 'a84b4c76e66710@pc33.atlanta.com' };
    expect(classify(`sip:${LEGACY_USER}@192.0.2.1:5060;gr`)).toEqual(expected);
    expect(classify(`sip:${LEGACY_USER.replace(/\+/g, '%2B').replace(/=/g, '%3D')}@192.0.2.1;gr`)).toEqual(expected);
    expect(classifyGruu(`sip:${LEGACY_USER}@192.0.2.1;gr`, sealer, [])).toEqual({ kind: 'invalid' });
  });

  it('is invalid for a gr parameter that names nothing', () => {
    const foreign = tempGruu(tempGruuSealer('other'), 'alice@example.com', INSTANCE, 'c1');
    expect(classify(foreign)).toEqual({ kind: 'invalid' });
    expect(classify('sip:tgruu.AAAA@example.com;gr')).toEqual({ kind: 'invalid' });
    expect(classify('sip:alice@example.com;gr')).toEqual({ kind: 'invalid' });
    expect(classify('sip:example.com;gr=urn:x')).toEqual({ kind: 'invalid' });
    expect(classify('sip:alice@example.com;gr=urn:%FF')).toEqual({ kind: 'invalid' });
  });
});
