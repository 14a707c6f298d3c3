/**
 * URI rules for TLS and WebSocket clients (issue 20): RFC 3263 selection of `sips:` and
 * `transport=tls` targets with the server name to verify (RFC 5922 §7.2), no dialling of WebSocket
 * clients (RFC 7118 §5), Via transports WS/WSS/TLS, and `sips:` AORs and Contacts kept as given.
 */
import { nextHopOf } from '../../src/proxy/next-hop';
import { relayResponse } from '../../src/proxy/stateless-proxy';
import { createRegistrar } from '../../src/registrar/registrar';
import { parseVia } from '../../src/sip/headers/via';
import { requestDestination, type SipResolver, type SrvRecord } from '../../src/sip/request-destination';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildRegister } from '../../src/testing/message-builders';

/** A resolver with fixed answers, recording what it was asked. */
function resolver(srv: Record<string, SrvRecord[]>, hosts: Record<string, string>): SipResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolveHost: async (host) => {
      asked.push(host);
      const address = hosts[host];
      if (address === undefined) throw new Error(`ENOTFOUND ${host}`);
      return address;
    },
    resolveSrv: async (name) => {
      asked.push(name);
      return srv[name] ?? [];
    },
    random: () => 0,
  };
}

describe('RFC 3263 selection for TLS targets', () => {
  const dns = () => resolver(
    { '_sips._tcp.example.com': [{ name: 'edge1.example.com', port: 5081, priority: 10, weight: 1 }] },
    { 'edge1.example.com': '192.0.2.81', 'example.net': '192.0.2.82' },
  );

  it('sends a sips: URI over TLS to the _sips._tcp SRV target, verifying the URI\'s domain (not the SRV target)', async () => {
    const r = dns();
    expect(await requestDestination('sips:registrar@example.com', r)).toEqual({ protocol: 'tls', address: '192.0.2.81', port: 5081, serverName: 'example.com' });
    expect(r.asked).toEqual(['_sips._tcp.example.com', 'edge1.example.com']);
  });

  it('uses TLS on 5061 for transport=tls and for sips: without SRV records, and no server name for an IP literal', async () => {
    const r = dns();
    expect(await requestDestination('sip:example.com;transport=tls', r)).toMatchObject({ protocol: 'tls', port: 5081, serverName: 'example.com' });
    expect(await requestDestination('sips:example.net', r)).toEqual({ protocol: 'tls', address: '192.0.2.82', port: 5061, serverName: 'example.net' });
    expect(await requestDestination('sips:192.0.2.9', r)).toEqual({ protocol: 'tls', address: '192.0.2.9', port: 5061 });
    expect(await requestDestination('sip:example.net;transport=tcp', r)).toEqual({ protocol: 'tcp', address: '192.0.2.82', port: 5060 });
  });

  it('refuses to dial a WebSocket client or resolve a .invalid host, without asking DNS', async () => {
    const r = dns();
    await expect(requestDestination('sip:w@192.0.2.1:8080;transport=ws', r)).rejects.toThrow(/RFC 7118/);
    await expect(requestDestination('sips:w@example.com;transport=wss', r)).rejects.toThrow(/RFC 7118/);
    await expect(requestDestination('sip:w@df7jal23ls0d.invalid;transport=tcp', r)).rejects.toThrow(/RFC 6761/);
    expect(r.asked).toEqual([]);
  });

  it('gives the proxy\'s next hop for sips: or transport=tls port 5061 and the host name to verify', async () => {
    expect(await nextHopOf('sips:bob@localhost')).toMatchObject({ protocol: 'tls', port: 5061, serverName: 'localhost' });
    expect(await nextHopOf('sip:bob@localhost;transport=tls')).toMatchObject({ protocol: 'tls', port: 5061, serverName: 'localhost' });
    expect(await nextHopOf('sips:bob@127.0.0.1')).toEqual({ protocol: 'tls', address: '127.0.0.1', port: 5061 });
    expect(await nextHopOf('sip:bob@df7jal23ls0d.invalid;transport=ws')).toBeUndefined();
  });
});

describe('Via of TLS and WebSocket clients (RFC 3261 §20.42, RFC 7118 §5)', () => {
  it('parses SIP/2.0/WSS, /WS and /TLS in any case, and a relayed response goes back over that protocol', () => {
    expect(['SIP/2.0/wss df7jal23ls0d.invalid;branch=z9hG4bK1', 'SIP/2.0/WS a.invalid;branch=z9hG4bK2', 'SIP/2.0/tls 192.0.2.1:5061;branch=z9hG4bK3']
      .map((v) => parseVia(v)?.transport)).toEqual(['WSS', 'WS', 'TLS']);
    const parsed = parseSipMessage([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-ours;rport',
      'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK-ws;rport=51000;received=198.51.100.4',
      'From: <sip:alice@example.com>;tag=a', 'To: <sip:bob@example.com>;tag=b', 'Call-ID: c1', 'CSeq: 1 MESSAGE', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    if (!parsed.ok || parsed.message.kind !== 'response') throw new Error('bad fixture');
    expect(relayResponse(parsed.message, [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }])?.destination)
      .toEqual({ protocol: 'wss', address: '198.51.100.4', port: 51000 });
  });
});

describe('sips: AORs and Contacts', () => {
  it('registers a sips: AOR with a sips: Contact and keeps both as given', async () => {
    const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0 });
    const parsed = parseSipMessage(buildRegister({ aor: 'sips:alice@example.com', contacts: ['sips:alice@192.0.2.5:5061'], via: { transport: 'TLS', host: '192.0.2.5', port: 5061 } }));
    if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('bad fixture');
    const saved = await registrar.save(parsed.message);
    expect(saved.ok).toBe(true);
    const found = await registrar.lookup('sips:alice@example.com');
    expect(found.kind === 'found' ? found.ruri?.uri : found.kind).toBe('sips:alice@192.0.2.5:5061');
  });
});
