import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors/sdk-error';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealKey {
  readonly cipher: Buffer;
  readonly iv: Buffer;
}

/**
 * Opaque, tamper-proof tokens carrying a few strings: temporary GRUUs (RFC 5627 §3.2: a temp
 * GRUU must not reveal the AOR or the instance) and push PURRs (RFC 8599 §5.6). A token is
 * `base64url(version ‖ iv ‖ AES-256-GCM(JSON(fields)) ‖ tag)`, under a key derived with HKDF-SHA256
 * from a secret and the token's purpose, so the same secret never yields the same key for two
 * purposes.
 *
 * Secrets rotate: the first one seals, every one opens, so tokens handed out under the previous
 * secret stay valid until it is dropped from the list.
 */
export class TokenSealer {
  readonly #keys: readonly SealKey[];

  /**
   * @param secrets - one secret, or a list whose first entry seals and all open; each non-empty.
   * @param purpose - distinguishes token kinds (e.g. `'temp-gruu'`).
   */
  constructor(secrets: string | readonly string[], purpose: string) {
    const list = typeof secrets === 'string' ? [secrets] : secrets;
    if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
      throw new ConfigError(`TokenSealer(${purpose}) needs at least one non-empty secret`);
    }
    this.#keys = list.map((secret) => ({
      cipher: Buffer.from(hkdfSync('sha256', secret, 'sipreg', `${purpose}/cipher`, 32)),
      iv: Buffer.from(hkdfSync('sha256', secret, 'sipreg', `${purpose}/iv`, 32)),
    }));
  }

  /**
   * Seal `fields` into a token (URL- and SIP-user-safe characters only). With `deterministic`,
   * equal fields give an equal token (the IV is an HMAC of the content, as in SIV): use it for
   * identifiers that must stay stable across refreshes, such as a PURR.
   */
  seal(fields: readonly string[], deterministic = false): string {
    const key = this.#keys[0];
    const plain = Buffer.from(JSON.stringify(fields), 'utf8');
    const iv = deterministic
      ? createHmac('sha256', key.iv).update(plain).digest().subarray(0, IV_BYTES)
      : randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.cipher, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The fields of a token sealed under any of the secrets, or `undefined` if forged, altered or foreign. */
  open(token: string): string[] | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) return undefined;
    const iv = raw.subarray(1, 1 + IV_BYTES);
    const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    for (const key of this.#keys) {
      const fields = tryOpen(key.cipher, iv, body, tag);
      if (fields !== undefined) return fields;
    }
    return undefined;
  }
}

function tryOpen(key: Buffer, iv: Buffer, body: Buffer, tag: Buffer): string[] | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    const fields: unknown = JSON.parse(plain);
    return Array.isArray(fields) && fields.every((f) => typeof f === 'string') ? fields : undefined;
  } catch {
    return undefined;
  }
}
