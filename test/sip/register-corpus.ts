/**
 * Hand-written REGISTER requests covering what registrars meet in practice (RFC 3261 §10,
 * RFC 3327 Path, RFC 5626 outbound, RFC 5627 GRUU, RFC 8599 push, RFC 6809 Feature-Caps):
 * used by the differential and round-trip tests. Lines are joined with CRLF unless noted.
 */

function msg(lines: readonly string[], eol = '\r\n', body = ''): string {
  return lines.join(eol) + eol + eol + body;
}

const VIA = 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport';
const TAIL = ['Call-ID: 843817637684230@998sdasdh09', 'CSeq: 1826 REGISTER'];

export const REGISTER_CORPUS: readonly { readonly name: string; readonly text: string }[] = [
  {
    name: 'minimal',
    text: msg(['REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:alice@example.com>', 'From: <sip:alice@example.com>;tag=1', ...TAIL, 'Content-Length: 0']),
  },
  {
    name: 'typical softphone',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'Max-Forwards: 70', 'To: "Alice" <sip:alice@example.com>',
      'From: "Alice" <sip:alice@example.com>;tag=456248', ...TAIL,
      'Contact: <sip:alice@192.0.2.10:5060;transport=udp>;expires=3600', 'Expires: 3600',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE', 'User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)', 'Content-Length: 0',
    ]),
  },
  {
    name: 'outbound + gruu',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', 'Via: SIP/2.0/TCP 192.0.2.10:55012;branch=z9hG4bK-a1;rport', 'Max-Forwards: 70',
      'To: <sip:bob@example.com>', 'From: <sip:bob@example.com>;tag=a73kszlfl', 'Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.10', 'CSeq: 1 REGISTER',
      'Supported: path, outbound, gruu',
      'Contact: <sip:bob@192.0.2.10:55012;transport=tcp;ob>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"',
      'Content-Length: 0',
    ]),
  },
  {
    name: 'compact forms',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', 'v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKc1', 't: sip:carol@example.com',
      'f: sip:carol@example.com;tag=77', 'i: compact-1@192.0.2.10', 'CSeq: 5 REGISTER', 'm: <sip:carol@192.0.2.10>;q=0.7',
      'k: path', 'l: 0',
    ]),
  },
  {
    name: 'bare LF line ends',
    text: msg(['REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:dave@example.com>', 'From: <sip:dave@example.com>;tag=9', ...TAIL, 'Contact: <sip:dave@192.0.2.11>', 'Content-Length: 0'], '\n'),
  },
  {
    name: 'folded Contact over three lines',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:erin@example.com>', 'From: <sip:erin@example.com>;tag=2', ...TAIL,
      'Contact: <sip:erin@192.0.2.12>;expires=60,', '   <sip:erin@198.51.100.7:5070>', '\t;q=0.1', 'Content-Length: 0',
    ]),
  },
  {
    name: 'several Contact lines and values',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:frank@example.com>', 'From: <sip:frank@example.com>;tag=3', ...TAIL,
      'Contact: <sip:frank@192.0.2.13>;q=1.0, <sip:frank@192.0.2.14>;q=0.5', 'Contact: "Frank, mobile" <sip:frank@203.0.113.5>;expires=120',
      'Content-Length: 0',
    ]),
  },
  {
    name: 'wildcard de-registration',
    text: msg(['REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:gina@example.com>', 'From: <sip:gina@example.com>;tag=4', ...TAIL, 'Contact: *', 'Expires: 0', 'Content-Length: 0']),
  },
  {
    name: 'query (no Contact)',
    text: msg(['REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:hank@example.com>', 'From: <sip:hank@example.com>;tag=5', ...TAIL, 'Content-Length: 0']),
  },
  {
    name: 'IPv6 everywhere',
    text: msg([
      'REGISTER sip:[2001:db8::1] SIP/2.0', 'Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKv6;received=2001:db8::99;rport=5062',
      'To: <sip:ivy@[2001:db8::1]>', 'From: <sip:ivy@[2001:db8::1]>;tag=6', ...TAIL, 'Contact: <sip:ivy@[2001:db8::10]:5060>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'Path from an edge proxy',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', 'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge', VIA, 'Max-Forwards: 69',
      'To: <sip:jack@example.com>', 'From: <sip:jack@example.com>;tag=7', ...TAIL,
      'Path: <sip:edge.example.com;lr;ob>', 'Path: <sip:P2@core.example.com;lr>, <sip:P3@core2.example.com;lr>',
      'Contact: <sip:jack@192.0.2.15>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'Authorization digest',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:kim@example.com>', 'From: <sip:kim@example.com>;tag=8', 'Call-ID: auth-1@h', 'CSeq: 2 REGISTER',
      'Authorization: Digest username="kim", realm="example.com", nonce="abc", uri="sip:example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5',
      'Contact: <sip:kim@192.0.2.16>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'credentials for two realms, folded and in odd case, and Proxy-Authorization',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:kim@example.com>', 'From: <sip:kim@example.com>;tag=8b', 'Call-ID: auth-2@h', 'CSeq: 3 REGISTER',
      'Proxy-Authorization: Digest username="kim", realm="proxy.example.com", nonce="p1", uri="sip:example.com", response="00000000000000000000000000000000"',
      'authorization:Digest username="kim", realm="other.example.com", nonce="o1",',
      '   uri="sip:example.com", response="ffffffffffffffffffffffffffffffff"',
      'AUTHORIZATION :  Digest username="kim", realm="example.com", nonce="n1", uri="sip:example.com", response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="c"  ',
      'Contact: <sip:kim@192.0.2.16>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'push notification params',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:lee@example.com>', 'From: <sip:lee@example.com>;tag=9', ...TAIL,
      'Contact: <sip:lee@192.0.2.17;pn-provider=apns;pn-param=ABCD1234.com.example.voip;pn-prid=00fc13adff78512>;+sip.pnsreg',
      'Feature-Caps: *;+sip.pns="apns";+sip.vapid="key"', 'Content-Length: 0',
    ]),
  },
  {
    name: 'Require and Proxy-Require',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:mia@example.com>', 'From: <sip:mia@example.com>;tag=10', ...TAIL,
      'Require: Path', 'Proxy-Require: gruu', 'Contact: <sip:mia@192.0.2.18>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'lower-case names and odd spacing',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', 'via:SIP/2.0/UDP 192.0.2.19;branch=z9hG4bKx', 'to :   <sip:ned@example.com>',
      'from:<sip:ned@example.com>  ;  tag = 11', 'call-id:lc@h', 'cseq:   7    REGISTER', 'contact:<sip:ned@192.0.2.19> ; expires = 30',
      'content-length:0',
    ]),
  },
  {
    name: 'tel URI in To (user=phone)',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:+15551234567@example.com;user=phone>', 'From: <sip:+15551234567@example.com;user=phone>;tag=12',
      ...TAIL, 'Contact: <tel:+15551234567>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'sips over TLS',
    text: msg([
      'REGISTER sips:example.com SIP/2.0', 'Via: SIP/2.0/TLS 192.0.2.20:5061;branch=z9hG4bKtls', 'To: <sips:olga@example.com>',
      'From: <sips:olga@example.com>;tag=13', ...TAIL, 'Contact: <sips:olga@192.0.2.20:5061>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'WebSocket client',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', 'Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKws;rport', 'To: <sip:pat@example.com>',
      'From: "Pat" <sip:pat@example.com>;tag=14', ...TAIL,
      'Contact: <sip:abc@df7jal23ls0d.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance="<urn:uuid:cb87bf4d-4ee2-4f0c-a33c-a1b2c3d4e5f6>";expires=600',
      'Supported: path,gruu,outbound', 'User-Agent: JsSIP 3.10.0', 'Content-Length: 0',
    ]),
  },
  {
    name: 'body with Content-Length',
    text: msg(['REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:quinn@example.com>', 'From: <sip:quinn@example.com>;tag=15', ...TAIL, 'Content-Type: text/plain', 'Content-Length: 5'], '\r\n', 'hello'),
  },
  {
    name: 'no Content-Length (UDP)',
    text: msg(['REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:rita@example.com>', 'From: <sip:rita@example.com>;tag=16', ...TAIL, 'Contact: <sip:rita@192.0.2.21>']),
  },
  {
    name: 'quoted display name with escapes and comma',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: "Sam \\"the man\\", jr" <sip:sam@example.com>', 'From: "Sam \\"the man\\", jr" <sip:sam@example.com>;tag=17',
      ...TAIL, 'Contact: "Sam, desk" <sip:sam@192.0.2.22>;methods="INVITE, MESSAGE"', 'Content-Length: 0',
    ]),
  },
  {
    name: 'UTF-8 display name',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: "Jürgen Müller" <sip:juergen@example.com>', 'From: "Jürgen Müller" <sip:juergen@example.com>;tag=18',
      ...TAIL, 'Contact: <sip:juergen@192.0.2.23>', 'User-Agent: Téléphone/1.0', 'Content-Length: 0',
    ]),
  },
  {
    name: 'user with password and escaped chars',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'To: <sip:t%40x@example.com>', 'From: <sip:t%40x@example.com>;tag=19', ...TAIL,
      'Contact: <sip:t%40x:secret@192.0.2.24:5080;maddr=239.255.255.1;ttl=15>', 'Content-Length: 0',
    ]),
  },
  {
    name: 'Route and Record-Route present',
    text: msg([
      'REGISTER sip:example.com SIP/2.0', VIA, 'Route: <sip:outbound.example.com;lr>', 'Record-Route: <sip:rr.example.com;lr>',
      'To: <sip:uma@example.com>', 'From: <sip:uma@example.com>;tag=20', ...TAIL, 'Contact: <sip:uma@192.0.2.25>', 'Content-Length: 0',
    ]),
  },
];
