import { createGruuFeature } from '../../../src/features/gruu/gruu-feature';
import type { SaveHookContext } from '../../../src/features/registrar-feature';
import { buildRegister, IdSequence } from '../../../src/testing/message-builders';
import { buildBinding, BINDING_T0 } from '../../../src/testing/build-binding';
import { parseSipMessage } from '../../../src/sip/sip-parser';
import type { SipRequest } from '../../../src/sip/message';
import { ConfigError } from '../../../src/errors/sdk-error';

const INSTANCE = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';
const CONTACT = { uri: 'sip:alice@192.0.2.10:5060', params: { '+sip.instance': `"${INSTANCE}"` } };

function request(supported: readonly string[] | undefined, aor = 'sip:alice@example.com'): SipRequest {
  const r = parseSipMessage(buildRegister({ aor, contacts: [CONTACT], supported, callId: 'c1@host', ids: new IdSequence('g') }));
  if (!r.ok || r.message.kind !== 'request') throw new Error('REGISTER does not parse');
  return r.message;
}

function ctx(req: SipRequest): SaveHookContext {
  return { request: req, save: {}, aor: 'alice@example.com', nowMs: BINDING_T0 };
}

const binding = buildBinding('sip:alice@192.0.2.10:5060', { instanceId: INSTANCE, callId: 'c1@host' });
const PARAMS = /^;pub-gruu="sip:alice@example\.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";temp-gruu="(sip:tgruu\.[A-Za-z0-9_-]+@example\.com;gr)"$/;

describe('GRUU feature (RFC 5627 §5.2)', () => {
  const feature = createGruuFeature({ enabled: true, secret: 's3cret' });

  it('adds pub-gruu and temp-gruu to a Contact with an instance when the REGISTER supports gruu', () => {
    const params = feature.contactParams(binding, ctx(request(['path', 'gruu'])));
    const m = PARAMS.exec(params);
    expect(m).not.toBeNull();
    expect(feature.resolve(m![1])).toEqual({ kind: 'temporary', aor: 'alice@example.com', instanceId: INSTANCE, callId: 'c1@host' });
    expect(feature.contactParams(binding, ctx(request(['gruu'])))).not.toBe(params);
  });

  it('writes sips GRUUs for a sips AOR', () => {
    expect(feature.contactParams(binding, ctx(request(['gruu'], 'sips:alice@example.com'))))
      .toMatch(/^;pub-gruu="sips:alice@example\.com;gr=urn:uuid:[^"]+";temp-gruu="sips:tgruu\./);
  });

  it('adds nothing without Supported: gruu, without an instance, or when disabled', () => {
    expect(feature.contactParams(binding, ctx(request(undefined)))).toBe('');
    expect(feature.contactParams(binding, ctx(request(['path'])))).toBe('');
    expect(feature.contactParams(buildBinding('sip:alice@192.0.2.10'), ctx(request(['gruu'])))).toBe('');
    expect(createGruuFeature().contactParams(binding, ctx(request(['gruu'])))).toBe('');
  });

  it('resolves public, temporary and OpenSIPS GRUUs, and nothing when disabled', () => {
    expect(feature.name).toBe('gruu');
    expect(feature.resolve('sip:alice@example.com')).toBeUndefined();
    expect(feature.resolve('sip:alice@example.com;gr=urn:uuid:1')).toEqual({ kind: 'public', aorUri: 'sip:alice@example.com', instanceId: '<urn:uuid:1>' });
    expect(feature.resolve('sip:tgruu.AAAA@example.com;gr')).toEqual({ kind: 'invalid' });
    const legacy = 'sip:tgruu.AUcDXmMBQGMAQBMPP1gTNnAVSw8+QRw2HhNcA3NEAj0KBUYHNwsWawEUBwgyVF1kVBVQQ2IAFGMdEQRYZhxAY1FAUFdiVEYxVkYTD2sFEmdTRwULZQdHYgAwQw1gAl4yRBxSACdQXjBfHQ==@192.0.2.1;gr';
    expect(feature.resolve(legacy)).toMatchObject({ kind: 'temporary', aor: 'alice@example.com' });
    expect(createGruuFeature().resolve('sip:alice@example.com;gr=urn:uuid:1')).toBeUndefined();
  });

  it('throws ConfigError for bad options', () => {
    expect(() => createGruuFeature({ secret: '' })).toThrow(ConfigError);
  });
});
