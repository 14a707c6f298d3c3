import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock';

/** What {@link NonceSigner.verify} makes of a nonce (RFC 7616 §3.3: a stale nonce is answered `stale=true`, a bad one with a plain challenge). */
export type NonceVerdict =
  /** Signed here, for this realm (and source), within its lifetime. */
  | 'valid'
  /** Signed here but older than the lifetime: answer `stale=true` (RFC 7616 §3.3). */
  | 'expired'
  /** Not signed here, for another realm or source, malformed, or issued in the future. */
  | 'invalid';

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

/** A secret as HMAC-SHA256 uses it (RFC 2104 §2): the key, zero-padded to a block, XOR ipad and XOR opad. */
interface HmacKey {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

function hmacKey(secret: Uint8Array): HmacKey {
  const key = Buffer.alloc(BLOCK);
  (secret.length > BLOCK ? hash('sha256', secret, 'buffer') : Buffer.from(secret)).copy(key);
  const inner = Buffer.allocUnsafe(BLOCK);
  const outer = Buffer.allocUnsafe(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    inner[i] = key[i] ^ 0x36;
    outer[i] = key[i] ^ 0x5c;
  }
  return { inner, outer };
}

/**
 * Stateless nonces (RFC 7616 §3.3 and §5.4: a nonce the server can check without keeping it):
 * base64url of the issue time (8 bytes, epoch ms), a sequence number (8 bytes, random start)
 * and the first 16 bytes of HMAC-SHA256(secret, time | sequence | realm [| NUL source IP])
 * (RFC 2104, computed with two one-shot hashes over the padded keys: a third of an `Hmac`
 * object's cost). The first secret signs, every one verifies (key rotation), in constant time.
 */
export class NonceSigner {
  readonly #keys: readonly HmacKey[];
  readonly #expireMs: number;
  readonly #clock: Clock;
  readonly #seqHigh: number;
  #seqLow: number;
  /** The nonce being signed or verified. */
  readonly #nonce = Buffer.allocUnsafe(SIZE);
  /** Its MAC part. */
  readonly #given = this.#nonce.subarray(HEAD);
  /** The MAC computed for it. */
  readonly #computed = Buffer.allocUnsafe(MAC);
  /** Where the HMAC input is assembled; grown for a long realm. */
  #scratch = Buffer.allocUnsafe(256);

  /**
   * @param secrets - HMAC keys, the signing one first.
   * @param expireSec - Lifetime of a nonce, seconds.
   */
  constructor(secrets: readonly Uint8Array[], expireSec: number, clock: Clock) {
    this.#keys = secrets.map(hmacKey);
    this.#expireMs = expireSec * 1000;
    this.#clock = clock;
    const start = randomBytes(8);
    this.#seqHigh = start.readUInt32BE(0);
    this.#seqLow = start.readUInt32BE(4);
  }

  /** A new nonce for `realm`, bound to `address` (the source IP) when given. */
  sign(realm: string, address?: string): string {
    const nonce = this.#nonce;
    const now = Math.floor(this.#clock.now());
    nonce.writeUInt32BE(Math.floor(now / 2 ** 32), 0);
    nonce.writeUInt32BE(now >>> 0, 4);
    nonce.writeUInt32BE(this.#seqHigh, 8);
    nonce.writeUInt32BE((this.#seqLow = (this.#seqLow + 1) >>> 0), 12);
    this.#mac(this.#keys[0], realm, address);
    this.#computed.copy(nonce, HEAD);
    return nonce.toString('base64url');
  }

  /** Whether `nonce` was signed here for `realm` (and `address`, when bound), and is still fresh. */
  verify(nonce: string, realm: string, address?: string): NonceVerdict {
    return this.freshness(this.signedAt(nonce, realm, address));
  }

  /**
   * The issue time (epoch ms) of `nonce` when it was signed here, by any of the secrets, for
   * `realm` (and `address`, when bound); NaN otherwise. The MACs are compared in constant time.
   */
  signedAt(nonce: string, realm: string, address?: string): number {
    const bytes = this.#nonce;
    if (nonce.length !== ENCODED || bytes.write(nonce, 0, SIZE, 'base64url') !== SIZE) return NaN;
    let signed = false;
    for (let i = 0; i < this.#keys.length && !signed; i++) {
      this.#mac(this.#keys[i], realm, address);
      signed = timingSafeEqual(this.#computed, this.#given);
    }
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

  /**
   * HMAC-SHA256 (RFC 2104) over the head of the nonce being signed or verified, the realm and,
   * when bound, a NUL and the address; its first {@link MAC} bytes go to `#computed`. The
   * hashes answer in hex, which Node produces several times faster than a Buffer.
   */
  #mac(key: HmacKey, realm: string, address: string | undefined): void {
    const need = BLOCK + HEAD + 3 * (realm.length + 1 + (address?.length ?? 0));
    if (need > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(2 * need);
    const scratch = this.#scratch;
    key.inner.copy(scratch, 0);
    this.#nonce.copy(scratch, BLOCK, 0, HEAD);
    let n = BLOCK + HEAD + scratch.write(realm, BLOCK + HEAD, 'utf8');
    if (address !== undefined) {
      scratch[n++] = 0;
      n += scratch.write(address, n, 'utf8');
    }
    const inner = hash('sha256', scratch.subarray(0, n), 'hex');
    key.outer.copy(scratch, 0);
    n = BLOCK + scratch.write(inner, BLOCK, 'hex');
    this.#computed.write(hash('sha256', scratch.subarray(0, n), 'hex'), 0, MAC, 'hex');
  }
}
