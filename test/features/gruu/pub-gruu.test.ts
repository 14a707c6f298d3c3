import fc from 'fast-check';
import { instanceOfGr, pubGruu } from '../../../src/features/gruu/pub-gruu';
import { parseUri } from '../../../src/sip/uri';

const INSTANCE = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';

describe('public GRUU (RFC 5627 §3.1)', () => {
  it('is the AOR with gr = the instance without its angle brackets', () => {
    expect(pubGruu('alice@example.com', INSTANCE)).toBe('sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
    expect(pubGruu('alice@example.com', INSTANCE, 'sips')).toBe('sips:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
  });

  it('escapes what a URI parameter value and a user part may not hold', () => {
    expect(pubGruu('al ice@example.com', '<urn:a b;c=d%>')).toBe('sip:al%20ice@example.com;gr=urn:a%20b%3Bc%3Dd%25');
    expect(pubGruu('a@b@example.com', '<urn:é>')).toBe('sip:a%40b@example.com;gr=urn:%C3%A9');
  });

  it('instanceOfGr gives the stored form back, and undefined for a bad escape', () => {
    expect(instanceOfGr('urn:uuid:1')).toBe('<urn:uuid:1>');
    expect(instanceOfGr('urn:a%20b')).toBe('<urn:a b>');
    expect(instanceOfGr('urn:%FF')).toBeUndefined();
  });

  it('is always a valid SIP URI whose gr parameter gives the instance back', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (user, id) => {
      const uri = parseUri(pubGruu(`${user}@example.com`, `<${id}>`));
      expect(uri).toBeDefined();
      expect(instanceOfGr(uri!.params.gr!)).toBe(`<${id}>`);
      expect(decodeURIComponent(uri!.user!)).toBe(user);
    }));
  });
});
