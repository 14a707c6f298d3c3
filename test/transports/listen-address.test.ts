import { ConfigError } from '../../src/errors/sdk-error';
import { formatEndpoint, parseListenAddress } from '../../src/transports/listen-address';

describe('parseListenAddress', () => {
  it.each([
    ['udp:127.0.0.1:5060', { protocol: 'udp', address: '127.0.0.1', port: 5060 }],
    ['tcp:127.0.0.1:0', { protocol: 'tcp', address: '127.0.0.1', port: 0 }],
    ['UDP:[::1]:5070', { protocol: 'udp', address: '::1', port: 5070 }],
    ['tcp:[::1]', { protocol: 'tcp', address: '::1', port: 5060 }],
    ['udp:10.0.0.1', { protocol: 'udp', address: '10.0.0.1', port: 5060 }],
  ])('parses %s', (spec, expected) => {
    expect(parseListenAddress(spec)).toEqual(expected);
  });

  it.each([
    'sctp:127.0.0.1:5060',
    '127.0.0.1:5060',
    'udp:localhost:5060',
    'udp:::1:5060',
    'udp:[::1:5060',
    'udp:[127.0.0.1]:5060',
    'udp:127.0.0.1:',
    'udp:127.0.0.1:65536',
    'udp:127.0.0.1:-1',
    'udp:127.0.0.1:50x',
    'udp:[::1]x5060',
  ])('rejects %s with ConfigError', (spec) => {
    expect(() => parseListenAddress(spec)).toThrow(ConfigError);
  });

  it('formatEndpoint is its inverse', () => {
    for (const spec of ['udp:127.0.0.1:5060', 'tcp:[::1]:0']) expect(formatEndpoint(parseListenAddress(spec))).toBe(spec);
  });
});
