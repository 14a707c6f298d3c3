/**
 * Micro-measure of REGISTER parsing (not a timed test): the sipreg scanner tier against the
 * SIP.js core parser and drachtio-sip on the same message, reading the fields a registrar needs.
 * Run: `node --import tsx bench/parse.bench.ts`.
 */
import { Buffer } from 'node:buffer';
import { Core } from 'sip-parser';
import drachtio from 'drachtio-sip';
import { parseSipMessage } from '../src/sip/sip-parser';

const REGISTER =
  'REGISTER sip:example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n' +
  'Max-Forwards: 70\r\n' +
  'To: "Alice" <sip:alice@example.com>\r\n' +
  'From: "Alice" <sip:alice@example.com>;tag=456248\r\n' +
  'Call-ID: 843817637684230@998sdasdh09\r\n' +
  'CSeq: 1826 REGISTER\r\n' +
  'Contact: <sip:alice@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1\r\n' +
  'Expires: 3600\r\n' +
  'Supported: path, gruu, outbound\r\n' +
  'User-Agent: bench/1.0\r\n' +
  'Content-Length: 0\r\n\r\n';

const NOOP_LOGGER = { debug() {}, log() {}, warn() {}, error() {} };

interface Row {
  readonly name: string;
  readonly run: () => unknown;
  readonly iterations: number;
}

let sink: unknown;

function measure(row: Row): { name: string; usPerMsg: number; msgsPerSec: number } {
  const warm = Math.min(2000, row.iterations);
  for (let i = 0; i < warm; i++) sink = row.run();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < row.iterations; i++) sink = row.run();
  const ns = Number(process.hrtime.bigint() - t0) / row.iterations;
  return { name: row.name, usPerMsg: ns / 1000, msgsPerSec: 1e9 / ns };
}

const datagram = Buffer.from(REGISTER, 'latin1');

/**
 * Reference floor, not a parser: split the header lines and copy each name and value out with
 * `latin1Slice`, which is the least any parser keeping owned strings must do.
 */
function copyOutFloor(buf: Buffer): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  const b = buf as Buffer & { latin1Slice(start: number, end: number): string };
  let pos = buf.indexOf(10) + 1;
  for (let lf = buf.indexOf(10, pos); lf > pos + 1; lf = buf.indexOf(10, pos)) {
    const colon = buf.indexOf(0x3a, pos);
    out.push({ name: b.latin1Slice(pos, colon), value: b.latin1Slice(colon + 2, lf - 1) });
    pos = lf + 1;
  }
  return out;
}

const rows: Row[] = [
  {
    name: 'floor: copy out header lines only',
    iterations: 300_000,
    run: () => copyOutFloor(datagram),
  },
  {
    name: 'sipreg scanner (parseSipMessage)',
    iterations: 300_000,
    run: () => {
      const r = parseSipMessage(datagram);
      if (!r.ok || r.tier !== 'scanner') throw new Error('scanner declined the bench REGISTER');
      const m = r.message;
      return [m.via[0].branch, m.to.uri, m.from.params.tag, m.callId, m.cseq.seq, m.contacts, m.expires, m.supported];
    },
  },
  {
    name: 'sipreg scanner + headers list read',
    iterations: 300_000,
    run: () => {
      const r = parseSipMessage(datagram);
      if (!r.ok) throw new Error('scanner declined the bench REGISTER');
      return r.message.headers;
    },
  },
  {
    name: 'sipreg grammar tier (strict)',
    iterations: 300,
    run: () => parseSipMessage(datagram, { strict: true }),
  },
  {
    name: 'SIP.js Parser.parseMessage',
    iterations: 300,
    run: () => {
      const m = Core.Parser.parseMessage(datagram.toString('latin1'), NOOP_LOGGER as never);
      if (m === undefined) throw new Error('SIP.js rejected the bench REGISTER');
      return [m.via, m.to, m.fromTag, m.callId, m.cseq, m.getHeaders('contact'), m.getHeader('expires')];
    },
  },
  {
    name: 'drachtio-sip SipMessage',
    iterations: 50_000,
    run: () => {
      const m = new drachtio.SipMessage(datagram.toString('latin1'));
      return [m.getParsedHeader('via'), m.getParsedHeader('to'), m.getParsedHeader('from'), m.get('call-id'), m.get('cseq'), m.getParsedHeader('contact'), m.get('expires')];
    },
  },
];

const results = rows.map(measure);
console.log('REGISTER parse, %d bytes, 11 headers, 1 Contact', datagram.length);
console.log('parser'.padEnd(36) + 'µs/msg'.padStart(10) + 'msgs/s'.padStart(14));
for (const r of results) console.log(r.name.padEnd(36) + r.usPerMsg.toFixed(2).padStart(10) + Math.round(r.msgsPerSec).toLocaleString('en-US').padStart(14));
if (sink === undefined) console.log('');
