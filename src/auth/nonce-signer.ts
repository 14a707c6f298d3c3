import { hash, randomBytes } from 'node:crypto';
import type { Clock } from '../ports/clock';

/** What {@link NonceSigner.verify} makes of a nonce (RFC 7616 §3.3: a stale nonce is answered `stale=true`, a bad one with a plain challenge). */
export type NonceVerdict =
  /** Signed here, for this realm (and source), within its lifetime. */
  | 'valid'
  /** Signed here but older than the lifetime: answer `stale=true` (RFC 7616 §3.3). */
  | 'expired'
  /** Not signed here, for another realm or source, malformed, or issued in the future. */
  | 'invalid';

/**
 * A nonce's bytes read ({@link NonceSigner.read}), before its MAC is checked: when and as which of
 * the signer's sequence numbers it says it was issued, and its MAC, as 32-bit words.
 */
export interface NonceId {
  /** Issue time, epoch ms. */
  readonly issuedMs: number;
  /** Its high and low 32 bits. */
  readonly timeHigh: number;
  readonly timeLow: number;
  /** The sequence number: a random high word per signer, and a low word counting the nonces it signed. */
  readonly seqHigh: number;
  readonly seqLow: number;
  /** The (truncated) MAC, four words. */
  readonly mac0: number;
  readonly mac1: number;
  readonly mac2: number;
  readonly mac3: number;
}

/** Bytes of the issue time, the sequence number and the truncated HMAC. */
const TIME = 8;
const SEQ = 8;
const MAC = 16;
const HEAD = TIME + SEQ;
const SIZE = HEAD + MAC;
/** Characters of {@link SIZE} bytes in unpadded base64url. */
const ENCODED = Math.ceil((SIZE * 4) / 3);
/** How far in the future an issue time may be (clocks of nodes sharing a secret differ a little). */
const CLOCK_SKEW_MS = 2000;
/** SHA-256's block size: the length of HMAC's padded keys (RFC 2104 §2). */
const BLOCK = 64;

/** `Buffer`'s own codecs, without `write`'s argument handling (a nonce is checked per request). */
type CodecBuffer = Buffer & {
  hexWrite(s: string, offset: number, length: number): number;
  base64urlWrite(s: string, offset: number, length: number): number;
};

/** The value of a lower-case hex digit, without a branch on it (`0`-`9`: 0x30-0x39, `a`-`f`: 0x61-0x66). */
function nibble(c: number): number {
  return (c & 0xf) + 9 * (c >> 6);
}

/**
 * True when the first {@link MAC} bytes of the hex digest `hex` are `given`, compared in
 * constant time: every byte, no early exit, no branch on a digit.
 */
function macMatches(hex: string, given: Uint8Array): boolean {
  let difference = 0;
  for (let i = 0; i < MAC; i++) difference |= given[i] ^ ((nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1)));
  return difference === 0;
}

/**
 * HMAC-SHA256 (RFC 2104 §2) of one secret over `head | realm [| NUL address]`, computed with
 * two one-shot hashes over buffers that keep the padded keys in place: `K XOR ipad` then the
 * message, and `K XOR opad` then the inner hash. The realm and address of the last message stay
 * in place too (the requests of a domain share them), so a MAC writes only the head and the
 * inner hash. The hashes answer in hex, which Node produces several times faster than a Buffer.
 */
class NonceMac {
  /** `K XOR ipad` then the message; grown for a long realm. */
  #inner: CodecBuffer;
  /** `K XOR opad` then the inner hash. */
  readonly #outer: CodecBuffer;
  /** What the message holds after the head: the realm and address of the last MAC. */
  #realm: string | undefined;
  #address: string | undefined;
  /** `#inner` up to the end of that message. */
  #message: Buffer;

  constructor(secret: Uint8Array) {
    const key = Buffer.alloc(BLOCK);
    (secret.length > BLOCK ? hash('sha256', secret, 'buffer') : Buffer.from(secret)).copy(key);
    this.#inner = Buffer.allocUnsafe(256) as CodecBuffer;
    this.#outer = Buffer.allocUnsafe(BLOCK + 32) as CodecBuffer;
    for (let i = 0; i < BLOCK; i++) {
      this.#inner[i] = key[i] ^ 0x36;
      this.#outer[i] = key[i] ^ 0x5c;
    }
    this.#message = this.#inner.subarray(0, BLOCK + HEAD);
  }

  /** The MAC of `head` (its first {@link HEAD} bytes), `realm` and, when bound, a NUL and `address`, in hex. */
  hex(head: Uint8Array, realm: string, address: string | undefined): string {
    if (realm !== this.#realm || address !== this.#address) this.#place(realm, address);
    const inner = this.#inner;
    for (let i = 0; i < HEAD; i++) inner[BLOCK + i] = head[i];
    this.#outer.hexWrite(hash('sha256', this.#message, 'hex'), BLOCK, 32);
    return hash('sha256', this.#outer, 'hex');
  }

  /** Writes `realm` [NUL `address`] after the head. */
  #place(realm: string, address: string | undefined): void {
    const need = BLOCK + HEAD + 3 * (realm.length + 1 + (address?.length ?? 0));
    if (need > this.#inner.length) {
      const grown = Buffer.allocUnsafe(2 * need) as CodecBuffer;
      this.#inner.copy(grown, 0, 0, BLOCK);
      this.#inner = grown;
    }
    const inner = this.#inner;
    let n = BLOCK + HEAD + inner.write(realm, BLOCK + HEAD, 'utf8');
    if (address !== undefined) {
      inner[n++] = 0;
      n += inner.write(address, n, 'utf8');
    }
    this.#message = inner.subarray(0, n);
    this.#realm = realm;
    this.#address = address;
  }
}

/**
 * Stateless nonces (RFC 7616 §3.3 and §5.4: a nonce the server can check without keeping it):
 * base64url of the issue time (8 bytes, epoch ms), a sequence number (8 bytes, random start)
 * and the first 16 bytes of HMAC-SHA256(secret, time | sequence | realm [| NUL source IP])
 * (RFC 2104, computed with two one-shot hashes over the padded keys: a third of an `Hmac`
 * object's cost). The first secret signs, every one verifies (key rotation), in constant time.
 */
export class NonceSigner {
  readonly #macs: readonly NonceMac[];
  readonly #expireMs: number;
  readonly #clock: Clock;
  readonly #seqHigh: number;
  #seqLow: number;
  /** The nonce being signed or verified. */
  readonly #nonce = Buffer.allocUnsafe(SIZE) as CodecBuffer;
  /** Its MAC part. */
  readonly #given = this.#nonce.subarray(HEAD);

  /**
   * @param secrets - HMAC keys, the signing one first.
   * @param expireSec - Lifetime of a nonce, seconds.
   */
  constructor(secrets: readonly Uint8Array[], expireSec: number, clock: Clock) {
    this.#macs = secrets.map((secret) => new NonceMac(secret));
    this.#expireMs = expireSec * 1000;
    this.#clock = clock;
    const start = randomBytes(8);
    this.#seqHigh = start.readUInt32BE(0);
    this.#seqLow = start.readUInt32BE(4);
  }

  /** The high word of this signer's sequence numbers, random per signer: which nonces it issued. */
  get seqHigh(): number {
    return this.#seqHigh;
  }

  /** The low word of the last sequence number issued; the next nonce gets the one after it. */
  get seqLow(): number {
    return this.#seqLow;
  }

  /** A new nonce for `realm`, bound to `address` (the source IP) when given. */
  sign(realm: string, address?: string): string {
    const nonce = this.#nonce;
    const now = Math.floor(this.#clock.now());
    nonce.writeUInt32BE(Math.floor(now / 2 ** 32), 0);
    nonce.writeUInt32BE(now >>> 0, 4);
    nonce.writeUInt32BE(this.#seqHigh, 8);
    nonce.writeUInt32BE((this.#seqLow = (this.#seqLow + 1) >>> 0), 12);
    nonce.hexWrite(this.#macs[0].hex(nonce, realm, address), HEAD, MAC);
    return nonce.toString('base64url');
  }

  /** Whether `nonce` was signed here for `realm` (and `address`, when bound), and is still fresh. */
  verify(nonce: string, realm: string, address?: string): NonceVerdict {
    return this.freshness(this.signedAt(nonce, realm, address));
  }

  /** The words of `nonce` ({@link NonceId}), undefined when it is not a nonce's form; its MAC is not checked. */
  read(nonce: string): NonceId | undefined {
    const bytes = this.#nonce;
    if (nonce.length !== ENCODED || bytes.base64urlWrite(nonce, 0, SIZE) !== SIZE) return undefined;
    const timeHigh = bytes.readUInt32BE(0);
    const timeLow = bytes.readUInt32BE(4);
    return {
      issuedMs: timeHigh * 2 ** 32 + timeLow, timeHigh, timeLow, seqHigh: bytes.readUInt32BE(8), seqLow: bytes.readUInt32BE(12),
      mac0: bytes.readUInt32BE(16), mac1: bytes.readUInt32BE(20), mac2: bytes.readUInt32BE(24), mac3: bytes.readUInt32BE(28),
    };
  }

  /**
   * The issue time (epoch ms) of `nonce` when it was signed here, by any of the secrets, for
   * `realm` (and `address`, when bound); NaN otherwise. The MACs are compared in constant time.
   */
  signedAt(nonce: string, realm: string, address?: string): number {
    const bytes = this.#nonce;
    if (nonce.length !== ENCODED || bytes.base64urlWrite(nonce, 0, SIZE) !== SIZE) return NaN;
    let signed = false;
    for (let i = 0; i < this.#macs.length && !signed; i++) signed = macMatches(this.#macs[i].hex(bytes, realm, address), this.#given);
    return signed ? bytes.readUInt32BE(0) * 2 ** 32 + bytes.readUInt32BE(4) : NaN;
  }

  /**
   * The verdict on a nonce issued at `issuedMs` (from {@link NonceSigner.signedAt}, NaN when not
   * signed here): `invalid` also for an issue time further in the future than the clock skew
   * allows, `expired` past the lifetime (RFC 7616 §3.3), else `valid`.
   */
  freshness(issuedMs: number): NonceVerdict {
    const age = this.#clock.now() - issuedMs;
    if (!(age >= -CLOCK_SKEW_MS)) return 'invalid';
    return age > this.#expireMs ? 'expired' : 'valid';
  }
}
