import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseSipMessage, parseSipMessageWithGrammar } from '../../src/sip/sip-parser';
import { scanSipMessage } from '../../src/sip/scanner';
import { resolveParseOptions } from '../../src/sip/parse-result';
import { REGISTER_CORPUS } from './register-corpus';
import { verdict } from './extract-fields';

/** The RFC 4475 torture messages the project carries (test/fixtures/rfc4475/README.md says where from). */
const TORTURE = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));
const OPTIONS = resolveParseOptions();

function read(dir: 'valid' | 'invalid'): { name: string; bytes: Buffer }[] {
  return readdirSync(path.join(TORTURE, dir))
    .filter((f) => f.endsWith('.dat'))
    .sort()
    .map((f) => ({ name: f.slice(0, -4), bytes: readFileSync(path.join(TORTURE, dir, f)) }));
}

/**
 * What a parser must do with each torture message, per RFC 4475 §3. "parse" = well-formed
 * (possibly semantically wrong, which the application answers); "reject" = the parser refuses it.
 */
const RFC_VERDICT: Readonly<Record<string, 'parse' | 'reject'>> = {
  // §3.1.1 valid messages
  wsinv: 'parse', // 3.1.1.1 short tortuous INVITE
  intmeth: 'parse', // 3.1.1.2 wide range of valid characters
  esc01: 'parse', // 3.1.1.3 valid use of % escaping
  escnull: 'parse', // 3.1.1.4 escaped NULs in URIs
  esc02: 'parse', // 3.1.1.5 % that is not an escape
  lwsdisp: 'parse', // 3.1.1.6 no LWS between display name and <
  longreq: 'parse', // 3.1.1.7 long values in header fields
  dblreq: 'parse', // 3.1.1.8 extra trailing octets in a UDP datagram
  semiuri: 'parse', // 3.1.1.9 semicolon-separated parameters in URI user part
  transports: 'parse', // 3.1.1.10 varied and unknown transport types
  mpart01: 'parse', // 3.1.1.11 multipart MIME body
  unreason: 'parse', // 3.1.1.12 unusual (UTF-8) reason phrase
  noreason: 'parse', // 3.1.1.13 empty reason phrase
  // §3.1.2 syntactically invalid messages
  badinv01: 'reject', // 3.1.2.1 extraneous header field separators
  clerr: 'reject', // 3.1.2.2 Content-Length larger than the message
  ncl: 'reject', // 3.1.2.3 negative Content-Length
  scalar02: 'reject', // 3.1.2.4 CSeq beyond 2**32-1 (respond 400)
  scalarlg: 'reject', // 3.1.2.5 response CSeq beyond range
  quotbal: 'reject', // 3.1.2.6 unterminated quoted string in display name
  ltgtruri: 'reject', // 3.1.2.7 <> around the Request-URI
  lwsruri: 'reject', // 3.1.2.8 LWS inside the Request-URI
  lwsstart: 'reject', // 3.1.2.9 several SP between Request-Line elements
  trws: 'reject', // 3.1.2.10 SP at the end of the Request-Line
  escruri: 'reject', // 3.1.2.11 escaped headers in a SIP Request-URI
  // 3.1.2.12: invalid time zone in Date. The RFC lets an element that does not use Date accept
  // it ("shouldn't do that unless the contents of the Date header field were actually important");
  // a registrar never reads Date, so both tiers parse it.
  baddate: 'parse',
  regbadct: 'reject', // 3.1.2.13 Contact URI with header not enclosed in <>
  badaspec: 'reject', // 3.1.2.14 spaces within addr-spec
  baddn: 'reject', // 3.1.2.15 non-token characters in display name
  badvers: 'reject', // 3.1.2.16 unknown protocol version (505)
  mismatch01: 'reject', // 3.1.2.17 start line and CSeq method mismatch
  mismatch02: 'reject', // 3.1.2.18 unknown method with CSeq method mismatch
  bigcode: 'reject', // 3.1.2.19 overlarge response code
  // §3.3 semantically invalid messages: they parse; the application answers them
  insuf: 'reject', // 3.3.1 missing Call-ID, From, To: no message model without them (400 from `partial`)
  unkscm: 'parse', // 3.3.2 unknown Request-URI scheme (application: 416)
  novelsc: 'parse', // 3.3.3 known but atypical scheme
  // 3.3.4 unknown URI schemes in header fields: well-formed (addr-spec allows any absoluteURI).
  // SIP.js's From/To/Contact rules only know SIP URIs; the grammar tier re-checks such
  // elements with the generic absoluteURI syntax so that both tiers follow the RFC here.
  unksm2: 'parse',
  bext01: 'parse', // 3.3.5 Proxy-Require/Require extensions (application: 420)
  invut: 'parse', // 3.3.6 unknown Content-Type (application: 415)
  regaut01: 'parse', // 3.3.7 unknown authorization scheme (application: 401)
  multi01: 'reject', // 3.3.8 multiple values in single-value fields (400)
  mcl01: 'reject', // 3.3.9 multiple Content-Length values (400)
  bcast: 'parse', // 3.3.10 200 OK with a broadcast Via
  zeromf: 'parse', // 3.3.11 Max-Forwards of zero (application: 483)
  cparam01: 'parse', // 3.3.12 REGISTER with a contact header parameter
  cparam02: 'parse', // 3.3.13 REGISTER with a URI parameter
  regescrt: 'parse', // 3.3.14 REGISTER Contact URI with an escaped header (registrar: accept, keep the header in the URI)
  sdp01: 'parse', // 3.3.15 unacceptable Accept offering
  inv2543: 'parse', // 3.3.16 RFC 2543 syntax
  // Not one of the RFC 4475 §3 messages (sorted into sipgo's "invalid" folder): a Via branch that
  // is only the magic cookie "z9hG4bK". It is a valid token (RFC 3261 §25.1 via-branch); branch
  // uniqueness is a transaction-layer matter (§8.1.1.7), so it parses.
  badbranch: 'parse',
};

describe('RFC 4475 torture messages: both tiers, against the RFC verdict', () => {
  const all = [...read('valid'), ...read('invalid')];

  it('covers every file of the torture folders with a verdict', () => {
    expect(all.length).toBeGreaterThanOrEqual(49);
    for (const { name } of all) expect(RFC_VERDICT[name]).toBeDefined();
  });

  it.each(all.map((m) => [m.name, m.bytes] as const))('%s', (name, bytes) => {
    const expected = RFC_VERDICT[name] === 'parse';
    const grammar = parseSipMessageWithGrammar(bytes);
    const scanner = scanSipMessage(bytes, OPTIONS);
    const combined = parseSipMessage(bytes);
    expect(grammar.ok).toBe(expected);
    expect(combined.ok).toBe(expected);
    if (scanner !== undefined) expect(verdict(scanner)).toEqual(verdict(grammar));
    expect(verdict(combined)).toEqual(verdict(grammar));
  });

  it('parses the valid REGISTER and INVITE fields the way RFC 4475 describes them', () => {
    const wsinv = parseSipMessage(readFileSync(path.join(TORTURE, 'valid/wsinv.dat')));
    if (!wsinv.ok || wsinv.message.kind !== 'request') throw new Error('wsinv must parse');
    const m = wsinv.message;
    expect(m.method).toBe('INVITE');
    expect(m.to.params.tag).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.from.params.tag).toBe('98asjd8');
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.via.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.contacts).not.toBe('*');
    const [contact] = m.contacts as readonly { displayName?: string; params: Record<string, string | null> }[];
    expect(contact.displayName).toBe('Quoted string ""');
    expect(contact.params).toEqual({ newparam: 'newvalue', secondparam: null, q: '0.33' });
    expect(m.body.length).toBe(150);

    const dbl = parseSipMessage(readFileSync(path.join(TORTURE, 'valid/dblreq.dat')));
    expect(dbl.ok && dbl.message.body.length).toBe(0);
  });
});

describe('REGISTER corpus: both tiers agree field by field', () => {
  it('has at least 20 varied REGISTERs', () => {
    expect(REGISTER_CORPUS.length).toBeGreaterThanOrEqual(20);
  });

  it.each(REGISTER_CORPUS.map((c) => [c.name, c.text] as const))('%s', (_name, text) => {
    const bytes = Buffer.from(text, 'utf8');
    const scanner = scanSipMessage(bytes, OPTIONS);
    const grammar = parseSipMessageWithGrammar(bytes);
    expect(grammar.ok).toBe(true);
    expect(scanner).toBeDefined();
    expect(verdict(scanner!)).toEqual(verdict(grammar));
  });
});

/** Bytes a mutation may write: structure characters, white space, line ends and a non-ASCII octet. */
const INTERESTING = [0x20, 0x09, 0x0d, 0x0a, 0x2c, 0x3b, 0x3c, 0x3e, 0x22, 0x3a, 0x5c, 0x40, 0x3d, 0x2a, 0x30, 0x61, 0x41, 0x00, 0xc3];

function splitLines(bytes: Buffer): { head: string[]; rest: Buffer } {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return { head: text.slice(0, end).split('\r\n'), rest: bytes.subarray(end) };
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.constantFrom(...INTERESTING) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('space' as const), at: fc.nat(), ws: fc.constantFrom(' ', '\t', '  ', '\r\n ', '\r\n\t') }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(original: Buffer, m: Mutation): Buffer {
  const bytes = Buffer.from(original);
  if (m.kind === 'flip') {
    bytes[m.at % bytes.length] = m.byte;
    return bytes;
  }
  if (m.kind === 'space') {
    const at = m.at % bytes.length;
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.ws, 'latin1'), bytes.subarray(at)]);
  }
  const { head, rest } = splitLines(bytes);
  const line = 1 + (m.at % (head.length - 1));
  if (m.kind === 'drop') head.splice(line, 1);
  else head.splice(line, 0, head[line]);
  return Buffer.concat([Buffer.from(head.join('\r\n'), 'latin1'), rest]);
}

describe('fast-check mutations of the corpus: the scanner never disagrees with the grammar', () => {
  const crlfCorpus = REGISTER_CORPUS.map((c) => Buffer.from(c.text, 'utf8')).filter((b) => b.includes('\r\n\r\n'));

  it('agrees on accept/reject and on every field, or declines', () => {
    fc.assert(
      fc.property(fc.nat({ max: crlfCorpus.length - 1 }), mutation, (index, m) => {
        const bytes = mutate(crlfCorpus[index], m);
        const scanner = scanSipMessage(bytes, OPTIONS);
        const grammar = parseSipMessageWithGrammar(bytes);
        if (scanner !== undefined) expect(verdict(scanner)).toEqual(verdict(grammar));
        expect(verdict(parseSipMessage(bytes))).toEqual(verdict(scanner ?? grammar));
      }),
      { numRuns: 300, seed: 4475 },
    );
  });
});
