import type { Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { buildErrorResponse, recoveredHead } from '../../src/transports/error-response';
import { responseDestination } from '../../src/transports/response-destination';
import { stampReceived } from '../../src/transports/stamp-received';

function request(via: string, extraVia = ''): SipRequest {
  const text = `REGISTER sip:example.com SIP/2.0\r\nVia: ${via}\r\n${extraVia}From: <sip:a@example.com>;tag=f\r\nTo: <sip:a@example.com>\r\nCall-ID: c@h\r\nCSeq: 7 REGISTER\r\nContent-Length: 0\r\n\r\n`;
  const parsed = parseSipMessage(text);
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('bad fixture');
  return parsed.message;
}

const udpSource = (address: string, port: number): Source => ({
  protocol: 'udp',
  address,
  port,
  local: { protocol: 'udp', address: '127.0.0.1', port: 5060 },
});

describe('stampReceived (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it('returns the very same request when the sent-by host is the source address and there is no rport', () => {
    const r = request('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1');
    expect(stampReceived(r, '192.0.2.1', 40000)).toBe(r);
    const v6 = request('SIP/2.0/UDP [2001:DB8::1]:5060;branch=z9hG4bK1');
    expect(stampReceived(v6, '2001:db8::1', 5060)).toBe(v6);
  });

  it('adds received when the sent-by differs; other fields and lookups stay intact', () => {
    const r = request('SIP/2.0/UDP phone.example.com:5062;branch=z9hG4bK1', 'Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK0\r\n');
    const stamped = stampReceived(r, '192.0.2.7', 40000);
    expect(stamped.via[0]).toEqual({ ...r.via[0], raw: 'SIP/2.0/UDP phone.example.com:5062;branch=z9hG4bK1;received=192.0.2.7', received: '192.0.2.7' });
    expect(stamped.via[1]).toBe(r.via[1]);
    expect(r.via[0].received).toBeUndefined();
    expect([stamped.method, stamped.callId, stamped.cseq.seq, stamped.kind]).toEqual(['REGISTER', 'c@h', 7, 'request']);
    expect(stamped.header('call-id')).toBe('c@h');
    expect(stamped.headerAll('v')).toHaveLength(2);
  });

  it('fills rport with the source port and always adds received', () => {
    const stamped = stampReceived(request('SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1'), '192.0.2.1', 40000);
    expect(stamped.via[0]).toMatchObject({ rport: 40000, received: '192.0.2.1', raw: 'SIP/2.0/UDP 192.0.2.1:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.1' });
  });

  it('replaces a wrong received', () => {
    const stamped = stampReceived(request('SIP/2.0/UDP 192.0.2.1;received=10.0.0.1;branch=z9hG4bK1'), '192.0.2.9', 5060);
    expect(stamped.via[0].raw).toBe('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.9');
  });
});

describe('responseDestination (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('UDP without rport: received (or the source address) at the sent-by port, default 5060', () => {
    const named = stampReceived(request('SIP/2.0/UDP phone.example.com:5062;branch=z9hG4bK1'), '192.0.2.7', 40000);
    expect(responseDestination(named, udpSource('192.0.2.7', 40000))).toEqual({ protocol: 'udp', address: '192.0.2.7', port: 5062 });
    expect(responseDestination(request('SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1'), udpSource('192.0.2.7', 40000))).toEqual({
      protocol: 'udp',
      address: '192.0.2.7',
      port: 5060,
    });
  });

  it('UDP with rport: the source address and port', () => {
    const r = request('SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK1');
    expect(responseDestination(r, udpSource('203.0.113.7', 40000))).toEqual({ protocol: 'udp', address: '203.0.113.7', port: 40000 });
    expect(responseDestination(stampReceived(r, '203.0.113.7', 40000), udpSource('203.0.113.7', 40000))).toEqual({
      protocol: 'udp',
      address: '203.0.113.7',
      port: 40000,
    });
  });

  it('UDP with maddr: the maddr address at the sent-by port only with viaMaddr, else the source', () => {
    const r = request('SIP/2.0/UDP 10.0.0.2:5070;maddr=[ff02::1];branch=z9hG4bK1');
    expect(responseDestination(r, udpSource('10.0.0.2', 5070), { viaMaddr: true })).toEqual({ protocol: 'udp', address: 'ff02::1', port: 5070 });
    expect(responseDestination(r, udpSource('10.0.0.2', 5070))).toEqual({ protocol: 'udp', address: '10.0.0.2', port: 5070 });
  });

  it('TCP ignores maddr and keeps the protocol', () => {
    const r = request('SIP/2.0/TCP 10.0.0.2:5070;maddr=239.1.1.1;branch=z9hG4bK1');
    const source: Source = { protocol: 'tcp', address: '10.0.0.2', port: 50123, local: { protocol: 'tcp', address: '127.0.0.1', port: 5060 }, connectionId: 'c' };
    expect(responseDestination(r, source)).toEqual({ protocol: 'tcp', address: '10.0.0.2', port: 5070 });
  });
});

describe('buildErrorResponse (RFC 3261 §8.2.6)', () => {
  it('copies the recovered head, adds a To tag and sanitizes the reason phrase', () => {
    const head = recoveredHead(request('SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1', 'Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK0\r\n'));
    const text = new TextDecoder().decode(buildErrorResponse(head, 400, 'Bad Request (x\r\ny)', 't1'));
    expect(text).toBe(
      'SIP/2.0 400 Bad Request (x  y)\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK0\r\n' +
        'From: <sip:a@example.com>;tag=f\r\nTo: <sip:a@example.com>;tag=t1\r\nCall-ID: c@h\r\nCSeq: 7 REGISTER\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('keeps an existing To tag (a tag inside the URI does not count) and needs a Via', () => {
    const head = { via: ['SIP/2.0/UDP h;branch=z9hG4bK1'], from: '<sip:a@h>;tag=1', to: '<sip:b@h;tag=u>;tag=2', callId: 'c', cseq: '1 INFO' };
    expect(new TextDecoder().decode(buildErrorResponse(head, 400, 'Bad Request', 'x'))).toContain('\r\nTo: <sip:b@h;tag=u>;tag=2\r\n');
    expect(new TextDecoder().decode(buildErrorResponse({ ...head, to: '<sip:b@h;tag=u>' }, 400, 'Bad Request', 'x'))).toContain('\r\nTo: <sip:b@h;tag=u>;tag=x\r\n');
    expect(buildErrorResponse({ ...head, via: [] }, 400, 'Bad Request', 'x')).toBeUndefined();
    expect(new TextDecoder().decode(buildErrorResponse({ ...head, cseq: undefined }, 400, 'Bad Request', 'x'))).not.toContain('CSeq:');
  });
});
