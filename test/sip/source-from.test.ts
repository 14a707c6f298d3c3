import { sourceFrom } from '../../src/sip/source-from';
import { ConfigError } from '../../src/errors/sdk-error';
import { createRegistrar } from '../../src/registrar/registrar';
import type { LookupResult } from '../../src/registrar/select-targets';
import { register } from '../registrar/sip-text';

const rinfo = { address: '198.51.100.7', family: 'IPv4', port: 34567, size: 412 };
const bound = { address: '127.0.0.1', family: 'IPv4', port: 5060 };

describe('sourceFrom', () => {
  it("builds a UDP Source from a dgram rinfo and socket.address(), dropping Node's extra fields", () => {
    expect(sourceFrom(rinfo, bound)).toEqual({
      protocol: 'udp', address: '198.51.100.7', port: 34567,
      local: { protocol: 'udp', address: '127.0.0.1', port: 5060 },
    });
  });

  it('takes the protocol and the connection id of a stream transport, and unbrackets IPv6', () => {
    expect(sourceFrom({ address: '[2001:db8::7]', port: 40000 }, { address: '::1', port: 5061 }, { protocol: 'tls', connectionId: 'c-42' })).toEqual({
      protocol: 'tls', address: '2001:db8::7', port: 40000,
      local: { protocol: 'tls', address: '::1', port: 5061 }, connectionId: 'c-42',
    });
  });

  it('refuses what TypeScript would refuse, for JavaScript callers', () => {
    expect(() => sourceFrom(rinfo, bound, { protocol: 'UDP' as never })).toThrow(ConfigError);
    expect(() => sourceFrom(rinfo, bound, { protocol: 'UDP' as never })).toThrow(/protocol must be one of udp, tcp/);
    expect(() => sourceFrom({ address: '', port: 1 }, bound)).toThrow(/remote\.address/);
    expect(() => sourceFrom(rinfo, { address: '127.0.0.1', port: 70000 })).toThrow(/local\.port must be an integer 0-65535, got 70000/);
    expect(() => sourceFrom(undefined as never, bound)).toThrow(ConfigError);
  });

  it('is what save takes as source: the socket and, with NAT detection, the received address a lookup sends to', async () => {
    const lookupOf = async (receivedMode: 'explicit' | 'nat'): Promise<LookupResult> => {
      const registrar = createRegistrar({ receivedMode, purgeIntervalMs: 0 });
      // The phone writes its private address in Contact; the packet came from its NAT.
      const saved = await registrar.save(register({ contacts: ['<sip:alice@10.0.0.5:5060>'] }), { source: sourceFrom(rinfo, bound) });
      expect(saved.ok && saved.bindings[0].socket).toBe('udp:127.0.0.1:5060');
      const found = await registrar.lookup('sip:alice@example.com');
      await registrar.close();
      return found;
    };
    const plain = await lookupOf('explicit');
    const natted = await lookupOf('nat');
    if (plain.kind !== 'found' || natted.kind !== 'found') throw new Error('expected the binding');
    // `destination` is set only when the request must not go to the Contact itself (NAT, Path):
    // the next hop is `destination ?? uri`.
    expect(plain.ruri?.destination).toBeUndefined();
    expect(plain.ruri?.destination ?? plain.ruri?.uri).toBe('sip:alice@10.0.0.5:5060');
    expect(natted.ruri?.uri).toBe('sip:alice@10.0.0.5:5060');
    expect(natted.ruri?.destination).toBe('sip:198.51.100.7:34567');
  });
});
