import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock';

/** What {@link NonceSigner.verify} makes of a nonce. */
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

/**
 * Stateless nonces (RFC 7616 §3.3 and §5.4: a nonce the server can check without keeping it):
 * base64url of the issue time (8 bytes, epoch ms), a sequence number (8 bytes, random start)
 * and the first 16 bytes of HMAC-SHA256(secret, time | sequence | realm [| NUL source IP]).
 * The first secret signs, every one verifies (key rotation), in constant time.
 */
export class NonceSigner {
  readonly #secrets: readonly Uint8Array[];
  readonly #expireMs: number;
  readonly #clock: Clock;
  readonly #seqHigh: number;
  #seqLow: number;

  /**
   * @param secrets - HMAC keys, the signing one first.
   * @param expireSec - Lifetime of a nonce, seconds.
   */
  constructor(secrets: readonly Uint8Array[], expireSec: number, clock: Clock) {
    this.#secrets = secrets;
    this.#expireMs = expireSec * 1000;
    this.#clock = clock;
    const start = randomBytes(8);
    this.#seqHigh = start.readUInt32BE(0);
    this.#seqLow = start.readUInt32BE(4);
  }

  /** A new nonce for `realm`, bound to `address` (the source IP) when given. */
  sign(realm: string, address?: string): string {
    const nonce = Buffer.allocUnsafe(SIZE);
    const now = Math.floor(this.#clock.now());
    nonce.writeUInt32BE(Math.floor(now / 2 ** 32), 0);
    nonce.writeUInt32BE(now >>> 0, 4);
    nonce.writeUInt32BE(this.#seqHigh, 8);
    nonce.writeUInt32BE((this.#seqLow = (this.#seqLow + 1) >>> 0), 12);
    mac(this.#secrets[0], nonce, realm, address).copy(nonce, HEAD, 0, MAC);
    return nonce.toString('base64url');
  }

  /** Whether `nonce` was signed here for `realm` (and `address`, when bound), and is still fresh. */
  verify(nonce: string, realm: string, address?: string): NonceVerdict {
    if (nonce.length !== ENCODED) return 'invalid';
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== SIZE) return 'invalid';
    const given = bytes.subarray(HEAD);
    let signed = false;
    for (let i = 0; i < this.#secrets.length && !signed; i++) signed = timingSafeEqual(mac(this.#secrets[i], bytes, realm, address).subarray(0, MAC), given);
    if (!signed) return 'invalid';
    const age = this.#clock.now() - (bytes.readUInt32BE(0) * 2 ** 32 + bytes.readUInt32BE(4));
    if (age < -CLOCK_SKEW_MS) return 'invalid';
    return age > this.#expireMs ? 'expired' : 'valid';
  }
}

/** HMAC-SHA256 over the nonce's head, the realm and, when bound, a NUL and the address. */
function mac(secret: Uint8Array, nonce: Buffer, realm: string, address: string | undefined): Buffer {
  const h = createHmac('sha256', secret).update(nonce.subarray(0, HEAD)).update(realm);
  if (address !== undefined) h.update('\0').update(address);
  return h.digest();
}
