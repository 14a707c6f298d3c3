import type { Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { responseDestination } from '../../src/transports/response-destination';
import { stampReceived } from '../../src/transports/stamp-received';

function request(via: string): SipRequest {
  const text = `OPTIONS sip:example.com SIP/2.0\r\nVia: ${via}\r\nFrom: <sip:a@example.com>;tag=f\r\nTo: <sip:a@example.com>\r\nCall-ID: c@h\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  const parsed = parseSipMessage(text);
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('bad fixture');
  return parsed.message;
}

const source = (protocol: 'udp' | 'tcp'): Source => ({
  protocol, address: '203.0.113.7', port: 40000,
  local: { protocol, address: '127.0.0.1', port: 5060 },
  ...(protocol === 'tcp' ? { connectionId: 'c' } : {}),
});

// RFC 3261 §18.2.2 lets UDP responses follow the top Via's maddr; Kamailio and OpenSIPS do not by
// default, since it lets any sender aim responses at a third party (issue 23).
describe('responseDestination and the Via maddr', () => {
  const via = 'SIP/2.0/UDP 203.0.113.7:5070;maddr=198.51.100.9;branch=z9hG4bK1';

  it('ignores maddr by default: the source address at the sent-by port', () => {
    const r = stampReceived(request(via), '203.0.113.7', 40000);
    expect(responseDestination(r, source('udp'))).toEqual({ protocol: 'udp', address: '203.0.113.7', port: 5070 });
    expect(responseDestination(r, source('udp'), { viaMaddr: false })).toEqual({ protocol: 'udp', address: '203.0.113.7', port: 5070 });
  });

  it('ignores maddr by default with rport too: the source address and port', () => {
    const r = stampReceived(request('SIP/2.0/UDP 10.0.0.2:5070;maddr=198.51.100.9;rport;branch=z9hG4bK1'), '203.0.113.7', 40000);
    expect(responseDestination(r, source('udp'))).toEqual({ protocol: 'udp', address: '203.0.113.7', port: 40000 });
  });

  it('with viaMaddr: the maddr address (brackets removed) at the sent-by port', () => {
    expect(responseDestination(request(via), source('udp'), { viaMaddr: true })).toEqual({ protocol: 'udp', address: '198.51.100.9', port: 5070 });
    const v6 = request('SIP/2.0/UDP 10.0.0.2;maddr=[ff02::1];branch=z9hG4bK1');
    expect(responseDestination(v6, source('udp'), { viaMaddr: true })).toEqual({ protocol: 'udp', address: 'ff02::1', port: 5060 });
  });

  it('TCP ignores maddr even with viaMaddr', () => {
    const r = request('SIP/2.0/TCP 203.0.113.7:5070;maddr=198.51.100.9;branch=z9hG4bK1');
    expect(responseDestination(r, source('tcp'), { viaMaddr: true })).toEqual({ protocol: 'tcp', address: '203.0.113.7', port: 5070 });
  });
});
