/** {@link nextHopOfTarget}: a target's `serverName` names the certificate of a TLS hop only (RFC 5922 §7.2). */
import { nextHopOfTarget } from '../../src/proxy/next-hop';

describe('nextHopOfTarget', () => {
  it("verifies a TLS hop given by IP against the target's serverName, leaves UDP and TCP hops alone, and without it keeps the URI's host", async () => {
    const serverName = 'registrar.example.test';
    expect(await nextHopOfTarget({ uri: 'sip:bob@example.com', destination: 'sip:127.0.0.1:5061;transport=tls', serverName }))
      .toEqual({ protocol: 'tls', address: '127.0.0.1', port: 5061, serverName });
    expect(await nextHopOfTarget({ uri: 'sip:bob@example.com', destination: 'sip:127.0.0.1:5060;transport=tcp', serverName }))
      .toEqual({ protocol: 'tcp', address: '127.0.0.1', port: 5060 });
    expect(await nextHopOfTarget({ uri: 'sip:bob@127.0.0.1:5060', serverName })).toEqual({ protocol: 'udp', address: '127.0.0.1', port: 5060 });
    expect(await nextHopOfTarget({ uri: 'sip:bob@example.com', route: ['<sip:127.0.0.1:5061;transport=tls;lr>'] }))
      .toEqual({ protocol: 'tls', address: '127.0.0.1', port: 5061 });
  });
});
