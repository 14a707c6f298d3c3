/**
 * The header names the scanner recognises without copying them out of the datagram: each has a
 * small integer id, its comparison key ({@link canonicalHeaderName} form, RFC 3261 §7.3.1) and
 * the spelling most user agents send, which is reused as the wire name when the bytes match it.
 * @packageDocumentation
 */

/**
 * Ids of the headers the scanner interprets (RFC 3261 §20), and of the credentials lines it
 * notes (RFC 3261 §20.7, §20.28) so that they are found without framing the others again.
 */
export const HeaderId = {
  via: 0,
  from: 1,
  to: 2,
  callId: 3,
  cseq: 4,
  contact: 5,
  maxForwards: 6,
  expires: 7,
  contentLength: 8,
  supported: 9,
  require: 10,
  proxyRequire: 11,
  allow: 12,
  userAgent: 13,
  path: 14,
  route: 15,
  recordRoute: 16,
  featureCaps: 17,
  authorization: 18,
  proxyAuthorization: 25,
} as const;

/** `[key, usual spelling]` by id, as {@link HeaderId} numbers them; the ids it does not name are only indexed. */
export const KNOWN_HEADERS: readonly (readonly [string, string])[] = [
  ['via', 'Via'], ['from', 'From'], ['to', 'To'], ['call-id', 'Call-ID'], ['cseq', 'CSeq'],
  ['contact', 'Contact'], ['max-forwards', 'Max-Forwards'], ['expires', 'Expires'],
  ['content-length', 'Content-Length'], ['supported', 'Supported'], ['require', 'Require'],
  ['proxy-require', 'Proxy-Require'], ['allow', 'Allow'], ['user-agent', 'User-Agent'], ['path', 'Path'],
  ['route', 'Route'], ['record-route', 'Record-Route'], ['feature-caps', 'Feature-Caps'],
  ['authorization', 'Authorization'], ['content-type', 'Content-Type'], ['allow-events', 'Allow-Events'],
  ['event', 'Event'], ['accept', 'Accept'], ['date', 'Date'], ['server', 'Server'],
  ['proxy-authorization', 'Proxy-Authorization'], ['p-asserted-identity', 'P-Asserted-Identity'],
];

/** The ASCII bytes of `s`. */
const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The usual spellings of {@link KNOWN_HEADERS} by id, as bytes: compared with the datagram's bytes without string reads. */
const SPELLINGS: readonly Uint8Array[] = KNOWN_HEADERS.map((h) => bytesOf(h[1]));

/** The comparison keys of {@link KNOWN_HEADERS} by id, as bytes. */
const KEYS: readonly Uint8Array[] = KNOWN_HEADERS.map((h) => bytesOf(h[0]));

/**
 * Compact forms (RFC 3261 §7.3.3) of {@link KNOWN_HEADERS}, indexed by the lower-case letter's
 * code minus 0x61; -1 where the letter is not a known compact form.
 */
const COMPACT_IDS: readonly number[] = (() => {
  const ids: number[] = new Array(26).fill(-1);
  const set = (letter: string, key: string): void => {
    ids[letter.charCodeAt(0) - 0x61] = KNOWN_HEADERS.findIndex((h) => h[0] === key);
  };
  set('v', 'via');
  set('f', 'from');
  set('t', 'to');
  set('i', 'call-id');
  set('m', 'contact');
  set('l', 'content-length');
  set('k', 'supported');
  set('c', 'content-type');
  set('u', 'allow-events');
  set('o', 'event');
  return ids;
})();

/** Bit set in a {@link knownHeaderId} result when the bytes are exactly the usual spelling. */
export const USUAL_SPELLING = 0x100;

/** Longest name in {@link KNOWN_HEADERS}. */
const MAX_KNOWN_LENGTH = 31;

/** Slot (0..255: a table that stays in the first-level cache) of a name of `len` characters from its first and last characters (case folded). */
function slotOf(len: number, first: number, last: number): number {
  return (len * 14 + (first & 31) * 3 + (last & 31)) & 0xff;
}

/**
 * {@link KNOWN_HEADERS} ids by {@link slotOf} (length, first and last character), -1 for none:
 * the known names never share a slot (checked here), so one comparison confirms a match.
 */
const SLOTS: Int8Array = (() => {
  const slots = new Int8Array(256).fill(-1);
  KNOWN_HEADERS.forEach(([key], id) => {
    const slot = slotOf(key.length, key.charCodeAt(0), key.charCodeAt(key.length - 1));
    if (key.length > MAX_KNOWN_LENGTH || slots[slot] !== -1) throw new Error('known header slots collide: ' + key);
    slots[slot] = id;
  });
  return slots;
})();

/**
 * The id of the header name in `buf[a, b)` (a validated token), compared case-insensitively
 * (RFC 3261 §7.3.1) with compact forms expanded (§7.3.3), or'ed with {@link USUAL_SPELLING}
 * when the bytes equal the usual spelling; -1 when it is not a known header.
 */
export function knownHeaderId(buf: Uint8Array, a: number, b: number): number {
  const len = b - a;
  if (len === 1) {
    const l = (buf[a] | 0x20) - 0x61;
    return l >= 0 && l < 26 ? COMPACT_IDS[l] : -1;
  }
  if (len > MAX_KNOWN_LENGTH) return -1;
  const id = SLOTS[slotOf(len, buf[a], buf[b - 1])];
  if (id < 0) return -1;
  const spelling = SPELLINGS[id];
  if (spelling.length !== len) return -1;
  let i = 0;
  while (i < len && buf[a + i] === spelling[i]) i++;
  if (i === len) return id | USUAL_SPELLING;
  const key = KEYS[id];
  for (i = 0; i < len; i++) if ((buf[a + i] | 0x20) !== key[i]) return -1;
  return id;
}
