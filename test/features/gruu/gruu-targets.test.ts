import { gruuTargets } from '../../../src/features/gruu/gruu-targets';
import type { GruuUri } from '../../../src/features/gruu/gruu-uri';
import { BINDING_T0, buildBinding } from '../../../src/testing/build-binding';

const A = '<urn:uuid:aaaaaaaa-0000-0000-0000-000000000001>';
const B = '<urn:uuid:bbbbbbbb-0000-0000-0000-000000000002>';
const NOW = BINDING_T0 + 1000;

const phoneA = buildBinding('sip:a@192.0.2.1', { instanceId: A, callId: 'ca' });
const phoneA2 = buildBinding('sip:a@192.0.2.2', { instanceId: A, callId: 'ca', regId: 2 });
const phoneB = buildBinding('sip:b@192.0.2.3', { instanceId: B, callId: 'cb' });
const plain = buildBinding('sip:c@192.0.2.4');
const expiredA = buildBinding('sip:a@192.0.2.9', { instanceId: A, callId: 'ca', expiresAt: NOW });

const pub = (instanceId: string): GruuUri => ({ kind: 'public', aorUri: 'sip:alice@example.com', instanceId });
const temp = (instanceId: string, callId: string): GruuUri => ({ kind: 'temporary', aor: 'alice@example.com', instanceId, callId });

describe('gruuTargets (RFC 5627 §6.1)', () => {
  it('routes a public GRUU to every live binding of its instance', () => {
    expect(gruuTargets(pub(A), [phoneB, phoneA, plain, phoneA2, expiredA], NOW)).toEqual({ kind: 'found', bindings: [phoneA, phoneA2] });
  });

  it('matches an instance stored without angle brackets', () => {
    const bare = buildBinding('sip:x@192.0.2.5', { instanceId: 'urn:x' });
    expect(gruuTargets(pub('<urn:x>'), [bare], NOW)).toEqual({ kind: 'found', bindings: [bare] });
    expect(gruuTargets(pub('<urn:xy>'), [bare], NOW).kind).toBe('unavailable');
  });

  it('answers 480 for a public GRUU of a registered AOR without that instance, 404 without bindings', () => {
    expect(gruuTargets(pub(B), [phoneA, expiredA], NOW)).toEqual({ kind: 'unavailable' });
    expect(gruuTargets(pub(A), [expiredA], NOW)).toEqual({ kind: 'not-found' });
    expect(gruuTargets(pub(A), [], NOW)).toEqual({ kind: 'not-found' });
  });

  it('routes a temporary GRUU only while its binding keeps the Call-ID', () => {
    expect(gruuTargets(temp(A, 'ca'), [phoneA, phoneB], NOW)).toEqual({ kind: 'found', bindings: [phoneA] });
    expect(gruuTargets(temp(A, 'old'), [phoneA, phoneB], NOW)).toEqual({ kind: 'not-found' });
    expect(gruuTargets(temp(A, 'ca'), [phoneB], NOW)).toEqual({ kind: 'unavailable' });
    expect(gruuTargets(temp(A, 'ca'), [], NOW)).toEqual({ kind: 'unavailable' });
  });

  it('answers 404 for an invalid GRUU', () => {
    expect(gruuTargets({ kind: 'invalid' }, [phoneA], NOW)).toEqual({ kind: 'not-found' });
  });
});
