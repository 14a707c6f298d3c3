import { findParam, headerParam, withReceived } from '../../src/transports/header-param';

describe('headerParam', () => {
  const via = 'SIP/2.0/UDP 192.0.2.1:5060 ; branch=z9hG4bK1;MADDR = 239.1.1.1;rport;received=10.0.0.1';

  it('finds values case-insensitively, trimming white space', () => {
    expect(headerParam(via, 'branch')).toBe('z9hG4bK1');
    expect(headerParam(via, 'maddr')).toBe('239.1.1.1');
    expect(headerParam(via, 'received')).toBe('10.0.0.1');
  });

  it('returns null for a parameter without value and undefined when absent', () => {
    expect(headerParam(via, 'rport')).toBeNull();
    expect(headerParam(via, 'ttl')).toBeUndefined();
    expect(headerParam('SIP/2.0/UDP h', 'rport')).toBeUndefined();
  });

  it('findParam gives the index of the name', () => {
    expect(findParam(via, 'maddr')).toBe(via.indexOf('MADDR'));
    expect(findParam(via, 'ttl')).toBe(-1);
  });

  it('does not match a longer name with the same prefix', () => {
    expect(headerParam('SIP/2.0/UDP h;rportx=1', 'rport')).toBeUndefined();
    expect(headerParam('SIP/2.0/UDP h;maddrs;maddr=1.2.3.4', 'maddr')).toBe('1.2.3.4');
  });
});

describe('withReceived', () => {
  it('fills a value-less rport and appends received (RFC 3581 §4)', () => {
    expect(withReceived('SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK1', '203.0.113.7', 40000)).toBe(
      'SIP/2.0/UDP 10.0.0.2:5060;rport=40000;branch=z9hG4bK1;received=203.0.113.7',
    );
  });

  it('replaces an existing received and keeps an rport that has a value', () => {
    expect(withReceived('SIP/2.0/TCP h.example;received=1.1.1.1;rport=9;branch=b', '2.2.2.2', 5)).toBe(
      'SIP/2.0/TCP h.example;rport=9;branch=b;received=2.2.2.2',
    );
  });

  it('keeps the spacing of other parameters and handles received first', () => {
    expect(withReceived('SIP/2.0/UDP h ;received=1.1.1.1 ; rport ;branch=b', '2.2.2.2', 7)).toBe('SIP/2.0/UDP h ; rport=7 ;branch=b;received=2.2.2.2');
  });

  it('handles a Via without parameters', () => {
    expect(withReceived('SIP/2.0/UDP h.example', '192.0.2.9', 5060)).toBe('SIP/2.0/UDP h.example;received=192.0.2.9');
  });
});
